"""`qualify qualified PERSON DOCUMENT`: was PERSON qualified on DOCUMENT (Q4)?

    qualify qualified E00042 SOP-014                       # now
    qualify qualified jdoe SOP-014 --at 2024-05-01T14:00Z  # at an instant
    qualify qualified jdoe SOP-014 --at ... --as-known-at ... --json

PERSON is an employee number or a user name, DOCUMENT a document number. Exit
status: 0 qualified, 1 not qualified, 2 bad input. The answer is the engine's
(`engine.document_qualification`), the same function the pages, the API and the gate
call with the same arguments (Q9). Django's `qualify check` is Django's system check.
"""

import datetime as dt
import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone

from qualify.documents.models import Document
from qualify.org.models import Person
from qualify.training import engine


def parse_instant(name: str, text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"{name}: {text!r} is not an ISO 8601 time (e.g. 2024-05-01T14:00:00Z).",
            returncode=2,
        ) from None
    if value.tzinfo is None:
        raise CommandError(
            f"{name}: {text!r} has no UTC offset; add one (Z or +01:00) so the instant "
            "is unambiguous (T1).",
            returncode=2,
        )
    return value.astimezone(dt.UTC)


def find_person(key: str) -> Person:
    found = (
        Person.objects.filter(Q(employee_number=key) | Q(user__username=key))
        .select_related("site", "user")
        .annotate(
            by_number=Case(
                When(employee_number=key, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("by_number", "pk")
        .first()
    )
    if found is None:
        raise CommandError(f"No person with employee number or user name {key!r}.", returncode=2)
    return found


def find_document(number: str) -> Document:
    document = Document.objects.filter(number=number).first()
    if document is None:
        raise CommandError(f"No document numbered {number!r}.", returncode=2)
    return document


def iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def version_label(version) -> str | None:
    if version is None:
        return None
    return f"rev {version.revision}"


def requirement_json(answer: engine.RequirementAnswer) -> dict:
    record = answer.record
    return {
        "requirement": answer.requirement.code,
        "title": answer.requirement.title,
        "qualified": answer.qualified,
        "in_grace": answer.in_grace,
        "grace_ends": iso(answer.grace_ends),
        "reasons": [str(r) for r in answer.reasons],
        "record": None
        if record is None
        else {
            "id": record.pk,
            "completed_at": iso(record.completed_at),
            "recorded_at": iso(record.recorded_at),
            "method": record.method,
            "evidence": record.evidence,
            "score": None if record.score is None else str(record.score),
            "trainer": record.trainer_id,
        },
        "trained_on": version_label(answer.version),
        "signatures": [
            {
                "role": s.role,
                "status": s.status,
                "manifestation": s.signature.manifestation,
            }
            for s in answer.signatures
        ],
        "trainer_qualified": answer.trainer_qualified,
    }


def answer_json(answer: engine.DocumentAnswer) -> dict:
    person, document = answer.person, answer.document
    return {
        "person": {"employee_number": person.employee_number, "name": person.full_name},
        "document": document.number,
        "at": iso(answer.at),
        "as_known_at": iso(answer.as_known_at),
        "qualified": answer.qualified,
        "in_grace": answer.in_grace,
        "grace_ends": iso(answer.grace_ends),
        "effective_version": version_label(answer.effective_version),
        "no_training_defined": answer.no_training_defined,
        "reasons": [str(r) for r in answer.reasons],
        "requirements": [requirement_json(a) for a in answer.requirements],
    }


class Command(BaseCommand):
    help = (
        "Was the person (employee number or user name) qualified on the document at an "
        "instant (Q4), as known at another (Q7)? Exit 0 qualified, 1 not, 2 bad input."
    )

    def add_arguments(self, parser):
        parser.add_argument("person", help="Employee number or user name.")
        parser.add_argument("document", help="Document number.")
        parser.add_argument("--at", help="ISO 8601 instant with offset (default: now).")
        parser.add_argument(
            "--as-known-at",
            dest="as_known_at",
            help="Answer with only what the system had recorded by then (Q7).",
        )
        parser.add_argument("--json", action="store_true", help="Print the answer as JSON.")

    def handle(self, *args, **options):
        at = parse_instant("--at", options.get("at")) or timezone.now()
        known = parse_instant("--as-known-at", options.get("as_known_at"))
        person = find_person(options["person"])
        document = find_document(options["document"])
        answer = engine.document_qualification(person, document, at=at, as_known_at=known)
        if options.get("json"):
            self.stdout.write(json.dumps(answer_json(answer), indent=2))
        else:
            self._print(answer)
        if not answer.qualified:
            self.stdout.flush()
            sys.exit(1)

    def _print(self, answer: engine.DocumentAnswer) -> None:
        out = self.stdout.write
        person, document = answer.person, answer.document
        when = iso(answer.at)
        if answer.as_known_at is not None:
            when += f", as known at {iso(answer.as_known_at)}"
        verdict = answer.state_label.upper()  # Q10: "QUALIFIED (IN GRACE)"
        out(f"{person.full_name} ({person.employee_number}) on {document.number} at {when}:")
        out(f"  {verdict}")
        effective = answer.effective_version
        if effective is None:
            out("  Effective version: none")
        else:
            out(
                f"  Effective version: rev {effective.revision} "
                f"(effective from {iso(effective.effective_from)})"
            )
        if answer.no_training_defined:
            out("  No training defined for this document (site policy decides).")
        for reason in answer.reasons if not answer.requirements else ():
            out(f"  - {reason.label}")
        for a in answer.requirements:
            state = a.state_label
            if a.in_grace:
                state += f" until {iso(a.grace_ends)}"
            out(f"  {a.requirement.code} {a.requirement.title}: {state}")
            for reason in a.reasons:
                out(f"    - {reason.label} [{reason}]")
            record = a.record
            if record is not None:
                on = f" on {version_label(a.version)}" if a.version is not None else ""
                out(
                    f"    record #{record.pk}: completed {iso(record.completed_at)}, "
                    f"recorded {iso(record.recorded_at)}{on}"
                )
            for s in a.signatures:
                out(f"    {s.role} signature ({s.status}): {s.signature.manifestation}")
