"""The rows of the documents list as markup (issue 18).

Through the template language each of a page's 50 rows resolved about fourteen
variables and reversed two addresses. Here a row is one format_html call (escaping as
the template did) and each address is reversed once per table. The markup is the
template's, byte for byte (tests/web/test_document_rows.py compares them). The
documents stay in the page's context and the view notes them in the access log (P141).
"""

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from qualify.documents.models import Document, DocumentVersion
from qualify.web.rendering import addresses, choice_labels, text_addresses
from qualify.web.zones import in_zone

_ROW = (
    "\n  <tr>"
    '\n    <td><a href="{}">{}</a> {}{}</td>'
    "\n    <td>{}</td>"
    "\n    <td>{}</td>"
    "\n    <td>{}</td>"
    "\n    <td>{}</td>"
    "\n  </tr>\n  "
)
_OBSOLETE = mark_safe(' <span class="badge bad">obsolete</span>')
_NONE_IN_FORCE = mark_safe('<span class="badge warn">none</span>')


def document_rows(rows, *, zone: str) -> SafeString:
    """The <tr> elements of web/documents/list.html for documents.queries'
    document_list_page rows ({"document", "effective", "pending"}), "" for none."""
    document_address = text_addresses("web:document")
    version_address = addresses("web:document_version")
    status = choice_labels(DocumentVersion, "status")
    doc_type = choice_labels(Document, "doc_type")
    out = []
    for row in rows:
        d, effective, pending = row["document"], row["effective"], row["pending"]
        in_force = (
            format_html(
                'rev {} <span class="badge good">Effective</span> since {}',
                effective.revision,
                in_zone(effective.effective_from, zone),
            )
            if effective
            else _NONE_IN_FORCE
        )
        worked_on = (
            format_html(
                '<a href="{}">rev {}</a> <span class="badge warn">{}</span>',
                version_address(pending.pk),
                pending.revision,
                status(pending.status),
            )
            if pending
            else ""
        )
        out.append(
            format_html(
                _ROW,
                document_address(d.number),
                d.number,
                d.title,
                _OBSOLETE if d.obsolete_from else "",
                doc_type(d.doc_type),
                d.client or "in-house",
                in_force,
                worked_on,
            )
        )
    return mark_safe("".join(out))
