from qualify.audit.registry import register_actions

register_actions(
    {
        # Running an export: its parameters and the SHA-256 of the file handed over.
        "report.exported": "Report exported",
        "report.export_failed": "Report export failed",
    }
)
