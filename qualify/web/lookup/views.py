"""The search behind a lookup field: at most LIMIT rows of the field's source that
the signed-in user reaches, as options to pick (an htmx fragment)."""

from django.http import Http404
from django.shortcuts import render

from qualify.audit import access
from qualify.web.lookup.fields import TEXT_SUFFIX
from qualify.web.lookup.queries import LIMIT, SOURCES


def _text(request) -> str:
    """The search text: `q`, or the lookup's own text box (htmx sends the box under
    its name, `<field>__q`)."""
    if "q" in request.GET:
        return request.GET["q"]
    for name, value in request.GET.items():
        if name.endswith(TEXT_SUFFIX):
            return value
    return ""


def lookup(request, kind: str):
    source = SOURCES.get(kind)
    if source is None:
        raise Http404("No such lookup.")
    rows = source.search(request.user, _text(request))
    # P141: the matches offered are a list shown, like the list pages' rows.
    access.note_shown(rows, user=request.user, path=request.path)
    options = [(str(r.pk), source.label(r)) for r in rows]
    return render(
        request,
        "web/lookup/options.html",
        {"options": options, "full": len(options) >= LIMIT, "text": _text(request).strip()},
    )
