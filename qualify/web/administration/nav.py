"""Menu entries of this area: (label, url name, permission or None for any signed-in user)."""

NAV: list[tuple[str, str, str | None]] = [
    ("Users", "web:admin_users", "accounts.manage_accounts"),
    ("Access rights history", "web:admin_access_history", "audit.view_audit_trail"),
    ("Identity providers", "identity:settings", "accounts.manage_accounts"),
]
