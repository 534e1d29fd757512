"""T3: pages show times in the site's zone, with the zone named. The one place the pages
take a user's zone from, turn typed local times into aware ones, and name a zone
("Europe/Dublin, IST"; plain "UTC" for UTC, never "UTC (UTC)")."""

import datetime as dt
import zoneinfo

from django.conf import settings

from qualify.accounts.models import User
from qualify.org.models import Person


def zone_of(user) -> str:
    """The zone of the user's site (their person record), else the installation's."""
    if user is None or not getattr(user, "is_authenticated", False):
        return settings.TIME_ZONE
    if User.person.related.is_cached(user):
        # The request's user comes with their person and site (LockoutAwareBackend).
        person = user.person if hasattr(user, "person") else None
        site = person.site if person is not None else None
        return (site.time_zone if site is not None else None) or settings.TIME_ZONE
    site_zone = (
        Person.objects.filter(user_id=user.pk, site__isnull=False)
        .values_list("site__time_zone", flat=True)
        .first()
    )
    return site_zone or settings.TIME_ZONE


def local_input(value: dt.datetime | None, zone: str) -> str:
    """A time as the value of an <input type="datetime-local"> in the zone."""
    if value is None:
        return ""
    return value.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def aware(value: dt.datetime, zone: str) -> dt.datetime:
    """A naive time typed on a page, read as local time in the zone."""
    if value.tzinfo is not None:
        return value
    return value.replace(tzinfo=zoneinfo.ZoneInfo(zone))


def zone_label(zone: str | None, at: dt.datetime | None = None) -> str:
    """The zone by name with its abbreviation at `at` (default now): "Europe/Dublin,
    IST" in summer, "Europe/Dublin, GMT" in winter; "UTC" alone."""
    name = zone or "UTC"
    info = zoneinfo.ZoneInfo(name)
    abbreviation = (at or dt.datetime.now(dt.UTC)).astimezone(info).tzname()
    if not abbreviation or abbreviation == name or abbreviation.lstrip("+-").isdigit():
        return name
    return f"{name}, {abbreviation}"


def in_zone(value: dt.datetime | None, zone: str | None) -> str:
    """A time in the zone, the zone named: "2026-07-01 10:00 (Europe/Dublin, IST)"."""
    if value is None:
        return ""
    local = value.astimezone(zoneinfo.ZoneInfo(zone or "UTC"))
    label = zone_label(zone, value)
    if label == "UTC":
        return f"{local:%Y-%m-%d %H:%M} UTC"
    return f"{local:%Y-%m-%d %H:%M} ({label})"


def clock_in_zone(value: dt.datetime | None, zone: str | None) -> str:
    """The time of day to the second, the zone named: "10:00:07 (Europe/Dublin, IST)"."""
    if value is None:
        return ""
    local = value.astimezone(zoneinfo.ZoneInfo(zone or "UTC"))
    label = zone_label(zone, value)
    return f"{local:%H:%M:%S} UTC" if label == "UTC" else f"{local:%H:%M:%S} ({label})"
