"""Helpers shared by the employee, trainer, account and administration pages."""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms import Form

from qualify.org.models import Person


def person_of(user) -> Person | None:
    """The active person record of a signed-in user, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.select_related("site", "department").filter(user_id=user.pk).first()


def zone_of(user) -> str:
    """T3: pages show times in the zone of the user's site."""
    person = person_of(user)
    return person.site.time_zone if person is not None else settings.TIME_ZONE


def local_input(value: dt.datetime, zone: str) -> str:
    """A time formatted for an <input type="datetime-local"> in the site's zone."""
    return value.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def aware(value: dt.datetime, zone: str) -> dt.datetime:
    """A naive time typed on a page, read as the site's local time."""
    if value.tzinfo is not None:
        return value
    return value.replace(tzinfo=zoneinfo.ZoneInfo(zone))


def add_errors(form: Form, error: ValidationError) -> None:
    """Show a service's refusal on the form: on its field when the form has one."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
