"""No menu entry: lookups are searched from inside the forms that use them."""

NAV: list[tuple[str, str, str | None]] = []
