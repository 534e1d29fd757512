from qualify.audit.registry import register_actions

register_actions(
    {
        # Running an export: its parameters and the SHA-256 of the file handed over.
        "report.exported": "Report exported",
        "report.export_failed": "Report export failed",
    }
)

register_actions(
    {
        # Audit-trail review (Annex 11 §9).
        "report.audit_review.opened": "Audit-trail review opened",
        "report.audit_review.finding": "Audit-trail review finding noted",
        "report.audit_review.signed": "Audit-trail review signed",
    }
)
