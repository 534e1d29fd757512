"""Menu entries of this area: (label, url name, permission or None for any signed-in user)."""

NAV: list[tuple[str, str, str | None]] = [
    ("Matrix", "web:coordinator_matrix", "training.change_matrix"),
    ("Requirements", "web:coordinator_requirements", "training.manage_requirements"),
    ("People", "web:coordinator_people", "org.manage_people"),
    ("Assignments", "web:coordinator_assignments", "training.assign_training"),
    ("Compliance", "web:coordinator_dashboard", "training.change_matrix"),
    ("Effectiveness", "web:coordinator_effectiveness", "training.change_matrix"),
    ("Certificates", "web:coordinator_certificates", "training.verify_certificate"),
]
