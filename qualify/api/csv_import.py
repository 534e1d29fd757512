"""`qualify import people FILE.csv`: the HR file, all or nothing (P7, P17).

Two passes, so that a file of 10,000 people is checked in seconds and every error is
reported before anything is written:

1. Read and check the whole file, writing nothing: the encoding (UTF-8, UTF-16 with
   its BOM, or what charset-normalizer recognises, e.g. Latin-1; a binary file is
   refused), the header, each value's type (times need their zone, T1), duplicates
   within the file, and every reference (sites, departments, job functions visible
   to the importer, managers in the database or in the file). Every bad row is
   reported with its line number.
2. Write in one transaction. New people and their job assignments are inserted in
   bulk with an audit event per row (one append), and G2 runs once for all the new
   job assignments; people who already exist go through the organisation services
   one by one (person_upsert), as from the API.

Layout: docs/api.md.
"""

import codecs
import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import charset_normalizer
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from rest_framework import exceptions

from qualify import limits
from qualify.api.hr import JobRow, PersonRow, job_overlaps, people_create_bulk, person_upsert
from qualify.audit import services as audit
from qualify.edge import parse_aware
from qualify.guards import require_perm
from qualify.org.models import Department, JobFunction, Person, Site
from qualify.org.queries import people as visible_people
from qualify.org.scoping import restrict

COLUMNS = [
    "employee_number",
    "full_name",
    "email",
    "site",
    "department",
    "manager",
    "active",
    "employed_from",
    "left_at",
    "job_function",
    "valid_from",
    "valid_to",
]
REQUIRED = {"employee_number", "full_name", "site"}
PERSON_COLUMNS = COLUMNS[:9]
TRUE = {"", "true", "yes", "1", "y"}
FALSE = {"false", "no", "0", "n"}


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)
    encoding: str = ""


class Refused(Exception):
    """The file as a whole cannot be read; the message says why, for people."""


class Rollback(Exception):
    pass


# --- reading -------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was read with, or Refused."""
    if not data.strip():
        raise Refused("The file is empty.")
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        encoding = "utf-32"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    else:
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        if encoding != "utf-8" or b"\x00" in data:
            raise Refused(
                "This is not a CSV text file (it contains binary data). Export the HR "
                "data as CSV, preferably in UTF-8."
            ) from None
        best = charset_normalizer.from_bytes(data).best()
        if best is None:
            raise Refused(
                "The file's character encoding could not be recognised; save it as "
                "CSV in UTF-8 and import it again."
            ) from None
        text, encoding = str(best), best.encoding
    controls = {c for c in text if ord(c) < 32 and c not in "\t\r\n"}
    if controls:
        raise Refused(
            "This is not a CSV text file (it contains control characters such as NUL). "
            "Export the HR data as CSV, preferably in UTF-8."
        )
    return text, encoding


