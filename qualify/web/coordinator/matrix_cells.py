"""The matrix page's cells as markup, one string per row (issue 18).

A page of the grid is 50 rows by 25 job functions: rendered through the template
language, each of the 1,250 cells resolved a dozen variables, reversed its own "end"
address and named its zone, and that was most of the page's time. Here a cell is one
format_html call (escaping as the template did) and the "end" address is reversed
once per page. The markup is the template's, byte for byte.
"""

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from qualify.training.models import Requirement
from qualify.web.coordinator.queries import Cell
from qualify.web.rendering import addresses, choice_labels
from qualify.web.zones import in_zone

_EMPTY = mark_safe('<td class="cell"></td>')


def _cell(cell: Cell | None, zone: str, end_url: str | None) -> SafeString:
    if cell is None:
        return _EMPTY
    entry = cell.entry
    parts = [
        format_html(
            '<span title="from {}: {}">✓ {}d</span>',
            in_zone(entry.valid_from, zone),
            entry.reason,
            entry.window_days,
        )
    ]
    if cell.via_curriculum:
        parts.append(format_html("<small> via {}</small>", entry.curriculum.code))
    elif end_url is not None:
        parts.append(
            format_html(
                ' <a class="end" href="{}" aria-label="End {}">end</a>',
                end_url(entry.pk),
                entry,
            )
        )
    if cell.in_grace:
        names = "; ".join(
            f"{g.person.full_name} until {in_zone(g.grace_ends, zone)}" for g in cell.in_grace
        )
        parts.append(
            format_html(
                '<br><span class="badge warn" title="{}">{} qualified (in grace)</span>'
                " <small>until {}</small>",
                names,
                len(cell.in_grace),
                in_zone(cell.grace_ends, zone),
            )
        )
    return format_html('<td class="cell on">{}</td>', mark_safe("".join(parts)))


def _recurs(requirement) -> SafeString:
    if not requirement.recurrence_months:
        return mark_safe("\u2013")  # an en dash
    if requirement.grace_days:
        return format_html(
            "{} mo<br><small>grace {}d</small>",
            requirement.recurrence_months,
            requirement.grace_days,
        )
    return format_html("{} mo", requirement.recurrence_months)


def cell_rows(rows, *, zone: str, may_end: bool) -> list[tuple[object, SafeString]]:
    """(requirement, its row's markup: the requirement's heading and cells) for each row
    of a MatrixPage; `may_end` says whether each cell links to ending its entry (the
    user may change the matrix). P210: the heading too is made here, once a row, not
    through the template's half-dozen lookups a row."""
    end_url = addresses("web:coordinator_matrix_end") if may_end else None
    method = choice_labels(Requirement, "method")
    out = []
    for requirement, cells in rows:
        heading = format_html(
            '\n  <tr><th scope="row"><span class="code">{}</span><br><small>{}</small></th>'
            "\n    <td>{}</td>\n    ",
            requirement.code,
            method(requirement.method),
            _recurs(requirement),
        )
        # Each cell is escaped markup already: a row is their concatenation.
        row = "".join([_cell(c, zone, end_url) for c in cells])
        out.append((requirement, mark_safe(f"{heading}{row}\n  </tr>")))
    return out
