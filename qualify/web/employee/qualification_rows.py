"""The rows of an employee's qualifications as markup (issue 18).

The page lists every training the person must hold, 50 and more on the medium plant,
and through the template language each row resolved some twenty variables. Here a row
is one format_html call (escaping as the template did). The markup is
web/employee/my_qualifications.html's, byte for byte
(tests/web/test_qualification_rows.py compares them).
"""

from django.template.defaultfilters import date
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime

from qualify.web.rendering import shown
from qualify.web.zones import in_zone

_ROW = (
    "\n  <tr>"
    '\n    <td>{}<br><span class="muted">{}</span></td>'
    "\n    <td>{}</td>"
    "\n    <td>{}"
    "\n        {}</td>"
    "\n    <td>{}</td>"
    "\n  </tr>"
)
_IN_GRACE = mark_safe('<span class="badge warn">qualified (in grace)</span>')
_QUALIFIED = mark_safe('<span class="badge good">qualified</span>')
_NOT_QUALIFIED = mark_safe('<span class="badge bad">not qualified</span>')
_BROKEN = mark_safe(" (broken)")


def _state(answer) -> SafeString:
    if answer.in_grace:
        if not answer.grace_ends:
            return _IN_GRACE
        # `{{ value|date:"Y-m-d" }}`: the date filter reads the time in the current zone.
        return format_html(
            "{} until {}", _IN_GRACE, date(template_localtime(answer.grace_ends), "Y-m-d")
        )
    return _QUALIFIED if answer.qualified else _NOT_QUALIFIED


def _evidence(answer, zone: str) -> SafeString:
    record = answer.record
    if not record:
        return mark_safe("")
    signatures = "".join(
        format_html(
            '<br><span class="manifestation">{}{}</span>',
            s.signature.manifestation,
            "" if s.valid else _BROKEN,
        )
        for s in answer.signatures
    )
    return format_html(
        "Record {}, {}{}\n        {}",
        shown(record.pk),
        in_zone(record.completed_at, zone),
        format_html(" on {}", answer.version) if answer.version else "",
        mark_safe(signatures),
    )


def _why(reasons) -> SafeString:
    return mark_safe(
        "; ".join(
            format_html("{} ({})", why.kind, why.detail)
            if why.detail
            else format_html("{}", why.kind)
            for why in reasons
        )
    )


def qualification_rows(lines, *, zone: str) -> SafeString:
    """The <tr> elements of web/employee/my_qualifications.html for its lines."""
    out = []
    for line in lines:
        answer = line.answer
        out.append(
            format_html(
                _ROW,
                line.requirement.code,
                line.requirement.title,
                _state(answer),
                _evidence(answer, zone),
                mark_safe(
                    "".join(
                        format_html('<br><span class="reason">{}</span>', reason.label)
                        for reason in answer.reasons
                    )
                ),
                _why(line.why),
            )
        )
    return mark_safe("".join(out))
