"""No menu entry: the search box sits in the page header (base.html)."""

NAV: list[tuple[str, str, str | None]] = []
