"""Menu entries of this area: (label, url name, permission or None for any signed-in user)."""

NAV: list[tuple[str, str, str | None]] = [
    ("Qualified?", "web:inspector_question", "training.view_trainingrecord"),
    ("Audit trail", "web:inspector_audit", "audit.view_audit_trail"),
]
