"""Helpers shared by the employee, trainer, account and administration pages."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.forms import Form

from qualify.org.models import Person
from qualify.web import zones


def person_of(user) -> Person | None:
    """The person record of a signed-in user, if any, with their site and department:
    the request's own user has them from the read that signed them in (P209), so the
    employee's pages do not read them again."""
    if not getattr(user, "is_authenticated", False):
        return None
    relation = get_user_model().person.related
    if relation.is_cached(user):
        person = relation.get_cached_value(user)
        if person is None or Person.department.field.is_cached(person):
            return person
    return Person.objects.select_related("site", "department").filter(user_id=user.pk).first()


# T3: one zone helper for every page (qualify.web.zones); the names stay for callers.
zone_of = zones.zone_of
local_input = zones.local_input
aware = zones.aware


def add_errors(form: Form, error: ValidationError) -> None:
    """Show a service's refusal on the form: on its field when the form has one."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
