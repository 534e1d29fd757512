"""P152 (A1): every page names the GxP records it shows in the access log.

The templates' backend (`Templates`, settings.TEMPLATES) hands each page's context,
once rendered, to `note_context`, which notes through the one access-log function
(qualify.audit.access) every GxP record the page was given: a record given alone is
an opening, records in a list, a page of a list or a table's rows are shown in a
list. So a new page cannot forget it, and the notes join the request's one batch.
Views that note what they open themselves (a transcript, the documents list) keep
doing so; a record noted twice in a request is written once.

What counts as shown: a row of an audited model reached from the context through
lists, dicts, pages, evaluated querysets (only what the template read: walking never
queries), dataclasses and the project's own objects, at most DEPTH levels down. A
form's choices are not walked (Django's objects), nor the signed-in user and their
own person, which every page's header shows. A signature is part of the record it
is bound to (its manifestation, 21 CFR 11.50): the record's entry answers for it.
"""

import dataclasses
from typing import Any

from django.core.paginator import Page
from django.db import models
from django.db.models.query import QuerySet
from django.template.backends.django import DjangoTemplates, Template

from qualify.audit import access
from qualify.signatures.models import Signature

DEPTH = 4
# Per collection, and per page: bounds the walk on a page that shows a large table.
PER_COLLECTION = 500
PER_PAGE = 5_000
SKIPPED_KEYS = frozenset({"user", "request", "perms", "messages", "csrf_token", "view", "menu"})


def _walk(value: Any, depth: int, seen: set[int], out: list[models.Model]) -> None:
    if depth < 0 or len(out) >= PER_PAGE or value is None or isinstance(value, str | bytes):
        return
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, models.Model):
        if value.pk is not None and access.is_gxp(value) and not isinstance(value, Signature):
            out.append(value)
        return
    if isinstance(value, QuerySet):
        items = value._result_cache or []
    elif isinstance(value, Page):
        items = value.object_list
        if isinstance(items, QuerySet):
            items = items._result_cache or []
    elif isinstance(value, dict):
        items = list(value.values())
    elif isinstance(value, list | tuple | set | frozenset):
        items = value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        items = [getattr(value, f.name, None) for f in dataclasses.fields(value)]
    elif type(value).__module__.startswith("qualify.") and hasattr(value, "__dict__"):
        items = list(vars(value).values())
    else:
        return
    for n, item in enumerate(items):
        if n >= PER_COLLECTION:
            break
        _walk(item, depth - 1, seen, out)


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
    seen: set[int] = set()
    for key, value in context.items():
        if key in SKIPPED_KEYS:
            continue
        if isinstance(value, models.Model):
            _walk(value, 0, seen, opened)
        else:
            _walk(value, DEPTH, seen, listed)
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
