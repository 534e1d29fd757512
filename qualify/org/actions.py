from qualify.audit.registry import register_actions

register_actions(
    {
        "org.site.created": "Site created",
        "org.site.updated": "Site updated",
        "org.site.retired": "Site retired",
        "org.department.created": "Department created",
        "org.department.updated": "Department updated",
        "org.department.retired": "Department retired",
        "org.client.created": "Client created",
        "org.client.updated": "Client updated",
        "org.client.retired": "Client retired",
        "org.client_access.granted": "Client restriction granted",
        "org.client_access.revoked": "Client restriction revoked",
        "org.client_access.refused": "Client restriction change refused",
        "org.framework.created": "Regulatory framework added",
        "org.framework.updated": "Regulatory framework renamed",
        "org.framework.retired": "Regulatory framework retired",
        "org.job_function.created": "Job function created",
        "org.job_function.updated": "Job function updated",
        "org.job_function.retired": "Job function retired",
        "org.person.created": "Person created",
        "org.person.updated": "Person updated",
        "org.person.deactivated": "Person deactivated",
        "org.person.employment_backfilled": "Employment dates added to an existing person",
        "org.job_assignment.started": "Job function assigned to person",
        "org.job_assignment.ended": "Job function assignment ended",
    }
)
