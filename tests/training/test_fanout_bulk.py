"""G3 at plant scale (issue 18): the revision fan-out decides in set-based queries and
writes its assignments and their audit events in bulk, with the same result and the
same audit trail as the per-row path it replaced (P85-P88)."""

import datetime as dt
import json
import random

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from qualify.audit import services as audit
from qualify.audit.context import audit_context
from qualify.audit.models import AuditEvent
from qualify.audit.trail import append_events, entry_of
from qualify.audit.verify import verify_trail
from qualify.documents.models import VersionStatus
from qualify.training import engine
from qualify.training.models import Assignment, AssignmentReason, AssignmentStatus
from qualify.training.services import rules
from qualify.training.services.assignments import NewAssignment, create_assignments
from tests.training.support import DAY

pytestmark = pytest.mark.django_db

ROW_FIELDS = [
    f.attname for f in Assignment._meta.concrete_fields if f.attname not in ("id", "created_at")
]


@pytest.fixture
def sop(plant):
    return plant.requirement("SOP-020-RU", document=plant.document("SOP-020"))


def _approved_without_fan_out(plant, document, revision: str, effective: dt.datetime):
    """A reviewed revision marked approved in the table, so that the test calls G3 itself."""
    version = plant.draft(document, revision)
    type(version).objects.filter(pk=version.pk).update(
        status=VersionStatus.APPROVED,
        approved_at=timezone.now(),
        effective_from=effective,
        baseline=version,
    )
    version.refresh_from_db()
    return version


def _crew(plant, sop, count: int, start: int = 0):
    """`count` operators (the matrix assigns them `sop` on taking the job, G2); two in
    three then read it and are qualified on the revision in force, the others keep
    their open assignment, which the fan-out supersedes."""
    people = []
    for i in range(start, start + count):
        person = plant.person(f"Op{i:03d}", job_function=plant.operators)
        if i % 3:
            plant.read(person, sop)
        people.append(person)
    return people


# --- P85: bounded queries -----------------------------------------------------------------------


@pytest.mark.requirement("P85", "G3")
@pytest.mark.parametrize("count", [4, 48])
def test_fan_out_queries_do_not_grow_with_the_people_it_reaches(
    plant, sop, count, django_assert_max_num_queries
):
    plant.matrix(sop)
    people = _crew(plant, sop, count)
    version = _approved_without_fan_out(plant, sop.document, "2", timezone.now() + 40 * DAY)
    # The same bound at 4 and 48 people: selection, supersession, insert (one statement
    # per 500 rows), audit append, losses and hooks each take a fixed number of statements.
    # PostgreSQL adds the chain's advisory lock and the draw of the ids from the sequence.
    with django_assert_max_num_queries(25 if connection.vendor == "postgresql" else 23):
        created = rules.on_version_approved(actor=plant.qa, version=version)
    assert len(created) == len(people)
    superseded = Assignment.objects.filter(status=AssignmentStatus.SUPERSEDED)
    assert superseded.count() == len(range(0, count, 3))
    assert all(a.superseded_by.document_version_id == version.pk for a in superseded)


# --- P86: the bulk audit append ------------------------------------------------------------------


def _entry_without_time(entry: str) -> dict:
    fields = json.loads(entry)
    del fields["at"]
    return fields


@pytest.mark.requirement("P86", "A1", "A4")
def test_each_bulk_event_is_the_event_the_per_record_path_builds(plant, sop):
    plant.matrix(sop)
    _crew(plant, sop, 9)
    version = _approved_without_fan_out(plant, sop.document, "2", timezone.now() + 40 * DAY)
    with audit_context(source="test", request_id="r-1"):
        created = rules.on_version_approved(actor=plant.qa, version=version)
    events = {
        int(e.object_id): e
        for e in AuditEvent.objects.filter(
            action="training.assignment.created", object_id__in=[str(a.pk) for a in created]
        )
    }
    assert sorted(events) == sorted(a.pk for a in created)  # one event per assignment
    for assignment in Assignment.objects.filter(pk__in=[a.pk for a in created]):
        stored = events[assignment.pk]
        with audit_context(source="test", request_id="r-1"):
            expected = audit.pending(
                "training.assignment.created",
                assignment,
                actor=plant.qa,
                detail={"document_version": version.pk},
            )
        assert stored.record_hash == expected.record_hash == audit.record_hash_of(assignment)
        assert _entry_without_time(stored.entry) == _entry_without_time(
            entry_of(stored.seq, expected)
        )


