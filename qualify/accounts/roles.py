"""The roles of U2 and the permissions each grants.

The groups are created by migration; their permissions are (re)granted after every
migrate, because permissions of later apps only exist once those apps have migrated.
"""

import logging

from django.apps import apps as global_apps

log = logging.getLogger(__name__)

EMPLOYEE = "employee"
TRAINER = "trainer"
COORDINATOR = "training_coordinator"
DOCUMENT_CONTROLLER = "document_controller"
QA_APPROVER = "qa_approver"
AUDITOR = "auditor"
ADMINISTRATOR = "administrator"

ROLES = {
    EMPLOYEE: "Employee",
    TRAINER: "Trainer",
    COORDINATOR: "Training coordinator",
    DOCUMENT_CONTROLLER: "Document controller",
    QA_APPROVER: "QA approver",
    AUDITOR: "Auditor (read-only)",
    ADMINISTRATOR: "Administrator",
}

# "app_label.codename". Apps add their own with `grant()`; a test checks that every
# entry names a permission that exists once all apps have migrated.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    EMPLOYEE: [
        "signatures.sign_read_and_understood",
        "signatures.sign_completed_training",
    ],
    TRAINER: [
        "signatures.sign_read_and_understood",
        "signatures.sign_completed_training",
        "signatures.sign_trained_by",
    ],
    COORDINATOR: [
        "signatures.sign_read_and_understood",
        "signatures.sign_completed_training",
    ],
    DOCUMENT_CONTROLLER: [
        "signatures.sign_read_and_understood",
        "signatures.sign_completed_training",
        "signatures.sign_authored",
        "signatures.sign_reviewed",
    ],
    QA_APPROVER: [
        "signatures.sign_read_and_understood",
        "signatures.sign_completed_training",
        "signatures.sign_reviewed",
        "signatures.sign_approved",
        "signatures.sign_verified",
        "signatures.sign_closed",
    ],
    AUDITOR: ["audit.view_audit_trail"],
    ADMINISTRATOR: ["accounts.manage_accounts", "audit.view_audit_trail"],
}


def signing_roles() -> set[str]:
    """The roles that create, approve or sign GxP records: every role holding an
    electronic-signature permission (U3). Read from ROLE_PERMISSIONS when asked, so a
    signing permission an app grants later counts too."""
    return {
        role
        for role, permissions in ROLE_PERMISSIONS.items()
        if any(p.startswith("signatures.sign_") for p in permissions)
    }


def segregation_conflicts(role_names) -> list[str]:
    """U3: the GxP roles that may not be held together with the administrator role
    (without a QA-signed exception); empty when the combination is allowed."""
    names = set(role_names)
    if ADMINISTRATOR not in names:
        return []
    return sorted(names & signing_roles())


def labels(role_names) -> str:
    """Role names as people read them: "Administrator, QA approver"."""
    return ", ".join(ROLES.get(name, name) for name in sorted(role_names)) or "none"


def check_role_permission(role: str, permission: str) -> None:
    """U2: the administrator manages accounts but never signs; the auditor only reads."""
    app_label, _, codename = permission.partition(".")
    if role == ADMINISTRATOR and app_label == "signatures" and codename.startswith("sign_"):
        raise ValueError(f"the administrator role never signs GxP records: {permission}")
    if role == AUDITOR and not codename.startswith("view_"):
        raise ValueError(f"the auditor role is read-only: {permission}")


def grant(role: str, *permissions: str) -> None:
    """Let a later app add the permissions its features need to a role."""
    for permission in permissions:
        check_role_permission(role, permission)
        if permission not in ROLE_PERMISSIONS[role]:
            ROLE_PERMISSIONS[role].append(permission)


def _last_app_migrated() -> object:
    # migrate sends post_migrate once per app with models, in registry order, after every
    # app's permissions are created by the earlier senders; syncing at each of them did
    # the same work twenty times over.
    return [c for c in global_apps.get_app_configs() if c.models_module is not None][-1]


def sync_role_permissions(sender=None, using="default", **kwargs) -> None:
    if sender is not None and sender is not _last_app_migrated():
        return
    Group = global_apps.get_model("auth", "Group")
    Permission = global_apps.get_model("auth", "Permission")
    installed = {config.label for config in global_apps.get_app_configs()}
    existing = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.using(using).values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    for role, label in ROLES.items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        wanted = []
        for dotted in ROLE_PERMISSIONS[role]:
            if dotted.split(".", 1)[0] not in installed:
                continue
            if dotted not in existing:
                log.debug("permission %s not created for role %s", dotted, label)
                continue
            wanted.append(existing[dotted])
        group.permissions.set(wanted)
