"""Assignments (G5, G7) and the set-based writes every assignment rule shares.

The rules (rules.py) decide *who* gets *what*; the helpers here write it: many rows
in a few statements and one audit append, so a revision reaching 5,000 people costs
the same handful of queries as one reaching five (G3). At most one open assignment
exists per (person, requirement): the database enforces it with a partial unique
constraint, and the helpers skip a pair that already has one (idempotent rules).
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import signals
from django.db.models.base import ModelState
from django.utils import timezone

from qualify.audit import services as audit
from qualify.audit.canonical import to_plain
from qualify.guards import require_aware, require_perm
from qualify.org.models import JobFunction, Person
from qualify.org.queries import holders_of
from qualify.org.scoping import check_client
from qualify.training import events
from qualify.training.models import (
    Assignment,
    AssignmentReason,
    AssignmentStatus,
    Curriculum,
    CurriculumItem,
    RequalificationOrder,
    Requirement,
)

OPEN = AssignmentStatus.OPEN
# Assignments that name a person directly (Q5 second clause) rather than follow from
# the matrix; no rule cancels them when the matrix stops applying (G6).
INDIVIDUAL_REASONS = (AssignmentReason.QUALITY_EVENT, AssignmentReason.COORDINATOR)
DEFAULT_WINDOW_DAYS = 30
CHUNK = 500  # rows per IN list / bulk statement (SQLite's variable limit, plan sizes)


def source_of(obj: Any) -> str:
    """The `source` string naming what made an assignment: "training.matrixentry:12"."""
    return f"{obj._meta.label_lower}:{obj.pk}"


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class NewAssignment:
    """What a rule wants to exist; `create_assignments` writes it unless already open."""

    person_id: int
    requirement_id: int
    due_at: dt.datetime
    reason: str
    source: str
    reason_text: str = ""
    document_version_id: int | None = None


def open_pairs(requirement_ids: Iterable[int]) -> dict[tuple[int, int], Assignment]:
    """Open assignments of these requirements by (person_id, requirement_id)."""
    ids = sorted(set(requirement_ids))
    found: dict[tuple[int, int], Assignment] = {}
    for part in chunks(ids):
        # Unordered (P138): the model's order (due_at) made SQLite read every open
        # assignment of the plant through the (status, due_at) index to skip a sort.
        for a in Assignment.objects.filter(status=OPEN, requirement_id__in=part).order_by():
            found[(a.person_id, a.requirement_id)] = a
    return found


def _open_keys(requirement_ids: Iterable[int]) -> set[tuple[int, int]]:
    """(person_id, requirement_id) of the open assignments of these requirements."""
    ids = sorted(set(requirement_ids))
    found: set[tuple[int, int]] = set()
    for part in chunks(ids):
        found.update(
            Assignment.objects.filter(status=OPEN, requirement_id__in=part)
            .order_by()  # as in open_pairs (P138)
            .values_list("person_id", "requirement_id")
        )
    return found


# The fields a NewAssignment sets; every other column is the same for all the rows of
# one create_assignments call (status open, created at `now` by the actor, ...).
_VARYING = (
    "person_id",
    "requirement_id",
    "document_version_id",
    "reason",
    "reason_text",
    "source",
    "due_at",
)


def _copy_rows(cursor, table: str, pk_column: str, columns: str, width: int, params) -> list:
    """PostgreSQL's bulk path: the ids drawn from the table's sequence first, then the
    rows written with COPY, ids included."""
    count = len(params) // width
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
        [table.strip('"'), pk_column, count],
    )
    ids = [row[0] for row in cursor.fetchall()]
    with cursor.cursor.copy(f'COPY {table} ("{pk_column}", {columns}) FROM STDIN') as copy:
        for n, new_id in enumerate(ids):
            copy.write_row([new_id, *params[n * width : (n + 1) * width]])
    return ids


def _instance_maker(attnames: list[str]):
    """A function making the saved Assignment of a row (values in `attnames` order).

    What `Model.from_db` makes, without running `Model.__init__` per row (a fifth of
    the fan-out's row cost, P132); when a pre_init or post_init receiver listens, by
    `from_db` itself so that it still hears of every instance."""
    if signals.pre_init.has_listeners(Assignment) or signals.post_init.has_listeners(Assignment):
        return lambda alias, row: Assignment.from_db(alias, attnames, row)

    def saved(alias: str, row: list) -> Assignment:
        obj = Assignment.__new__(Assignment)
        obj.__dict__.update(zip(attnames, row, strict=True))
        state = obj._state = ModelState()
        state.adding = False
        state.db = alias
        return obj

    return saved


def _insert_rows(todo: Sequence[NewAssignment], *, actor: Any, now: dt.datetime):
    """INSERT the rows in statements of CHUNK rows (RETURNING their ids) and
    return them as saved Assignment instances with their audited states (plain values,
    what `audit.state_of` gives for each): no ORM compiler work per row, no
    `record_state`/JSON round trip per row. The states are the prototype's with the
    varying fields put in, each varying value made plain once per distinct value."""
    prototype = Assignment(
        person_id=0,
        requirement_id=0,
        reason="",
        due_at=now,
        status=OPEN,
        created_at=now,
        created_by_id=actor.pk if actor is not None and actor.pk else None,
    )
    connection = transaction.get_connection()
    fields = [f for f in Assignment._meta.concrete_fields if not f.primary_key]
    names = [f.attname for f in fields]
    varying = {name: names.index(name) for name in _VARYING}
    python_row = [getattr(prototype, name) for name in names]
    db_row = [
        f.get_db_prep_save(value, connection) for f, value in zip(fields, python_row, strict=True)
    ]
    plain_proto = audit.state_of(prototype)
    due_field = Assignment._meta.get_field("due_at")
    db_time: dict[dt.datetime, Any] = {}
    plain_time: dict[dt.datetime, Any] = {}
    plain_text: dict[str, str] = {}

    def plain(value: str) -> str:
        # The choices are str enums; JSON (hence the audited state) holds their value.
        if type(value) is str:
            return value
        if value not in plain_text:
            plain_text[value] = to_plain(value)
        return plain_text[value]

    quote = connection.ops.quote_name
    table = quote(Assignment._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    pk = Assignment._meta.pk
    created: list[Assignment] = []
    states: list[dict] = []
    all_names = [pk.attname, *names]
    assert all_names == [f.attname for f in Assignment._meta.concrete_fields]
    saved = _instance_maker(all_names)
    for part in chunks(todo):
        params: list[Any] = []
        rows = []
        for w in part:
            due = w.due_at
            if due not in db_time:
                db_time[due] = due_field.get_db_prep_save(due, connection)
                plain_time[due] = to_plain(due)
            values = (
                w.person_id,
                w.requirement_id,
                w.document_version_id,
                w.reason,
                w.reason_text[:300],
                w.source,
                due,
            )
            db = db_row.copy()
            py = python_row.copy()
            for name, value in zip(_VARYING, values, strict=True):
                py[varying[name]] = value
                db[varying[name]] = value
            db[varying["due_at"]] = db_time[due]
            params.extend(db)
            rows.append((py, values))
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                ids = _copy_rows(cursor, table, pk.column, columns, len(fields), params)
            else:
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(part))}"
                    f" RETURNING {quote(pk.column)}, {quote('person_id')},"
                    f" {quote('requirement_id')}",
                    params,
                )
                # SQLite does not promise RETURNING rows in VALUES order: match each id
                # to its row by the pair, unique in one call.
                by_pair = {(p, r): new_id for new_id, p, r in cursor.fetchall()}
                ids = [by_pair[(w.person_id, w.requirement_id)] for w in part]
        for new_id, (py, values) in zip(ids, rows, strict=True):
            created.append(saved(connection.alias, [new_id, *py]))
            state = plain_proto.copy()
            state[pk.attname] = new_id
            state["person_id"], state["requirement_id"], state["document_version_id"] = values[:3]
            state["reason"] = plain(values[3])
            state["reason_text"] = plain(values[4])
            state["source"] = plain(values[5])
            state["due_at"] = plain_time[values[6]]
            states.append(state)
    return created, states


def create_assignments(
    wanted: Iterable[NewAssignment], *, actor: Any, now: dt.datetime, detail: dict | None = None
) -> list[Assignment]:
    """Create the wanted assignments that have no open one yet: one bulk insert, one
    audit append. Several wishes for one pair keep the earliest due date.

    Set-based (G3 at 50,000 people): one query for the open pairs, one INSERT per
    CHUNK rows, the audit events built from the rows' plain states
    (`audit.pending_created`, the same events `audit.pending` builds per instance) and
    appended to the chain in one append."""
    by_pair: dict[tuple[int, int], NewAssignment] = {}
    for w in wanted:
        key = (w.person_id, w.requirement_id)
        if key not in by_pair or w.due_at < by_pair[key].due_at:
            by_pair[key] = w
    if not by_pair:
        return []
    already = _open_keys(r for _, r in by_pair)
    todo = [w for key, w in sorted(by_pair.items()) if key not in already]
    if not todo:
        return []
    created, states = _insert_rows(todo, actor=actor, now=now)
    audit.record_many(
        audit.pending_created(
            "training.assignment.created", Assignment, states, actor=actor, detail=detail
        )
    )
    # One hook per fan-out, with the whole list (webhooks, notices): never per row.
    events.assignment_created.fire(actor=actor, assignments=created)
    return created


def cancel_assignments(
    assignments: Sequence[Assignment], *, actor: Any, reason: str, now: dt.datetime
) -> list[Assignment]:
    """G6: close open assignments as cancelled with a reason; nothing is deleted."""
    todo = [a for a in assignments if a.status == OPEN]
    if not todo:
        return []
    events = []
    for a in todo:
        before = audit.state_of(a)
        a.status = AssignmentStatus.CANCELLED
        a.closed_at = now
        a.cancel_reason = reason
        events.append(
            audit.pending(
                "training.assignment.cancelled", a, actor=actor, before=before, reason=reason
            )
        )
    for part in chunks([a.pk for a in todo]):
        Assignment.objects.filter(pk__in=part, status=OPEN).update(
            status=AssignmentStatus.CANCELLED, closed_at=now, cancel_reason=reason
        )
    audit.record_many(events)
    return todo


def close_superseded(olds: Sequence[Assignment], *, now: dt.datetime) -> list[dict]:
    """First half of superseding: close the old open rows (freeing the one-open slot)
    before their successors are inserted. Returns their audited states before."""
    befores = [audit.state_of(a) for a in olds]
    for part in chunks([a.pk for a in olds]):
        Assignment.objects.filter(pk__in=part).update(
            status=AssignmentStatus.SUPERSEDED, closed_at=now
        )
    for a in olds:
        a.status = AssignmentStatus.SUPERSEDED
        a.closed_at = now
    return befores


def link_superseded(
    olds: Sequence[Assignment],
    befores: Sequence[dict],
    successors: dict[tuple[int, int], Assignment],
    *,
    actor: Any,
    reason: str,
) -> None:
    """Second half: point each closed row at its successor, then audit both steps as
    one change per row."""
    for a in olds:
        a.superseded_by = successors[(a.person_id, a.requirement_id)]
    Assignment.objects.bulk_update(olds, ["superseded_by"], batch_size=CHUNK)
    audit.record_many(
        audit.pending(
            "training.assignment.superseded", a, actor=actor, before=before, reason=reason
        )
        for a, before in zip(olds, befores, strict=True)
    )


def _check_individual(actor: Any, person: Person, requirement: Requirement) -> None:
    require_perm(
        actor,
        "training.assign_training",
        message="Only a training coordinator or QA can assign training individually.",
    )
    check_client(actor, requirement.client_id)
    if not person.active:
        raise ValidationError({"person": f"{person} is deactivated."})
    if not requirement.active:
        raise ValidationError({"requirement": f"{requirement} is no longer in use."})


def _individual(
    *,
    actor: Any,
    person: Person,
    requirement: Requirement,
    due_at: dt.datetime,
    reason: str,
    source: str,
    reason_text: str,
    now: dt.datetime,
) -> Assignment:
    """Create one individual assignment. An open one for the pair is superseded by it,
    keeping the earlier due date and the document version it named, so a CAPA's or
    deviation's link is never lost and the one-open rule holds."""
    previous = (
        Assignment.objects.select_for_update()
        .filter(person=person, requirement=requirement, status=OPEN)
        .first()
    )
    wanted = NewAssignment(
        person_id=person.pk,
        requirement_id=requirement.pk,
        due_at=min(due_at, previous.due_at) if previous else due_at,
        reason=reason,
        source=source,
        reason_text=reason_text.strip()[:300],
        document_version_id=previous.document_version_id if previous else None,
    )
    Assignment(
        person=person,
        requirement=requirement,
        reason=wanted.reason,
        reason_text=wanted.reason_text,
        source=wanted.source,
        due_at=wanted.due_at,
        document_version_id=wanted.document_version_id,
        created_at=now,
        created_by=actor,
    ).full_clean(exclude=["status"], validate_constraints=False)
    befores = close_superseded([previous], now=now) if previous else []
    # Written by create_assignments like every other assignment (one insert path,
    # one assignment_created hook); the previous one is closed, so nothing is skipped.
    [assignment] = create_assignments([wanted], actor=actor, now=now)
    if previous:
        link_superseded(
            [previous],
            befores,
            {(person.pk, requirement.pk): assignment},
            actor=actor,
            reason=f"Superseded by an individual assignment ({source or reason})",
        )
    return assignment


@transaction.atomic
def assignment_create_individual(
    *,
    actor: Any,
    person: Person,
    requirement: Requirement,
    due_at: dt.datetime,
    reason: str = AssignmentReason.COORDINATOR,
    source: str = "",
    reason_text: str = "",
) -> Assignment:
    """G5: assign one person a requirement, from a quality event or a coordinator."""
    if reason not in INDIVIDUAL_REASONS:
        raise ValidationError(
            {"reason": "An individual assignment comes from a quality event or a coordinator."}
        )
    _check_individual(actor, person, requirement)
    require_aware(due_at, "due_at")
    now = timezone.now()
    if due_at <= now:
        raise ValidationError({"due_at": "The due date must be in the future."})
    if reason == AssignmentReason.QUALITY_EVENT and not source:
        raise ValidationError({"source": "A quality-event assignment names its event."})
    return _individual(
        actor=actor,
        person=person,
        requirement=requirement,
        due_at=due_at,
        reason=reason,
        source=source,
        reason_text=reason_text,
        now=now,
    )


@transaction.atomic
def requalification_order(
    *,
    actor: Any,
    person: Person,
    requirement: Requirement,
    reason: str,
    source: str = "",
    due_at: dt.datetime | None = None,
) -> tuple[RequalificationOrder, Assignment]:
    """G5/Q4: revoke P's qualification on R from now until P completes R again, and
    assign that training (due in the default window unless given)."""
    _check_individual(actor, person, requirement)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "A requalification order needs a reason."})
    now = timezone.now()
    if due_at is not None:
        require_aware(due_at, "due_at")
        if due_at <= now:
            raise ValidationError({"due_at": "The due date must be in the future."})
    order = RequalificationOrder(
        person=person,
        requirement=requirement,
        issued_at=now,
        recorded_at=now,
        reason=reason,
        source=source,
        issued_by=actor,
    )
    order.full_clean()
    order.save()
    audit.record("training.requalification.ordered", order, actor=actor, detail={"source": source})
    assignment = _individual(
        actor=actor,
        person=person,
        requirement=requirement,
        due_at=due_at or now + dt.timedelta(days=DEFAULT_WINDOW_DAYS),
        reason=AssignmentReason.QUALITY_EVENT,
        source=source or source_of(order),
        reason_text=f"Requalification: {reason}",
        now=now,
    )
    # Q4: the order revokes P's qualification on R from now until P completes R.
    events.qualification_lost.fire(
        actor=actor,
        losses=[
            events.LostQualification(
                person_id=person.pk,
                requirement_id=requirement.pk,
                lost_at=now,
                cause=events.REQUALIFICATION,
                source=source or source_of(order),
                assignment_id=assignment.pk,
                reason_text=reason,
            )
        ],
    )
    return order, assignment


