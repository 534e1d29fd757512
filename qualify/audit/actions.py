from qualify.audit.registry import register_actions

register_actions(
    {
        "audit.checkpoint.signed": "Audit checkpoint signed",
        "audit.exported": "Audit trail exported",
        "audit.key.rotated": "Audit signing key rotated",
        "audit.security.baseline": "Security state recorded",
        # System history (qualify.audit.system).
        "system.upgraded": "System upgraded",
        "system.settings_changed": "Security settings changed",
    }
)