def _trail_rows(since: int) -> list[tuple]:
    return list(
        AuditEvent.objects.filter(seq__gt=since)
        .order_by("seq")
        .values_list("seq", "recorded_at", "action", "object_id", "entry", "chain_hash", "mac")
    )


@pytest.mark.requirement("P86", "A1", "A6")
def test_a_bulk_append_is_event_for_event_the_one_by_one_trail_and_verifies(plant, sop):
    people = [plant.person(f"P{i}") for i in range(25)]
    now = timezone.now()
    rows = Assignment.objects.bulk_create(
        Assignment(
            person=p,
            requirement=sop,
            reason=AssignmentReason.COORDINATOR,
            source="test",
            due_at=now + DAY,
            created_at=now,
        )
        for p in people
    )
    states = [audit.state_of(a) for a in rows]
    pending = audit.pending_created(
        "training.assignment.created", Assignment, states, actor=plant.coordinator
    )
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()

    class OneByOne(Exception):
        pass

    try:
        with transaction.atomic():
            for event in pending:
                append_events([event])
            one_by_one = _trail_rows(last)
            raise OneByOne
    except OneByOne:
        pass
    assert _trail_rows(last) == []  # rolled back
    with transaction.atomic():
        seqs = audit.record_many(pending)
    bulk = _trail_rows(last)
    assert len(bulk) == len(people) == len(seqs)
    assert bulk == one_by_one
    report = verify_trail()
    assert report.ok, [str(p) for p in report.problems]
    call_command("audit", "verify")  # the command an inspector runs: exits 0


@pytest.mark.requirement("P86", "A6")
def test_a_type_with_a_security_state_is_not_built_in_bulk(plant):
    from qualify.accounts.models import User

    with pytest.raises(ValueError, match="security state"):
        audit.pending_created(
            "training.assignment.created", User, [audit.state_of(plant.qa)], actor=None
        )


# --- P87: the same assignments as the per-row ORM path ------------------------------------------


def _reference_create(wanted, *, actor, now, detail=None):
    """The writer before issue 18: ORM bulk_create and one pending() per instance."""
    by_pair = {}
    for w in wanted:
        key = (w.person_id, w.requirement_id)
        if key not in by_pair or w.due_at < by_pair[key].due_at:
            by_pair[key] = w
    already = set(
        Assignment.objects.filter(status=AssignmentStatus.OPEN).values_list(
            "person_id", "requirement_id"
        )
    )
    rows = [
        Assignment(
            person_id=w.person_id,
            requirement_id=w.requirement_id,
            document_version_id=w.document_version_id,
            reason=w.reason,
            reason_text=w.reason_text[:300],
            source=w.source,
            due_at=w.due_at,
            status=AssignmentStatus.OPEN,
            created_at=now,
            created_by=actor,
        )
        for key, w in sorted(by_pair.items())
        if key not in already
    ]
    created = Assignment.objects.bulk_create(rows)
    audit.record_many(
        audit.pending("training.assignment.created", a, actor=actor, detail=detail) for a in created
    )
    return created


def _written(since_seq: int, since_pk: int) -> tuple[list[tuple], list[dict]]:
    """The assignment rows (without ids) and their audit entries (without time, sequence
    and the ids the database chose), in creation order."""
    rows = list(Assignment.objects.filter(pk__gt=since_pk).order_by("pk").values_list(*ROW_FIELDS))
    entries = []
    for entry in (
        AuditEvent.objects.filter(seq__gt=since_seq).order_by("seq").values_list("entry", flat=True)
    ):
        fields = _entry_without_time(entry)
        del fields["seq"], fields["object_id"], fields["changes"]["id"], fields["record_hash"]
        entries.append(fields)
    return rows, entries