# --- ad-hoc assignments by a coordinator, and cancelling them ----------------------------------


@dataclass
class AdHocResult:
    """What an ad-hoc assignment did: the assignments created (new, or superseding an
    open one due later), and the open ones already due by the date asked, left as
    they are."""

    created: list[Assignment]
    already_open: list[Assignment]


def _adhoc_requirements(
    actor: Any, *, document: Any, curriculum: Curriculum | None, requirement: Requirement | None
) -> tuple[list[Requirement], str]:
    """The requirements named (directly, through a document's links, or a curriculum's
    items) and the `source` naming what was assigned."""
    named = [x for x in (document, curriculum, requirement) if x is not None]
    if len(named) != 1:
        raise ValidationError(
            {
                "requirement": "Choose exactly one thing to assign: a document, a curriculum or a "
                "requirement."
            }
        )
    if requirement is not None:
        found, field, label = [requirement], "requirement", requirement.code
    elif document is not None:
        check_client(actor, document.client_id)
        found = list(Requirement.objects.filter(document=document, active=True).order_by("code"))
        field, label = "document", document.number
        if document.obsolete_from is not None:
            raise ValidationError({"document": f"{document.number} is obsolete."})
    else:
        found = [
            item.requirement
            for item in CurriculumItem.objects.filter(
                curriculum=curriculum, requirement__active=True
            ).select_related("requirement")
        ]
        field, label = "curriculum", curriculum.code
    if not found:
        raise ValidationError(
            {field: f"No training requirement in use is linked to {label}; define one first."}
        )
    for r in found:
        check_client(actor, r.client_id)
        if not r.active:
            raise ValidationError({"requirement": f"{r.code} is no longer in use."})
    return found, source_of(named[0])