def read_rows(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and rows, each with the line it starts on. Refused on a bad header."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise Refused("The file is empty.") from None
    except csv.Error as exc:
        raise Refused(f"line 1: the header cannot be read as CSV ({exc}).") from None
    missing = REQUIRED - set(header)
    if missing:
        raise Refused(f"line 1: missing columns {', '.join(sorted(missing))}")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise Refused(f"line 1: unknown columns {', '.join(unknown)}")
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise Refused(f"line 1: columns given twice: {', '.join(repeated)}")
    rows: list[tuple[int, dict[str, str]]] = []
    start = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise Refused(f"line {start}: cannot be read as CSV ({exc}).") from None
        if any(v.strip() for v in values):
            if len(values) > len(header):
                values = [*values[: len(header)], "\x00"]  # marks the extra values
            rows.append((start, dict(zip(header, values, strict=False))))
        start = reader.line_num + 1
    return header, rows


# --- checking ------------------------------------------------------------------------


class Checker:
    """Checks every row against the file and the database, reading each table once."""

    def __init__(self, actor: Any) -> None:
        self.errors: list[tuple[int, str]] = []
        self.sites = {s.code: s for s in Site.objects.all()}
        self.departments = {(d.site_id, d.code): d for d in Department.objects.all()}
        self.job_functions = {j.code: j for j in restrict(JobFunction.objects.all(), actor)}
        # Employee numbers are unique whatever their letter case: keyed in lower case,
        # each to the number as stored.
        numbers = Person.objects.values_list("employee_number", flat=True)
        self.known = {n.lower(): n for n in numbers}
        self.visible = {
            n.lower() for n in visible_people(actor).values_list("employee_number", flat=True)
        }

    def error(self, line: int, name: str, message: str) -> None:
        self.errors.append((line, f"{name}: {message}" if name else message))

    def time(self, line: int, name: str, text: str) -> Any:
        if not text:
            return None
        try:
            return parse_aware(text)
        except ValueError as exc:
            self.error(line, name, str(exc))
            return None

    def check(self, rows: list[tuple[int, dict[str, str]]]) -> list[PersonRow]:
        people: dict[str, PersonRow] = {}
        jobs_seen: dict[tuple[str, str, Any], int] = {}
        for line, raw in rows:
            if "\x00" in raw.values():
                self.error(line, "", "more values than there are columns")
                continue
            row = {k: (v or "").strip() for k, v in raw.items()}
            number = row.get("employee_number", "")
            if not number:
                self.error(line, "employee_number", "This field is required.")
                continue
            if len(number) > 40:
                self.error(line, "employee_number", "At most 40 characters.")
                continue
            number = self.known.get(number.lower(), number)
            person = people.get(number.lower())
            if person is None:
                person = people[number.lower()] = self.person(line, number, row)
            else:
                self.same_person(line, person, row)
            self.job(line, person, row, jobs_seen)
        for person in people.values():
            self.references(person, people)
        self.overlaps(people)
        return list(people.values())

    def person(self, line: int, number: str, row: dict[str, str]) -> PersonRow:
        person = PersonRow(line=line, number=number, values=row)
        if number.lower() in self.known and number.lower() not in self.visible:
            self.error(line, "employee_number", f"No person {number!r} you may change.")
        person.full_name = row.get("full_name", "")
        if not person.full_name:
            self.error(line, "full_name", "This field is required.")
        elif len(person.full_name) > 200:
            self.error(line, "full_name", "At most 200 characters.")
        person.email = row.get("email", "")
        if person.email:
            try:
                validate_email(person.email)
            except ValidationError:
                self.error(line, "email", "Enter a valid email address.")
        code = row.get("site", "")
        person.site = self.sites.get(code)
        if person.site is None:
            self.error(line, "site", f"No site {code!r}." if code else "This field is required.")
        code = row.get("department", "")
        if code and person.site is not None:
            person.department = self.departments.get((person.site.pk, code))
            if person.department is None:
                self.error(line, "department", f"No department {code!r} at {person.site.code}.")
        manager = row.get("manager", "")
        person.manager = self.known.get(manager.lower(), manager)
        if person.manager.lower() == number.lower():
            self.error(line, "manager", "A person cannot be their own manager.")
        active = row.get("active", "").lower()
        if active not in TRUE | FALSE:
            self.error(line, "active", f"Give true or false, not {row['active'][:20]!r}.")
        person.active = active not in FALSE
        person.employed_from = self.time(line, "employed_from", row.get("employed_from", ""))
        person.left_at = self.time(line, "left_at", row.get("left_at", ""))
        if person.left_at is not None and person.active:
            self.error(line, "left_at", "A leaving time needs active=false.")
        return person

    def same_person(self, line: int, person: PersonRow, row: dict[str, str]) -> None:
        """Rows after a person's first add job assignments; any person field they fill
        must say what the first row says."""
        for name in PERSON_COLUMNS[1:]:
            value = row.get(name, "")
            if value and value != person.values.get(name, ""):
                self.error(
                    line,
                    name,
                    f"{value[:40]!r} differs from line {person.line} for {person.number}.",
                )

    def job(self, line: int, person: PersonRow, row: dict, seen: dict) -> None:
        code = row.get("job_function", "")
        if not code:
            if row.get("valid_from") or row.get("valid_to"):
                self.error(line, "job_function", "A job function is needed with valid_from.")
            return
        job_function = self.job_functions.get(code)
        if job_function is None:
            self.error(line, "job_function", f"No job function {code!r}.")
        elif not job_function.active:
            self.error(line, "job_function", f"{job_function} is no longer in use.")
        if not row.get("valid_from"):
            self.error(line, "valid_from", "This field is required with a job function.")
            return
        valid_from = self.time(line, "valid_from", row["valid_from"])
        valid_to = self.time(line, "valid_to", row.get("valid_to", ""))
        if valid_from is None or job_function is None:
            return
        if valid_to is not None and valid_to <= valid_from:
            self.error(line, "valid_to", "Must be after valid_from (T2).")
            return
        key = (person.number, code, valid_from)
        if key in seen:
            self.error(line, "job_function", f"The same job assignment is on line {seen[key]}.")
            return
        seen[key] = line
        person.jobs.append(JobRow(line, job_function, valid_from, valid_to))

    def references(self, person: PersonRow, people: dict[str, PersonRow]) -> None:
        manager = person.manager.lower()
        if manager and manager not in people and manager not in self.known:
            self.error(person.line, "manager", f"No person {person.manager!r}.")

    def overlaps(self, people: dict[str, PersonRow]) -> None:
        """Job assignments of one person and job function in the file must not overlap
        (T2); those of people already known are checked by the services as well."""
        for person in people.values():
            for before, after in job_overlaps(person.jobs):
                self.error(
                    after.line,
                    "valid_from",
                    f"Overlaps the job assignment on line {before.line} (T2).",
                )


# --- writing -------------------------------------------------------------------------


def _update_known(actor: Any, row: PersonRow, reason: str, managers: dict) -> None:
    data = {
        "employee_number": row.number,
        "full_name": row.full_name,
        "email": row.email,
        "site": row.site,
        "department": row.department,
        "manager": managers.get(row.manager.lower()) if row.manager else None,
        "active": row.active,
        "employed_from": row.employed_from,
        "left_at": row.left_at,
        "job_assignments": [
            {"job_function": j.job_function, "valid_from": j.valid_from, "valid_to": j.valid_to}
            for j in row.jobs
        ],
    }
    person_upsert(actor=actor, data=data, reason=reason)


def _messages(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        return "; ".join(exc.messages)
    if isinstance(exc, exceptions.APIException):
        return str(exc.detail)
    return str(exc)


def import_people(
    *, actor: Any, path: str, dry_run: bool = False, reason: str = ""
) -> ImportResult:
    result = ImportResult()
    try:
        file = Path(path)
        limits.check_import_size(file.stat().st_size)
        data = file.read_bytes()
        text, result.encoding = decode(data)
        _, rows = read_rows(text)
        limits.check_import_rows(len(rows))
    except (Refused, limits.InputTooLarge) as exc:
        result.errors.append(str(exc))
        return result
    except OSError as exc:
        result.errors.append(f"The file cannot be read: {exc.strerror or exc}.")
        return result
    result.rows = len(rows)
    try:
        require_perm(
            actor,
            "org.manage_people",
            message="Only a training coordinator can manage people and job assignments.",
        )
    except PermissionDenied as exc:
        result.errors.append(str(exc))
        return result
    checker = Checker(actor)
    people = checker.check(rows)
    if checker.errors:
        result.errors = [f"line {line}: {message}" for line, message in sorted(checker.errors)]
        return result
    new = [p for p in people if p.number.lower() not in checker.known]
    known = [p for p in people if p.number.lower() in checker.known]
    result.created, result.updated = len(new), len(known)
    reason = reason or f"HR import of {file.name}"
    try:
        with transaction.atomic():
            managers = {
                p.employee_number.lower(): p
                for p in Person.objects.filter(
                    employee_number__in={p.manager for p in people if p.manager}
                )
            }
            people_create_bulk(actor=actor, new=new, reason=reason, managers=managers)
            for row in known:
                try:
                    _update_known(actor, row, reason, managers)
                except (ValidationError, PermissionDenied, exceptions.APIException) as exc:
                    result.errors.append(f"line {row.line}: {_messages(exc)}")
            if result.errors or dry_run:
                raise Rollback
            audit.record(
                "api.people.imported",
                object_type="api.import",
                object_id=timezone.now().strftime("%Y%m%dT%H%M%S%fZ"),
                actor=actor,
                detail={
                    "file": str(path),
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "encoding": result.encoding,
                    "rows": result.rows,
                    "created": result.created,
                    "updated": result.updated,
                },
            )
    except Rollback:
        pass
    except (ValidationError, PermissionDenied) as exc:
        result.errors.append(_messages(exc))
    return result
