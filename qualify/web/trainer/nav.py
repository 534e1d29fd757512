"""Menu entries of this area: (label, url name, permission or None for any signed-in user)."""

NAV: list[tuple[str, str, str | None]] = [
    ("Train", "web:trainer_home", "signatures.sign_trained_by"),
]
