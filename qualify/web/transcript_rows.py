"""The rows of a person's transcript, and of an employee's own records, as markup
(issue 18).

Through the template language each record's row resolved about twenty variables and
included the signature checks' template, so the inspector's transcript of a person
with 50 records (the large plant) cost 2.8x that of a person with 8 (the medium
plant). Here a row is one format_html call (escaping as the template did) and its
signatures another. The markup is the templates' (web/inspector/transcript.html with
web/documents/_signature_checks.html, web/employee/my_records.html with
web/employee/_manifestations.html), byte for byte
(tests/web/test_transcript_rows.py compares them). The records stay in the view and
are noted in the access log (P141).
"""

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from qualify.training.models import TrainingRecord
from qualify.web.rendering import addresses, choice_labels, shown
from qualify.web.zones import in_zone

_ROW = (
    "\n  <tr{}><td>{}<br><small>recorded {}</small>{}</td>"
    "\n    <td>{}<br><small>{}</small></td>"
    "\n    <td>{}</td>"
    "\n    <td>{}; {}{}{}"
    "\n      {}{}</td>"
    "\n    <td>{}</td></tr>"
    "\n  "
)
_SUPERSEDED = mark_safe(' class="superseded"')
_LATE = mark_safe(' <span class="badge warn">late</span>')
_NO_VERSION = "\u2013"  # an en dash
# web/documents/_signature_checks.html: its comment line renders as nothing, its last
# line ends with a newline.
_NO_SIGNATURES = mark_safe('\n<p class="muted">No signatures.</p>\n')
_CHECK = '\n  <li class="manifestation">{}\n    {}\n    {}</li>\n'
_VALID = mark_safe('<span class="badge good">valid</span>')


def signature_checks(checks) -> SafeString:
    """web/documents/_signature_checks.html for these SignatureChecks."""
    if not checks:
        return _NO_SIGNATURES
    items = []
    for check in checks:
        signature = check.signature
        items.append(
            format_html(
                _CHECK,
                signature.manifestation,
                _VALID
                if check.valid
                else format_html(
                    '<span class="badge bad" title="{}">broken: {}</span>',
                    check.reason,
                    check.reason,
                ),
                format_html('<br><span class="comment">“{}”</span>', signature.comment)
                if signature.comment
                else "",
            )
        )
    return mark_safe('\n<ul class="signatures">' + "".join(items) + "</ul>\n")


def transcript_rows(lines, *, zone: str) -> SafeString:
    """The <tr> elements of web/inspector/transcript.html for person_transcript's
    lines, "" for none."""
    method, evidence = (
        choice_labels(TrainingRecord, "method"),
        choice_labels(TrainingRecord, "evidence"),
    )
    out = []
    for line in lines:
        r = line.record
        version = r.document_version
        out.append(
            format_html(
                _ROW,
                _SUPERSEDED if line.superseded_by else "",
                in_zone(r.completed_at, zone),
                in_zone(r.recorded_at, zone),
                _LATE if r.late_entry else "",
                r.requirement.code,
                r.requirement.title,
                format_html("{} rev {}", version.document.number, version.revision)
                if version
                else _NO_VERSION,
                method(r.method),
                evidence(r.evidence),
                mark_safe(f" {shown(r.score)}/{shown(r.pass_mark)}") if r.score is not None else "",
                format_html("<br>trainer {}", r.trainer.full_name) if r.trainer else "",
                format_html(
                    '<br><span class="badge muted">corrected by record #{}</span>',
                    shown(line.superseded_by.pk),
                )
                if line.superseded_by
                else "",
                format_html("<br><small>correction: {}</small>", r.correction_reason)
                if r.correction_reason
                else "",
                signature_checks(line.signatures),
            )
        )
    return mark_safe("".join(out))


# The employee's own records (web/employee/my_records.html), newest first.
_OWN_ROW = (
    "\n  <tr{}>"
    '\n    <td><a href="{}">{}</a><br><span class="muted">{}</span>'
    "\n      {}"
    "\n      {}</td>"
    "\n    <td>{}</td>"
    "\n    <td>{}{}</td>"
    "\n    <td>{}{}{}</td>"
    "\n    <td>{}</td>"
    "\n  </tr>"
)
_LATE_ENTRY = mark_safe(' <span class="badge warn">late entry</span>')
_NO_SIGNATURE = mark_safe(
    '<ul class="signatures"><li class="manifestation">No signature.</li></ul>\n'
)


def manifestations(checks) -> SafeString:
    """web/employee/_manifestations.html for these SignatureChecks."""
    if not checks:
        return _NO_SIGNATURE
    items = [
        format_html(
            '\n  <li class="manifestation">{}{}</li>\n',
            check.signature.manifestation,
            ""
            if check.valid
            else format_html(' <span class="badge bad">broken: {}</span>', check.reason),
        )
        for check in checks
    ]
    return mark_safe('<ul class="signatures">' + "".join(items) + "</ul>\n")


def own_record_rows(lines, *, zone: str) -> SafeString:
    """The <tr> elements of web/employee/my_records.html for its lines."""
    address = addresses("web:employee_record")
    method = choice_labels(TrainingRecord, "method")
    out = []
    for line in lines:
        r = line.record
        out.append(
            format_html(
                _OWN_ROW,
                _SUPERSEDED if line.superseded_by else "",
                address(r.pk),
                r.requirement.code,
                r.requirement.title,
                format_html(
                    '<br><span class="badge warn">corrected by record {}</span>',
                    shown(line.superseded_by.pk),
                )
                if line.superseded_by
                else "",
                format_html(
                    '<br><span class="badge">corrects record {}: {}</span>',
                    shown(r.supersedes_id),
                    r.correction_reason,
                )
                if r.supersedes_id
                else "",
                r.document_version or "\u2014",  # an em dash
                in_zone(r.completed_at, zone),
                _LATE_ENTRY if r.late_entry else "",
                method(r.method),
                format_html('<br><span class="muted">trainer {}</span>', r.trainer.full_name)
                if r.trainer
                else "",
                mark_safe(f"<br>score {shown(r.score)} / pass {shown(r.pass_mark)}")
                if r.score is not None
                else "",
                manifestations(line.signatures),
            )
        )
    return mark_safe("".join(out))
