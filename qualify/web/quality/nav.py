"""Menu entries of this area: (label, url name, permission or None for any signed-in user)."""

NAV: list[tuple[str, str, str | None]] = [
    ("Quality", "web:quality", "quality.manage_capa"),
    ("Quality", "web:quality", "quality.manage_change_control"),
    ("Report a deviation", "web:quality_deviation_new", "quality.report_deviation"),
]
