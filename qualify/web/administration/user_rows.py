"""The rows of the accounts table as markup (issue 18).

Through the template language each of a page's 50 rows looped over its roles and
clients, resolved a dozen variables and reversed its own address. Here a row is one
format_html call (escaping as the template did) and the address is reversed once per
table: the users page went from 4.4 and 4.8x to 4.0 and 4.2x the login page (two pairs
of runs, medium plant). Roles and clients come sorted from one statement, not from
Django's prefetch of each account's groups and client access. The markup is the
template's, byte for byte (tests/web/test_user_rows.py compares them). The accounts
stay in the page's context, so the access log still names each one shown (P152).
"""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from qualify.web.rendering import addresses

_ROW = (
    "\n  <tr>"
    '\n    <td><a href="{}">{}</a></td>'
    "\n    <td>{}</td>"
    "\n    <td>{}</td>"
    "\n    <td>{}</td>"
    "\n    <td>{}</td>"
    "\n    <td>{}</td>"
    "\n  </tr>"
)
_NO_ROLES = mark_safe('<span class="muted">none</span>')
_ALL_CLIENTS = mark_safe('<span class="muted">all</span>')
_DEACTIVATED = mark_safe('<span class="badge">deactivated</span>')
_LOCKED = mark_safe('<span class="badge bad">locked</span>')
_ACTIVE = mark_safe('<span class="badge good">active</span>')
_MAY_NOT_SIGN = mark_safe('<span class="muted">no</span>')


def _joined(names: list[str], empty: SafeString) -> SafeString:
    return format_html_join(", ", "{}", ((name,) for name in names)) if names else empty


def user_rows(users) -> SafeString:
    """The <tr> elements of web/administration/_users_table.html for `users` (with
    their `role_names` and `client_codes`: queries.with_roles_and_clients), "" for none."""
    address = addresses("web:admin_user")
    rows = []
    for u in users:
        if not u.is_active:
            status = _DEACTIVATED
        elif u.locked_at:
            status = _LOCKED
        else:
            status = _ACTIVE
        rows.append(
            format_html(
                _ROW,
                address(u.pk),
                u.username,
                u.printed_name,
                _joined(u.role_names, _NO_ROLES),
                status,
                _joined(u.client_codes, _ALL_CLIENTS),
                "yes" if u.may_sign else _MAY_NOT_SIGN,
            )
        )
    return mark_safe("".join(rows))