@transaction.atomic
def assignment_assign_adhoc(
    *,
    actor: Any,
    due_at: dt.datetime,
    reason: str,
    people: Iterable[Person] = (),
    job_function: JobFunction | None = None,
    document: Any = None,
    curriculum: Curriculum | None = None,
    requirement: Requirement | None = None,
) -> AdHocResult:
    """G5 (Q5's individual assignment): a coordinator assigns a document (every
    requirement linked to it), a curriculum (its items) or one requirement to named
    people and/or the current holders of a job function, due by `due_at`, with the
    reason (e.g. "Regulatory submission team, BLA 761234").

    Idempotent per (person, requirement): an open assignment already due by `due_at`
    is left as it is (reported in `already_open`); one due later is superseded by the
    new one (G7), so the earlier date wins and the one-open rule holds."""
    require_perm(
        actor,
        "training.assign_training",
        message="Only a training coordinator or QA can assign training individually.",
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": "Say why this training is assigned (for example a submission team)."}
        )
    require_aware(due_at, "due_at")
    now = timezone.now()
    if due_at <= now:
        raise ValidationError({"due_at": "The due date must be in the future."})
    requirements, source = _adhoc_requirements(
        actor, document=document, curriculum=curriculum, requirement=requirement
    )
    chosen = {p.pk: p for p in people}
    if job_function is not None:
        check_client(actor, job_function.client_id)
        chosen.update({p.pk: p for p in holders_of(job_function, at=now)})
    if not chosen:
        what = "job_function" if job_function is not None else "people"
        message = (
            f"Nobody holds {job_function.code} now."
            if job_function is not None
            else "Name at least one person or a job function."
        )
        raise ValidationError({what: message})
    inactive = sorted(p.full_name for p in chosen.values() if not p.active)
    if inactive:
        raise ValidationError(
            {"people": f"Deactivated, cannot be assigned: {', '.join(inactive)}."}
        )
    existing = open_pairs(r.pk for r in requirements)
    wanted, earlier, later = [], [], []
    for person_id in sorted(chosen):
        for r in requirements:
            current = existing.get((person_id, r.pk))
            if current is None:
                wanted.append(
                    NewAssignment(
                        person_id=person_id,
                        requirement_id=r.pk,
                        due_at=due_at,
                        reason=AssignmentReason.COORDINATOR,
                        source=source,
                        reason_text=reason[:300],
                    )
                )
            elif current.due_at <= due_at:
                earlier.append(current)
            else:
                later.append((chosen[person_id], r))
    created = create_assignments(wanted, actor=actor, now=now, detail={"reason": reason})
    for person, r in later:
        created.append(
            _individual(
                actor=actor,
                person=person,
                requirement=r,
                due_at=due_at,
                reason=AssignmentReason.COORDINATOR,
                source=source,
                reason_text=reason,
                now=now,
            )
        )
    return AdHocResult(created=created, already_open=earlier)


