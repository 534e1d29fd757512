"""Menu entries of this area: (label, url name, permission or None for any signed-in user)."""

NAV: list[tuple[str, str, str | None]] = [
    ("My training", "web:employee_training", "signatures.sign_read_and_understood"),
    ("My records", "web:employee_records", "signatures.sign_read_and_understood"),
    ("My qualifications", "web:employee_qualifications", "signatures.sign_read_and_understood"),
    ("My learning path", "web:employee_path", "signatures.sign_read_and_understood"),
]
