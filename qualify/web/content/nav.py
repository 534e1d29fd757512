"""Menu entries of this area. The e-learning player is reached from the learner's
assignment, not the menu; document control authors courses."""

NAV: list[tuple[str, str, str | None]] = [
    ("E-learning courses", "web:content_courses", "documents.manage_documents"),
    ("cmi5 waivers", "web:content_waivers", "training.assign_training"),
]
