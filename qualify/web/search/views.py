"""Finding things from the header's search box: people (name, employee number, user
id), documents (number, title) and quality records (number), letter case ignored.

Each kind is searched only for a user whose roles read it (the access policy's rule
for that kind), and through that kind's query function, which applies the client
restriction and the own-records reach (U2, P15): the search never shows a row the
user's own list pages would not."""

from django.db.models import Q
from django.shortcuts import render
from django.urls import reverse

from qualify.accounts import policy
from qualify.documents import queries as documents
from qualify.org import queries as org
from qualify.quality import queries as quality

LIMIT = 20
MAX_LENGTH = 100


def _people(user, text):
    rows = org.people(user).filter(org.person_text_match(text))
    return [
        (f"{p.full_name} ({p.employee_number})", reverse("web:org_person", args=[p.pk]))
        for p in rows.order_by("full_name", "pk")[:LIMIT]
    ]


def _documents(user, text):
    rows = documents.documents(user).filter(Q(number__icontains=text) | Q(title__icontains=text))
    return [
        (f"{d.number} {d.title}", reverse("web:document", args=[d.number]))
        for d in rows.order_by("number")[:LIMIT]
    ]


def _quality(kind, rows, text):
    return [
        (str(r.number), reverse("web:quality_detail", args=[kind, r.pk]))
        for r in rows.filter(number__icontains=text).order_by("number")[:LIMIT]
    ]


def search(request):
    text = request.GET.get("q", "").strip()
    error = ""
    if len(text) > MAX_LENGTH:
        error = f"Search for at most {MAX_LENGTH} characters."
    elif "\x00" in text:
        error = "The search text contains a character that cannot be searched for."
    user = request.user
    sections = []
    if text and not error:
        kinds = [
            ("People", policy.PEOPLE, lambda: _people(user, text)),
            ("Documents", policy.DOCUMENTS, lambda: _documents(user, text)),
            ("CAPAs", policy.CAPAS, lambda: _quality("capas", quality.capas(user), text)),
            (
                "Deviations",
                policy.DEVIATIONS,
                lambda: _quality("deviations", quality.deviations(user), text),
            ),
            (
                "Change controls",
                policy.CHANGE_CONTROLS,
                lambda: _quality("change-controls", quality.change_controls(user), text),
            ),
        ]
        for label, rule, find in kinds:
            if policy.may(user, rule, "GET"):
                sections.append((label, find()))
    return render(
        request,
        "web/search/results.html",
        {"q": text, "sections": sections, "error": error, "limit": LIMIT},
        status=400 if error else 200,
    )
