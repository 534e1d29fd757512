"""What a form may choose among when there are thousands of rows (issue 18): one
source per kind. The form's field validates against `source.rows(user)` and the
search endpoint searches the same rows, so neither can offer, accept or reveal a row
the other would not: the client restriction and reach are those of the kind's own
query function."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Model, Q, QuerySet

from qualify.documents import queries as documents
from qualify.org import queries as org
from qualify.quality import queries as quality
from qualify.training import queries as training

LIMIT = 20
MAX_LENGTH = 100


@dataclass(frozen=True)
class Source:
    name: str
    noun: str  # "person", as in "No person … has the employee number"
    key_words: str  # what an exact key is, for the help text and errors
    rows: Callable[[Any], QuerySet]
    search_fields: tuple[str, ...]
    key_fields: tuple[str, ...]  # exact, letter case ignored
    order: tuple[str, ...]
    label: Callable[[Model], str]

    def search(self, user: Any, text: str) -> list[Model]:
        """At most LIMIT rows of the user's reach whose search fields contain `text`."""
        text = text.strip()
        if not text or len(text) > MAX_LENGTH or "\x00" in text:
            return []
        match = Q()
        for name in self.search_fields:
            match |= Q(**{f"{name}__icontains": text})
        return list(self.rows(user).filter(match).order_by(*self.order)[:LIMIT])

    def by_key(self, rows: QuerySet, key: str) -> list[Model]:
        """The rows of `rows` (at most two: enough to tell one from ambiguous) whose
        exact key is `key`."""
        match = Q()
        for name in self.key_fields:
            match |= Q(**{f"{name}__iexact": key})
        return list(rows.filter(match).order_by("pk")[:2])


def _active_people(user):
    return org.people(user).filter(active=True)


def _open_documents(user):
    return documents.documents(user).filter(obsolete_from__isnull=True)


def _active_requirements(user):
    return training.requirements(user).filter(active=True)


def _active_accounts(user):
    # Accounts carry no client (U2): the same for every user who may assign an owner.
    return get_user_model().objects.filter(is_active=True)


def _active_job_functions(user):
    return org.job_functions(user).filter(active=True)


def _active_departments(user):
    return org.departments(user).filter(active=True)


def _person_label(p) -> str:
    return f"{p.full_name} ({p.employee_number})"


def _document_label(d) -> str:
    return f"{d.number} {d.title}"


PEOPLE = Source(
    name="people",
    noun="person",
    key_words="employee number or user id",
    rows=_active_people,
    search_fields=("full_name", "employee_number", "user__username"),
    key_fields=("employee_number", "user__username"),
    order=("full_name", "pk"),
    label=_person_label,
)
DOCUMENTS = Source(
    name="documents",
    noun="document",
    key_words="document number",
    rows=documents.documents,
    search_fields=("number", "title"),
    key_fields=("number",),
    order=("number",),
    label=_document_label,
)
OPEN_DOCUMENTS = Source(
    name="open-documents",
    noun="document in force or in preparation",
    key_words="document number",
    rows=_open_documents,
    search_fields=("number", "title"),
    key_fields=("number",),
    order=("number",),
    label=_document_label,
)
REQUIREMENTS = Source(
    name="requirements",
    noun="active training requirement",
    key_words="requirement code",
    rows=_active_requirements,
    search_fields=("code", "title"),
    key_fields=("code",),
    order=("code",),
    label=lambda r: f"{r.code} {r.title}",
)
ACCOUNTS = Source(
    name="accounts",
    noun="active user",
    key_words="user id",
    rows=_active_accounts,
    search_fields=("printed_name", "username"),
    key_fields=("username",),
    order=("printed_name", "username"),
    label=lambda u: f"{u.printed_name} ({u.username})",
)
DEVIATIONS = Source(
    name="deviations",
    noun="deviation",
    key_words="deviation number",
    rows=quality.deviations,
    search_fields=("number", "description"),
    key_fields=("number",),
    order=("-occurred_at", "pk"),
    label=lambda d: f"{d.number}: {d.description}"[:120],
)

JOB_FUNCTIONS = Source(
    name="job-functions",
    noun="active job function",
    key_words="job function code",
    rows=_active_job_functions,
    search_fields=("code", "name"),
    key_fields=("code",),
    order=("code",),
    label=str,
)
# Accounts carry no client (U2); the same rule as the API's owner by user id.
DOCUMENT_OWNERS = Source(
    name="document-owners",
    noun="document controller or QA approver",
    key_words="user id",
    rows=lambda user: documents.possible_owners(),
    search_fields=("printed_name", "username"),
    key_fields=("username",),
    order=("printed_name", "username"),
    label=lambda u: f"{u.printed_name} ({u.username})",
)
# Departments carry no client (U2): organisation structure, the same for every user
# who may fill a form that names one (60 on the large plant).
DEPARTMENTS = Source(
    name="departments",
    noun="active department",
    key_words="department code",
    rows=_active_departments,
    search_fields=("code", "name", "site__code"),
    key_fields=("code",),
    order=("site__code", "code"),
    label=str,
)

SOURCES = {
    s.name: s
    for s in (
        PEOPLE,
        DOCUMENTS,
        OPEN_DOCUMENTS,
        REQUIREMENTS,
        ACCOUNTS,
        DEVIATIONS,
        JOB_FUNCTIONS,
        DEPARTMENTS,
        DOCUMENT_OWNERS,
    )
}
