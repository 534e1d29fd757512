"""The rows of an assignments table as markup (issue 18).

Through the template language each of a page's 50 rows resolved a dozen variables,
reversed its own address and named its zone. Here a row is one format_html call
(escaping as the template did) and the address is reversed once per table: the
assignments page's CPU time went from 12.9 to 10.2 ms (medium plant). The markup is
the template's, byte for byte (tests/web/test_assignment_rows.py compares them). The
assignments themselves stay in the page's context, so the access log still names each
one shown (P152).
"""

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from qualify.training.models import Assignment, AssignmentStatus
from qualify.web.rendering import addresses, choice_labels
from qualify.web.zones import in_zone

# What a row shows, for `.only()` on the rows read for such a table (P213): a page of
# 50 assignments with all the fields of their person, requirement and version took 15 %
# more of its paging time (0.85 ms of 5.8 on PostgreSQL, medium plant).
FIELDS = (
    "pk",
    "person_id",
    "requirement_id",
    "document_version_id",
    "reason",
    "reason_text",
    "due_at",
    "status",
    "person__full_name",
    "person__employee_number",
    "requirement__code",
    "document_version__revision",
)

_OVERDUE = mark_safe(' <span class="badge bad">overdue</span>')
_ROW = (
    '\n  <tr><td>{} <small>{}</small></td><td><a href="{}">{}</a>{}</td><td>{}</td>'
    "\n    <td>{}</td>"
    "\n    <td>{}{}</td></tr>\n  "
)


def assignment_rows(assignments, *, zone: str, now) -> SafeString:
    """The <tr> elements of web/coordinator/_assignment_table.html for `assignments`
    (read with their person, requirement and document version), "" for none."""
    address = addresses("web:coordinator_assignment")
    reason, status = choice_labels(Assignment, "reason"), choice_labels(Assignment, "status")
    rows = []
    for a in assignments:
        version = (
            format_html(" <small>rev {}</small>", a.document_version.revision)
            if a.document_version_id
            else ""
        )
        late = a.status == AssignmentStatus.OPEN and a.due_at is not None and a.due_at < now
        rows.append(
            format_html(
                _ROW,
                a.person.full_name,
                a.person.employee_number,
                address(a.pk),
                a.requirement.code,
                version,
                a.reason_text or reason(a.reason),
                in_zone(a.due_at, zone),
                status(a.status),
                _OVERDUE if late else "",
            )
        )
    return mark_safe("".join(rows))
