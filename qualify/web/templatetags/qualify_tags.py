"""Template helpers shared by every page."""

import datetime as dt

from django import template

from qualify.web import zones
from qualify.web.markdown import render as render_markdown

register = template.Library()


@register.filter
def in_zone(value: dt.datetime | None, zone_name: str = "UTC") -> str:
    """T3: a time in the site's zone, with the zone named ("Europe/Dublin, IST")."""
    return zones.in_zone(value, zone_name)


@register.filter
def clock_in_zone(value: dt.datetime | None, zone_name: str = "UTC") -> str:
    """T3: the time of day to the second in the site's zone, the zone named."""
    return zones.clock_in_zone(value, zone_name)


@register.filter
def zone_name(zone: str | None) -> str:
    """T3: a zone as people read it: "Europe/Dublin, IST"; "UTC" alone."""
    return zones.zone_label(zone)


@register.filter
def utc(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@register.filter
def markdown(text: str):
    """A text or Markdown version's content as formatted, escaped HTML."""
    return render_markdown(text)


@register.simple_tag
def assignment_rows(assignments, zone: str, now):
    """Issue 18: an assignments table's rows, made in Python (see the module)."""
    from qualify.web.coordinator.assignment_rows import assignment_rows as rows

    return rows(assignments, zone=zone, now=now)


@register.simple_tag
def document_rows(rows, zone: str):
    """Issue 18: the documents list's rows, made in Python (see the module)."""
    from qualify.web.documents.document_rows import document_rows as made

    return made(rows, zone=zone)


@register.simple_tag
def transcript_rows(lines, zone: str):
    """Issue 18: a person's transcript's rows, made in Python (see the module)."""
    from qualify.web.transcript_rows import transcript_rows as made

    return made(lines, zone=zone)


@register.simple_tag
def own_record_rows(lines, zone: str):
    """Issue 18: an employee's records' rows, made in Python (see the module)."""
    from qualify.web.transcript_rows import own_record_rows as made

    return made(lines, zone=zone)


@register.simple_tag
def qualification_rows(lines, zone: str):
    """Issue 18: an employee's qualifications' rows, made in Python (see the module)."""
    from qualify.web.employee.qualification_rows import qualification_rows as made

    return made(lines, zone=zone)


@register.simple_tag
def user_rows(users):
    """Issue 18: the accounts table's rows, made in Python (see the module)."""
    from qualify.web.administration.user_rows import user_rows as rows

    return rows(users)