def _cancel_problem(assignment: Assignment) -> str | None:
    if assignment.status != OPEN:
        return (
            f"This assignment is already {assignment.get_status_display().lower()}; only an "
            "open assignment can be cancelled."
        )
    if assignment.reason != AssignmentReason.COORDINATOR:
        # G6: what a rule made, the rule's end cancels (matrix entry ended, job ended,
        # document obsoleted, quality event cancelled); cancelling it here would hide a
        # training the person is still required to hold (Q5, Q6).
        return (
            f"This assignment comes from: {assignment.get_reason_display().lower()}. It ends "
            "when that stops applying (end the matrix entry or the job, or close the "
            "quality event); only assignments made by a coordinator are cancelled here."
        )
    return None


def cancel_problem(assignment: Assignment) -> str | None:
    """Why `assignment` cannot be cancelled, in words for the page; None when it can."""
    return _cancel_problem(assignment)


@transaction.atomic
def assignment_cancel(*, actor: Any, assignment: Assignment, reason: str) -> Assignment:
    """G6/G7: cancel an open assignment a coordinator made, with the reason; it stays on
    record as cancelled (nothing is deleted)."""
    require_perm(
        actor,
        "training.assign_training",
        message="Only a training coordinator or QA can cancel assignments.",
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for cancelling this assignment."})
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("requirement", "person")
        .get(pk=assignment.pk)
    )
    check_client(actor, assignment.requirement.client_id)
    problem = _cancel_problem(assignment)
    if problem:
        raise ValidationError(problem)
    cancel_assignments([assignment], actor=actor, reason=reason, now=timezone.now())
    return assignment
