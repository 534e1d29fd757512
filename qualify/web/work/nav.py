"""No menu entry here: "My work" and its count sit first in the menu (base.html), for
every signed-in user, computed once per request (qualify.web.nav.menu)."""

NAV: list[tuple[str, str, str | None]] = []
