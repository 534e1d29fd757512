"""Template helpers shared by every page."""

import datetime as dt
import zoneinfo

from django import template

register = template.Library()


@register.filter
def in_zone(value: dt.datetime | None, zone_name: str = "UTC") -> str:
    """T3: a time in the site's zone, with the zone named."""
    if value is None:
        return ""
    zone = zoneinfo.ZoneInfo(zone_name or "UTC")
    local = value.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({zone_name})"


@register.filter
def utc(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
