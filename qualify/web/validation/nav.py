"""Menu entries of this area: (label, url name, permission or None for any signed-in user)."""

NAV: list[tuple[str, str, str | None]] = [
    ("Validation", "web:validation_runs", "validation.view_validationrun"),
]
