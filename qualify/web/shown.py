"""P152 (A1): every page names the GxP records it shows in the access log.

The templates' backend (`Templates`, settings.TEMPLATES) hands each page's context,
once rendered, to `note_context`, which notes through the one access-log function
(qualify.audit.access) every GxP record the page was given: a record given alone is
an opening, records in a list, a page of a list or a table's rows are shown in a
list. So a new page cannot forget it, and the notes join the request's one batch.
Views that note what they open themselves (a transcript, the documents list) keep
doing so; a record noted twice in a request is written once.

What counts as shown is `access.shown_in` (the API's answers use it too): rows of
audited models reached from the context through lists, dicts, pages, querysets the
template read, dataclasses and the project's own objects. A form's choices are not
walked (Django's objects), nor the signed-in user and their own person, which every
page's header shows.
"""

from typing import Any

from django.db import models
from django.template.backends.django import DjangoTemplates, Template

from qualify.audit import access

SKIPPED_KEYS = frozenset({"user", "request", "perms", "messages", "csrf_token", "view", "menu"})


def note_context(context: dict, request: Any) -> None:
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return
    own = {user}
    person = getattr(user, "person", None)
    if person is not None:
        own.add(person)
    opened: list[models.Model] = []
    listed: list[models.Model] = []
    for key, value in context.items():
        if key in SKIPPED_KEYS:
            continue
        if isinstance(value, models.Model):
            opened += access.shown_in(value, depth=0)
        else:
            listed += access.shown_in(value)
    path = request.path
    access.note_all([obj for obj in opened if obj not in own], user=user, path=path, view="detail")
    access.note_all([obj for obj in listed if obj not in own], user=user, path=path, view="list")


class LoggedTemplate(Template):
    def render(self, context=None, request=None):
        html = super().render(context, request)
        if context and request is not None:
            note_context(context, request)
        return html


class Templates(DjangoTemplates):
    """Django's templates; each page's context is noted once rendered (see above)."""

    def from_string(self, template_code):
        return LoggedTemplate(super().from_string(template_code).template, self)

    def get_template(self, template_name):
        return LoggedTemplate(super().get_template(template_name).template, self)
