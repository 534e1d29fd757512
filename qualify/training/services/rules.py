"""Assignment rules G1-G6: generated, never typed in.

Each rule runs in the transaction of the event that triggers it (the org and
documents services fire hooks; training subscribes in TrainingConfig.ready()) and is
idempotent: a pair (person, requirement) with an open assignment gets no second one,
and a rule that finds nothing to do writes nothing.

"Who is required" (Q5) is answered here set-based by `required_rows()`, which the
revision fan-out (G3), its impact preview, recurrence (G4) and the clean-ups (G6) all
share, so the preview an approver sees is computed by the very code that assigns.
The engine answers the same question for one person at an instant; here the question
is "from `start` on (until `end`)", because a job or matrix entry that begins next
month already makes its training due.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.utils import timezone

from qualify.documents.models import Document, DocumentVersion
from qualify.org.models import JobAssignment, JobFunction, Person, Site
from qualify.training import engine, events
from qualify.training.models import (
    Assignment,
    AssignmentReason,
    AssignmentStatus,
    CurriculumItem,
    Evidence,
    MatrixEntry,
    Requirement,
    TrainingRecord,
)
from qualify.training.services.assignments import (
    DEFAULT_WINDOW_DAYS,
    INDIVIDUAL_REASONS,
    OPEN,
    NewAssignment,
    cancel_assignments,
    chunks,
    close_superseded,
    create_assignments,
    link_superseded,
    open_pairs,
    source_of,
)

# --- Q5, set-based -------------------------------------------------------------


@dataclass(frozen=True)
class RequiredRow:
    """Person P must hold requirement R because of job function J's matrix entry E
    (J, E None: an individual assignment names P and R)."""

    person_id: int
    requirement_id: int
    site_id: int
    job_function_id: int | None = None
    entry_id: int | None = None
    window_days: int | None = None
    # When the requirement begins to apply to P: max(job start, entry start).
    applies_from: dt.datetime | None = None


@dataclass(frozen=True)
class _Entry:
    pk: int
    job_function_id: int
    requirement_id: int
    valid_from: dt.datetime
    valid_to: dt.datetime | None
    window_days: int


def _overlaps(field_from: str, field_to: str, start: dt.datetime, end: dt.datetime | None) -> Q:
    """The half-open [from, to) interval meets [start, end] (end None: for ever)."""
    q = Q(**{f"{field_to}__isnull": True}) | Q(**{f"{field_to}__gt": start})
    if end is not None:
        q &= Q(**{f"{field_from}__lte": end})
    return q


def matrix_entries_for(
    requirement_ids: Iterable[int] | None,
    *,
    start: dt.datetime,
    end: dt.datetime | None = None,
    job_function_ids: Iterable[int] | None = None,
) -> list[_Entry]:
    """Matrix entries (direct or through a curriculum) for these requirements that are
    in force at some point of [start, end], one per (entry, requirement)."""
    when = _overlaps("valid_from", "valid_to", start, end)
    direct = MatrixEntry.objects.filter(when, requirement__isnull=False, requirement__active=True)
    via = CurriculumItem.objects.filter(
        _overlaps(
            "curriculum__matrix_entries__valid_from",
            "curriculum__matrix_entries__valid_to",
            start,
            end,
        ),
        requirement__active=True,
    )
    if requirement_ids is not None:
        ids = list(set(requirement_ids))
        direct = direct.filter(requirement_id__in=ids)
        via = via.filter(requirement_id__in=ids)
    if job_function_ids is not None:
        jfs = list(set(job_function_ids))
        direct = direct.filter(job_function_id__in=jfs)
        via = via.filter(curriculum__matrix_entries__job_function_id__in=jfs)
    fields = ("pk", "job_function_id", "requirement_id", "valid_from", "valid_to", "window_days")
    rows = {_Entry(*values) for values in direct.values_list(*fields)}
    rows |= {
        _Entry(*values)
        for values in via.values_list(
            "curriculum__matrix_entries__pk",
            "curriculum__matrix_entries__job_function_id",
            "requirement_id",
            "curriculum__matrix_entries__valid_from",
            "curriculum__matrix_entries__valid_to",
            "curriculum__matrix_entries__window_days",
        )
    }
    return sorted(rows, key=lambda e: (e.pk, e.requirement_id))


def required_rows(
    *,
    requirement_ids: Iterable[int] | None,
    start: dt.datetime,
    end: dt.datetime | None = None,
    person_ids: Iterable[int] | None = None,
) -> list[RequiredRow]:
    """Q5 over a period: who must hold these requirements at some instant of
    [start, end] (end None: from start on). Three queries whatever the head count.

    A job row needs job assignment, matrix entry and [start, end] to share an instant;
    an individual row is any assignment from a quality event or coordinator naming P
    and R that is not cancelled (Q5). Only active people are required.
    """
    req_ids = None if requirement_ids is None else sorted(set(requirement_ids))
    people = None if person_ids is None else sorted(set(person_ids))
    entries = matrix_entries_for(req_ids, start=start, end=end)
    by_function: dict[int, list[_Entry]] = defaultdict(list)
    for e in entries:
        by_function[e.job_function_id].append(e)
    rows: list[RequiredRow] = []
    if by_function:
        jobs = JobAssignment.objects.filter(
            _overlaps("valid_from", "valid_to", start, end),
            job_function_id__in=list(by_function),
            person__active=True,
        ).exclude(valid_to=F("valid_from"))  # empty: never held
        if people is not None:
            jobs = jobs.filter(person_id__in=people)
        for person_id, site_id, jf_id, j_from, j_to in jobs.values_list(
            "person_id", "person__site_id", "job_function_id", "valid_from", "valid_to"
        ).iterator(chunk_size=2000):
            for e in by_function[jf_id]:
                lo = max(j_from, e.valid_from, start)
                his = [t for t in (j_to, e.valid_to) if t is not None]
                if his and lo >= min(his):
                    continue
                if end is not None and lo > end:
                    continue
                rows.append(
                    RequiredRow(
                        person_id=person_id,
                        requirement_id=e.requirement_id,
                        site_id=site_id,
                        job_function_id=jf_id,
                        entry_id=e.pk,
                        window_days=e.window_days,
                        applies_from=max(j_from, e.valid_from),
                    )
                )
    individual = Assignment.objects.filter(
        reason__in=INDIVIDUAL_REASONS, person__active=True
    ).exclude(status=AssignmentStatus.CANCELLED)
    if req_ids is not None:
        individual = individual.filter(requirement_id__in=req_ids)
    if people is not None:
        individual = individual.filter(person_id__in=people)
    for person_id, req_id, site_id in individual.values_list(
        "person_id", "requirement_id", "person__site_id"
    ).distinct():
        rows.append(RequiredRow(person_id=person_id, requirement_id=req_id, site_id=site_id))
    return rows


def required_pairs(rows: Iterable[RequiredRow]) -> set[tuple[int, int]]:
    return {(r.person_id, r.requirement_id) for r in rows}


# --- G1: matrix entry added ------------------------------------------------------


def _ever_trained(person_ids: set[int], requirement_ids: set[int]) -> set[tuple[int, int]]:
    """Pairs with any training record: the only ones the engine may find qualified."""
    found: set[tuple[int, int]] = set()
    for part in chunks(sorted(person_ids)):
        found |= set(
            TrainingRecord.objects.filter(person_id__in=part, requirement_id__in=requirement_ids)
            .values_list("person_id", "requirement_id")
            .distinct()
        )
    return found


def _requirements_of_entry(entry: MatrixEntry) -> list[Requirement]:
    if entry.requirement_id:
        return [entry.requirement]
    return [
        item.requirement
        for item in entry.curriculum.items.select_related("requirement").order_by("position")
        if item.requirement.active
    ]


def assign_for_matrix_entry(
    *, actor: Any, entry: MatrixEntry, requirements: list[Requirement] | None = None
) -> list[Assignment]:
    """G1: every holder of the job function (now or later, within the entry's period)
    who is not qualified on R gets an assignment due window days after the later of
    now, the entry's start and their job's start."""
    now = timezone.now()
    if requirements is None:
        requirements = _requirements_of_entry(entry)
    start = max(now, entry.valid_from)
    holders = (
        JobAssignment.objects.filter(
            _overlaps("valid_from", "valid_to", start, entry.valid_to),
            job_function_id=entry.job_function_id,
            person__active=True,
        )
        .exclude(valid_to=F("valid_from"))  # empty: never held
        .select_related("person")
        .order_by("person_id", "valid_from")
    )
    if entry.valid_to is not None:
        holders = holders.filter(valid_from__lt=entry.valid_to)
    holders = list(holders)
    already = open_pairs(r.pk for r in requirements)
    trained = _ever_trained({j.person_id for j in holders}, {r.pk for r in requirements})
    wanted = []
    window = dt.timedelta(days=entry.window_days)
    for job in holders:
        applies = max(start, job.valid_from)
        for requirement in requirements:
            pair = (job.person_id, requirement.pk)
            if pair in already:
                continue
            # Only someone with a record can be qualified: ask the engine about them alone.
            if pair in trained and engine.is_qualified(job.person, requirement, at=applies):
                continue
            wanted.append(
                NewAssignment(
                    person_id=job.person_id,
                    requirement_id=requirement.pk,
                    due_at=applies + window,
                    reason=AssignmentReason.MATRIX,
                    source=source_of(entry),
                    reason_text=f"Training matrix: {entry.job_function.code} requires "
                    f"{requirement.code}",
                )
            )
    return create_assignments(wanted, actor=actor, now=now)


# --- G2: person gains a job function ------------------------------------------------


def on_job_assignment_started(*, actor: Any, assignment: JobAssignment, **_: Any) -> None:
    """G2: the job's requirements the person is not qualified on, due F + window."""
    job = assignment
    person = job.person
    if not person.active or (job.valid_to is not None and job.valid_to <= job.valid_from):
        return
    now = timezone.now()
    start = max(now, job.valid_from)
    entries = [
        e
        for e in matrix_entries_for(
            None, start=start, end=job.valid_to, job_function_ids=[job.job_function_id]
        )
        if job.valid_to is None or e.valid_from < job.valid_to
    ]
    if not entries:
        return
    requirements = Requirement.objects.in_bulk({e.requirement_id for e in entries})
    already = open_pairs(requirements)
    wanted = []
    for e in entries:
        if (person.pk, e.requirement_id) in already:
            continue
        applies = max(job.valid_from, e.valid_from)
        if engine.is_qualified(person, requirements[e.requirement_id], at=max(now, applies)):
            continue
        wanted.append(
            NewAssignment(
                person_id=person.pk,
                requirement_id=e.requirement_id,
                due_at=applies + dt.timedelta(days=e.window_days),
                reason=AssignmentReason.ROLE_CHANGE,
                source=source_of(job),
                reason_text=f"New job function {job.job_function.code}",
            )
        )
    create_assignments(wanted, actor=actor, now=now)


# --- G3: document revised ---------------------------------------------------------------


@dataclass
class ImpactPreview:
    """What approving a revision will assign (G3), for the approver to see first."""

    version_id: int
    document: str
    revision: str
    effective_from: dt.datetime
    due_at: dt.datetime
    requirements: list[str]
    people: int
    assignments: int
    superseded: int
    # Counts of distinct people; one person may appear under several job functions.
    by_job_function: dict[str, int] = field(default_factory=dict)
    by_site: dict[str, int] = field(default_factory=dict)
    shortest_window_days: int = DEFAULT_WINDOW_DAYS
    earliest_allowed: dt.datetime | None = None
    window_exception_needed: bool = False


@dataclass
class _RevisionPlan:
    version: DocumentVersion
    effective_from: dt.datetime
    requirements: dict[int, Requirement]
    rows: list[RequiredRow]
    pairs: list[tuple[int, int]]  # to assign, sorted
    replaced: dict[tuple[int, int], Assignment]  # open older assignments to supersede
    shortest_window_days: int
    now: dt.datetime

    @property
    def earliest_allowed(self) -> dt.datetime:
        return self.now + dt.timedelta(days=self.shortest_window_days)

    @property
    def exception_needed(self) -> bool:
        return bool(self.pairs) and self.effective_from < self.earliest_allowed


def _revision_plan(
    version: DocumentVersion, *, effective_from: dt.datetime | None, now: dt.datetime
) -> _RevisionPlan:
    """The one selection G3 and its preview share: people required (Q5) at some
    instant from now until the version takes effect, on every active requirement
    linked to the document."""
    effective = effective_from or version.effective_from or now
    requirements = Requirement.objects.in_bulk(
        Requirement.objects.filter(document_id=version.document_id, active=True).values_list(
            "pk", flat=True
        )
    )
    rows = required_rows(requirement_ids=requirements, start=now, end=max(now, effective))
    existing = open_pairs(requirements)
    pairs = sorted(
        pair
        for pair in required_pairs(rows)
        # Idempotent: a pair already assigned this very version is done.
        if not (pair in existing and existing[pair].document_version_id == version.pk)
    )
    windows = [r.window_days for r in rows if r.window_days is not None]
    return _RevisionPlan(
        version=version,
        effective_from=effective,
        requirements=requirements,
        rows=rows,
        pairs=pairs,
        replaced={pair: existing[pair] for pair in pairs if pair in existing},
        shortest_window_days=min(windows) if windows else DEFAULT_WINDOW_DAYS,
        now=now,
    )


def _reason_text(version: DocumentVersion) -> str:
    return f"{version.document.number} revised to rev {version.revision}"


def impact_preview(
    version: DocumentVersion, *, effective_from: dt.datetime | None = None
) -> ImpactPreview:
    """G3 before approval: how many people, in which job functions and sites, will be
    assigned, due when; and whether the effective date needs a QA window exception."""
    plan = _revision_plan(version, effective_from=effective_from, now=timezone.now())
    chosen = set(plan.pairs)
    people = {p for p, _ in chosen}
    by_function: dict[int, set[int]] = defaultdict(set)
    by_site: dict[int, set[int]] = defaultdict(set)
    for row in plan.rows:
        if (row.person_id, row.requirement_id) not in chosen:
            continue
        by_site[row.site_id].add(row.person_id)
        by_function[row.job_function_id or 0].add(row.person_id)
    functions = dict(JobFunction.objects.filter(pk__in=list(by_function)).values_list("pk", "code"))
    sites = dict(Site.objects.filter(pk__in=list(by_site)).values_list("pk", "code"))
    return ImpactPreview(
        version_id=version.pk,
        document=version.document.number,
        revision=version.revision,
        effective_from=plan.effective_from,
        due_at=plan.effective_from,
        requirements=sorted(r.code for r in plan.requirements.values()),
        people=len(people),
        assignments=len(chosen),
        superseded=len(plan.replaced),
        by_job_function={
            functions.get(pk, "individual assignment"): len(ids)
            for pk, ids in sorted(by_function.items())
        },
        by_site={sites[pk]: len(ids) for pk, ids in sorted(by_site.items())},
        shortest_window_days=plan.shortest_window_days,
        earliest_allowed=plan.earliest_allowed,
        window_exception_needed=plan.exception_needed,
    )


def on_version_approved(
    *, actor: Any, version: DocumentVersion, window_exception_reason: str = "", **_: Any
) -> list[Assignment]:
    """G3: fan out retraining for a retraining-required version, due at its effective
    date; open older assignments for the same person and requirement are superseded
    and point to their successor. A ValidationError rolls the approval back."""
    if not version.retraining_required:
        return []
    now = timezone.now()
    plan = _revision_plan(version, effective_from=None, now=now)
    exception = (window_exception_reason or "").strip()
    if plan.exception_needed and not exception:
        raise ValidationError(
            {
                "effective_from": (
                    f"{version} would take effect {plan.effective_from:%Y-%m-%d %H:%M %Z}, before "
                    f"the end of the shortest training window ({plan.shortest_window_days} days, "
                    f"{plan.earliest_allowed:%Y-%m-%d %H:%M %Z}); {len(plan.pairs)} assignments "
                    "could not be completed in time. Choose a later date or record a QA "
                    "window exception (G3)."
                )
            }
        )
    if not plan.pairs:
        return []
    olds = [plan.replaced[pair] for pair in plan.pairs if pair in plan.replaced]
    befores = close_superseded(olds, now=now)
    text = _reason_text(version)
    detail = {"document_version": version.pk}
    if plan.exception_needed:
        detail["window_exception_reason"] = exception
    created = create_assignments(
        (
            NewAssignment(
                person_id=person_id,
                requirement_id=req_id,
                due_at=plan.effective_from,
                reason=AssignmentReason.REVISION,
                source=source_of(version),
                reason_text=text,
                document_version_id=version.pk,
            )
            for person_id, req_id in plan.pairs
        ),
        actor=actor,
        now=now,
        detail=detail,
    )
    successors = {(a.person_id, a.requirement_id): a for a in created}
    link_superseded(olds, befores, successors, actor=actor, reason=f"Superseded: {text}")
    losses = lost_on_revision(version, successors, reason_text=text)
    if losses:
        events.qualification_lost.fire(actor=actor, losses=losses)
    return created


def lost_on_revision(
    version: DocumentVersion,
    assigned: dict[tuple[int, int], Assignment],
    *,
    reason_text: str = "",
) -> list[events.LostQualification]:
    """Q4 after G3: of the people just assigned the version, those qualified on a
    requirement an instant before it takes effect and not at that instant (trained on
    the old baseline only) lose the qualification at its effective date.

    Set-based: the engine answers (person, document) in chunks of its maximum batch,
    each with a bounded number of queries, at the two instants."""
    if not assigned:
        return []
    effective = version.effective_from
    just_before = effective - dt.timedelta(microseconds=1)
    people = Person.objects.in_bulk(sorted({p for p, _ in assigned}))
    document = version.document
    losses = []
    for part in chunks(sorted(people), engine.MAX_PAIRS):
        pairs = [(people[pk], document) for pk in part]
        before = engine.check_many(pairs, at=just_before)
        after = engine.check_many(pairs, at=effective)
        for was, now_ in zip(before, after, strict=True):
            still = {a.requirement.pk for a in now_.requirements if a.qualified}
            for answer in was.requirements:
                key = (was.person.pk, answer.requirement.pk)
                if not answer.qualified or key not in assigned or key[1] in still:
                    continue
                losses.append(
                    events.LostQualification(
                        person_id=key[0],
                        requirement_id=key[1],
                        lost_at=effective,
                        cause=events.REVISION,
                        source=source_of(version),
                        assignment_id=assigned[key].pk,
                        reason_text=reason_text,
                    )
                )
    return losses


# --- G4: recurrence -----------------------------------------------------------------------


def counts(record_values: dict) -> bool:
    """A record that can satisfy a requirement: not a failed assessment."""
    if record_values["evidence"] != Evidence.ASSESSMENT:
        return True
    score, mark = record_values["score"], record_values["pass_mark"]
    return score is not None and mark is not None and score >= mark


def lead_days() -> int:
    return int(getattr(settings, "QUALIFY_RECURRENCE_LEAD_DAYS", 30))


def run_recurrence(*, actor: Any = None, now: dt.datetime | None = None) -> list[Assignment]:
    """G4: for each required person's latest counting record of a recurring requirement
    that expires within the lead time, an assignment due at the expiry. The record is
    the assignment's source, so a second run (or a cancelled one) creates nothing."""
    now = now or timezone.now()
    lead = dt.timedelta(days=lead_days())
    recurring = dict(
        Requirement.objects.filter(recurrence_months__isnull=False, active=True).values_list(
            "pk", "recurrence_months"
        )
    )
    if not recurring:
        return []
    latest: dict[tuple[int, int], dict] = {}
    records = (
        TrainingRecord.objects.filter(
            requirement_id__in=list(recurring), superseded_by__isnull=True, person__active=True
        )
        .order_by("completed_at", "pk")
        .values(
            "pk", "person_id", "requirement_id", "completed_at", "evidence", "score", "pass_mark"
        )
    )
    for values in records.iterator(chunk_size=2000):
        if counts(values):
            latest[(values["person_id"], values["requirement_id"])] = values
    due: dict[tuple[int, int], tuple[dt.datetime, str]] = {}
    for pair, values in latest.items():
        expiry = engine.add_months(values["completed_at"], recurring[pair[1]])
        if expiry - lead <= now:
            due[pair] = (expiry, f"training.trainingrecord:{values['pk']}")
    if not due:
        return []
    required = required_pairs(
        required_rows(
            requirement_ids={r for _, r in due}, start=now, person_ids={p for p, _ in due}
        )
    )
    done = set()
    for part in chunks(sorted({source for _, source in due.values()})):
        done |= set(
            Assignment.objects.filter(
                source__in=part, reason=AssignmentReason.RECURRENCE
            ).values_list("person_id", "requirement_id", "source")
        )
    codes = dict(Requirement.objects.filter(pk__in=list(recurring)).values_list("pk", "code"))
    return create_assignments(
        (
            NewAssignment(
                person_id=p,
                requirement_id=r,
                due_at=expiry,
                reason=AssignmentReason.RECURRENCE,
                source=source,
                reason_text=f"{codes[r]} expires {expiry:%Y-%m-%d}",
            )
            for (p, r), (expiry, source) in sorted(due.items())
            if (p, r) in required and (p, r, source) not in done
        ),
        actor=actor,
        now=now,
    )


# --- G6: a rule stops applying ------------------------------------------------------------


def cancel_unless_required(
    candidates: Iterable[Assignment],
    *,
    actor: Any,
    reason: str,
    now: dt.datetime | None = None,
) -> list[Assignment]:
    """Cancel those open, rule-made candidates whose person is no longer required (Q5,
    from now on) to hold their requirement. Individual assignments are left alone."""
    now = now or timezone.now()
    todo = [a for a in candidates if a.status == OPEN and a.reason not in INDIVIDUAL_REASONS]
    if not todo:
        return []
    still = required_pairs(
        required_rows(
            requirement_ids={a.requirement_id for a in todo},
            start=now,
            person_ids={a.person_id for a in todo},
        )
    )
    return cancel_assignments(
        [a for a in todo if (a.person_id, a.requirement_id) not in still],
        actor=actor,
        reason=reason,
        now=now,
    )


def on_person_deactivated(*, actor: Any, person: Person, reason: str = "", **_: Any) -> None:
    """G6: a deactivated person is required to hold nothing: cancel all their open
    assignments, individual ones included."""
    cancel_assignments(
        list(Assignment.objects.filter(person=person, status=OPEN).order_by("pk")),
        actor=actor,
        reason=f"Person deactivated: {reason}".strip(": "),
        now=timezone.now(),
    )


def on_job_assignment_ended(
    *, actor: Any, assignment: JobAssignment, reason: str = "", **_: Any
) -> None:
    """G6: the ended job's training is cancelled unless something else still requires it.
    A job ending in the future still requires it until then: the daily clean-up acts."""
    cancel_unless_required(
        Assignment.objects.filter(person_id=assignment.person_id, status=OPEN).order_by("pk"),
        actor=actor,
        reason=f"Job function {assignment.job_function.code} ended: {reason}".strip(": "),
    )


def cancel_for_obsolete_documents(
    *, actor: Any, now: dt.datetime, documents: Iterable[Document] | None = None, reason: str = ""
) -> list[Assignment]:
    """G6: training on a document that is obsolete can no longer be done: cancel it."""
    obsolete = Document.objects.filter(obsolete_from__isnull=False, obsolete_from__lte=now)
    if documents is not None:
        obsolete = obsolete.filter(pk__in=[d.pk for d in documents])
    result = []
    for document in obsolete.order_by("pk"):
        open_ = Assignment.objects.filter(requirement__document=document, status=OPEN)
        text = f"{document.number} made obsolete"
        result += cancel_assignments(
            list(open_.order_by("pk")),
            actor=actor,
            reason=f"{text}: {reason}" if reason else text,
            now=now,
        )
    return result


def on_document_obsoleted(*, actor: Any, document: Document, reason: str = "", **_: Any) -> None:
    cancel_for_obsolete_documents(
        actor=actor, now=timezone.now(), documents=[document], reason=reason
    )


def cancel_for_ended_entry(*, actor: Any, entry: MatrixEntry, reason: str) -> list[Assignment]:
    """G6: an ended matrix entry's training is cancelled unless still required."""
    requirement_ids = [r.pk for r in _requirements_of_entry(entry)]
    return cancel_unless_required(
        Assignment.objects.filter(requirement_id__in=requirement_ids, status=OPEN).order_by("pk"),
        actor=actor,
        reason=f"Matrix entry {entry.job_function.code} ended: {reason}",
    )


def run_cleanup(*, actor: Any = None, now: dt.datetime | None = None) -> list[Assignment]:
    """G6, daily: what the hooks could not do at the time (a job, entry or document
    that ended later than it was recorded), and anything they missed."""
    now = now or timezone.now()
    cancelled = cancel_for_obsolete_documents(actor=actor, now=now)
    inactive = Assignment.objects.filter(status=OPEN, person__active=False).order_by("pk")
    cancelled += cancel_assignments(
        list(inactive), actor=actor, reason="Person deactivated", now=now
    )
    candidates = Assignment.objects.filter(status=OPEN).exclude(reason__in=INDIVIDUAL_REASONS)
    cancelled += cancel_unless_required(
        list(candidates.order_by("pk")),
        actor=actor,
        reason="No longer required by the training matrix",
        now=now,
    )
    return cancelled