@pytest.mark.requirement("P87", "G3", "G7")
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_bulk_writer_creates_what_the_orm_path_created(plant, seed):
    rnd = random.Random(seed)
    requirements = [
        plant.requirement(f"R{seed}{i}", document=plant.document(f"D-{seed}{i}")) for i in range(3)
    ]
    people = [plant.person(f"P{seed}{i}") for i in range(12)]
    now = timezone.now()
    # Some pairs already open: skipped by both.
    for person in rnd.sample(people, 4):
        create_assignments(
            [
                NewAssignment(
                    person_id=person.pk,
                    requirement_id=requirements[0].pk,
                    due_at=now + DAY,
                    reason=AssignmentReason.COORDINATOR,
                    source="before",
                )
            ],
            actor=None,
            now=now,
        )
    wanted = [
        NewAssignment(
            person_id=rnd.choice(people).pk,
            requirement_id=rnd.choice(requirements).pk,
            due_at=now + rnd.randint(1, 60) * DAY + dt.timedelta(microseconds=rnd.randint(0, 999)),
            reason=rnd.choice([AssignmentReason.REVISION, AssignmentReason.COORDINATOR]),
            source=rnd.choice(["documents.documentversion:7", "training.curriculum:3"]),
            reason_text=rnd.choice(["", "Zoë's team — BLA 761234", "x" * 320]),
            document_version_id=None,
        )
        for _ in range(40)  # duplicates: the earliest due date wins
    ]
    actor = rnd.choice([None, plant.coordinator])
    since_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    since_pk = Assignment.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    class Undo(Exception):
        pass

    try:
        with transaction.atomic(), audit_context(source="test", request_id="r-2"):
            _reference_create(wanted, actor=actor, now=now, detail={"reason": "r"})
            expected = _written(since_seq, since_pk)
            raise Undo
    except Undo:
        pass
    with audit_context(source="test", request_id="r-2"):
        created = create_assignments(wanted, actor=actor, now=now, detail={"reason": "r"})
    assert _written(since_seq, since_pk) == expected
    assert len(created) == len(expected[0]) > 0
    # The instances handed to the hook are the saved rows.
    for a in created:
        stored = Assignment.objects.get(pk=a.pk)
        assert [getattr(a, f) for f in ROW_FIELDS] == [getattr(stored, f) for f in ROW_FIELDS]
        assert a.created_at == stored.created_at
        assert not a._state.adding


# --- P88: who loses a qualification ---------------------------------------------------------------


def _reference_losses(version, assigned):
    """The check before issue 18: every person's document answer at both instants."""
    from qualify.org.models import Person

    effective = version.effective_from
    people = Person.objects.in_bulk(sorted({p for p, _ in assigned}))
    pairs = [(people[pk], version.document) for pk in sorted(people)]
    lost = []
    before = engine.check_many(pairs, at=effective - dt.timedelta(microseconds=1))
    after = engine.check_many(pairs, at=effective)
    for was, now_ in zip(before, after, strict=True):
        still = {a.requirement.pk for a in now_.requirements if a.qualified}
        for answer in was.requirements:
            key = (was.person.pk, answer.requirement.pk)
            if answer.qualified and key in assigned and key[1] not in still:
                lost.append(key)
    return lost


@pytest.mark.requirement("P88", "Q4", "G3")
def test_losses_are_the_engines_per_document_answer(plant, sop):
    second = plant.requirement("SOP-020-QZ", document=sop.document)
    plant.matrix(sop)
    plant.matrix(second)
    people = _crew(plant, sop, 10)
    for person in people[::2]:
        plant.read(person, second)
    version = _approved_without_fan_out(plant, sop.document, "2", timezone.now() + 40 * DAY)
    created = rules.on_version_approved(actor=plant.qa, version=version)
    assigned = {(a.person_id, a.requirement_id): a.pk for a in created}
    losses = rules.lost_on_revision(version, assigned)
    expected = _reference_losses(version, assigned)
    assert [(x.person_id, x.requirement_id) for x in losses] == expected
    assert expected  # some trained people lose, the untrained do not
    assert {x.assignment_id for x in losses} <= {a.pk for a in created}
    assert all(x.lost_at == version.effective_from for x in losses)


@pytest.mark.requirement("P88", "Q4")
def test_qualified_at_instants_answers_as_is_qualified(plant, sop):
    plant.matrix(sop)
    people = _crew(plant, sop, 6)
    plant.revise(sop.document, "2", effective_from=timezone.now() + 40 * DAY)
    instants = [timezone.now(), timezone.now() + 41 * DAY, timezone.now() - 400 * DAY]
    answers = engine.qualified_at_instants([(p.pk, sop.pk) for p in people], instants)
    assert answers == [tuple(engine.is_qualified(p, sop, at=at) for at in instants) for p in people]
    assert {a[0] for a in answers} == {True, False}
