"""The engine against a plain reference implementation of DESIGN §3.

Hypothesis generates histories (document versions, retraining or editorial, with
effective and approval dates; obsolescence; job changes and matrix entries;
training records completed and recorded at various times, signed, broken or
unsigned, with trainers; requalification orders; recurrence; corrections) and asks
both implementations the same questions at several instants T, each both with
everything known and "as known at" K. The reference below reads the rows one at a
time and spells each rule out; it imports nothing from the engine.
"""

import calendar
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from qualify.org.models import JobAssignment
from qualify.signatures.models import Signature
from qualify.signatures.services import content_hash
from qualify.training import engine
from qualify.training.models import (
    MatrixEntry,
    RequalificationOrder,
    TrainingRecord,
)
from tests.training.engine_history import History, day

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("Q1", "Q2", "Q4", "Q7")]

TRAINER_METHODS = ("classroom", "ojt")
TRAINEE_MEANINGS = ("read_and_understood", "completed_training")


# ---------------------------------------------------------------- the reference


def ref_add_months(moment, months):
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def known(moment, k):
    return k is None or (moment is not None and moment <= k)


def ref_effective_version(document, t, k):
    """Q1: the approved version whose [effective_from, next effective_from) holds t,
    as known at k; none once the (known) obsolescence has started."""
    obsolete = document.obsolete_from
    if obsolete is not None and known(document.obsolete_recorded_at, k) and t >= obsolete:
        return None
    approved = [
        v
        for v in document.versions.all()
        if v.status == "approved"
        and v.effective_from is not None
        and v.approved_at is not None
        and known(v.approved_at, k)
    ]
    started = [v for v in approved if v.effective_from <= t]
    if not started:
        return None
    return max(started, key=lambda v: (v.effective_from, v.sequence))


def ref_baseline(version):
    """Q2: the latest approved version <= v that required retraining."""
    if version.retraining_required:
        return version.pk
    earlier = [
        v
        for v in version.document.versions.all()
        if v.sequence <= version.sequence and v.retraining_required and v.status == "approved"
    ]
    return max(earlier, key=lambda v: v.sequence).pk if earlier else version.pk


def ref_signed(record, user, meanings, k):
    if user is None:
        return False
    expected = content_hash(record)
    for s in Signature.objects.filter(
        object_type="training.trainingrecord", object_id=str(record.pk)
    ):
        mine = s.signer_id == user.pk and s.meaning in meanings and known(s.signed_at, k)
        if mine and s.content_hash == expected:
            return True
    return False


def ref_qualified(person, requirement, t, k, depth=0):
    """Q4 + Q8, as known at k (Q7)."""
    if depth > 6:
        return False
    effective = None
    if requirement.document_id is not None:
        effective = ref_effective_version(requirement.document, t, k)
        if effective is None:
            return False
    for c in TrainingRecord.objects.filter(person=person, requirement=requirement):
        if not known(c.recorded_at, k):
            continue
        correction = TrainingRecord.objects.filter(supersedes=c).first()
        if correction is not None and known(correction.recorded_at, k):
            continue
        if c.completed_at > t:
            continue
        if effective is not None:
            if c.document_version is None:
                continue
            if ref_baseline(c.document_version) != ref_baseline(effective):
                continue
        months = requirement.recurrence_months
        if months and not t < ref_add_months(c.completed_at, months):
            continue
        revoked = False
        for order in RequalificationOrder.objects.filter(person=person, requirement=requirement):
            if known(order.recorded_at, k) and c.completed_at < order.issued_at <= t:
                revoked = True
        if revoked:
            continue
        if requirement.evidence_required == "assessment":
            mark = requirement.pass_mark if requirement.pass_mark is not None else c.pass_mark
            if c.score is None or mark is None or c.score < mark:
                continue
        if requirement.evidence_required == "demonstration" and c.evidence != "demonstration":
            continue
        if not ref_signed(c, person.user, TRAINEE_MEANINGS, k):
            continue
        if requirement.method in TRAINER_METHODS or c.method in TRAINER_METHODS:
            if c.trainer is None:
                continue
            if not ref_signed(c, c.trainer.user, ("trained_by",), k):
                continue
            if requirement.trainer_requirement is not None and not ref_qualified(
                c.trainer, requirement.trainer_requirement, c.completed_at, k, depth + 1
            ):
                continue
        return True
    return False


def ref_in_force(row, t, k):
    """T2 + Q7 for an effective-dated row."""
    if not known(row.recorded_at, k) or row.valid_from > t:
        return False
    if row.valid_to is None or t < row.valid_to:
        return True
    return not known(row.end_recorded_at or row.recorded_at, k)


def ref_required(person, t, k):
    functions = {
        a.job_function_id
        for a in JobAssignment.objects.filter(person=person)
        if ref_in_force(a, t, k)
    }
    return {
        e.requirement_id
        for e in MatrixEntry.objects.filter(job_function_id__in=functions)
        if ref_in_force(e, t, k)
    }


# ---------------------------------------------------------------- the histories

days = st.integers(min_value=0, max_value=80)
lags = st.integers(min_value=0, max_value=10)

version_spec = st.tuples(
    st.integers(min_value=1, max_value=20),  # gap to the previous effective date
    st.booleans(),  # retraining required
    st.integers(min_value=-5, max_value=5),  # approval relative to effect
    st.sampled_from(["approved"] * 5 + ["withdrawn"]),  # at most one draft: see the Q1 tests
)

record_spec = st.fixed_dictionaries(
    {
        "version": st.sampled_from([-1, -1, -1, 0, 1, 2, 3]),  # -1: in force then
        "completed": days,
        "recorded_lag": lags,
        "signature": st.sampled_from(["valid"] * 6 + ["broken", "missing"]),
        "signed_lag": st.integers(min_value=0, max_value=4),
        "meaning": st.sampled_from(TRAINEE_MEANINGS),
        "evidence": st.sampled_from(["signature", "assessment", "demonstration", "demonstration"]),
        "score": st.sampled_from([None, Decimal("70"), Decimal("85"), Decimal("85")]),
        "trainer_signs": st.sampled_from([True, True, True, False]),
        "corrects": st.one_of(st.none(), st.integers(min_value=0, max_value=3)),
    }
)

history_spec = st.fixed_dictionaries(
    {
        "first_effective": st.integers(min_value=0, max_value=5),
        "versions": st.lists(version_spec, min_size=0, max_size=3),
        "obsolete": st.sampled_from([None] * 6 + [(60, 5), (80, 30)]),
        "method": st.sampled_from(["read", "read", "classroom"]),
        "recurrence": st.sampled_from([None, None, None, 1, 3]),
        "evidence_required": st.sampled_from(
            ["signature", "signature", "assessment", "demonstration"]
        ),
        "records": st.lists(record_spec, min_size=1, max_size=4),
        "trainer_records": st.lists(
            st.tuples(st.integers(0, 30), lags, st.sampled_from([True, True, False])), max_size=2
        ),
        # (which record, days after its completion, recording lag): ties are the point.
        "orders": st.lists(
            st.tuples(st.integers(0, 3), st.sampled_from([-1, 0, 0, 1, 5]), lags), max_size=1
        ),
        "jobs": st.lists(st.tuples(days, st.one_of(st.none(), days), lags, lags), max_size=2),
        "matrix": st.tuples(days, st.one_of(st.none(), days), lags, lags),
        "instants": st.lists(st.integers(min_value=0, max_value=95), min_size=2, max_size=4),
        "known_at": st.lists(st.integers(min_value=0, max_value=95), min_size=1, max_size=1),
    }
)


def trained_on(approved, index, completed):
    if index >= 0:
        return approved[index % len(approved)]
    started = [v for v in approved if v.effective_from <= completed]
    return started[-1] if started else approved[0]


def build(spec):
    h = History()
    effective = spec["first_effective"]
    versions = [(effective, True, effective - 1, "approved")]
    for gap, retraining, approval, status in spec["versions"]:
        effective += gap
        versions.append((effective, retraining, effective + approval, status))
    obsolete = spec["obsolete"]
    document = h.document(
        versions=versions,
        obsolete_from=day(obsolete[0]) if obsolete else None,
        obsolete_recorded_at=day(obsolete[0] + obsolete[1]) if obsolete else None,
    )
    approved = list(document.versions.filter(status="approved").order_by("sequence"))
    teach = h.requirement(method="external")
    requirement = h.requirement(
        document,
        method=spec["method"],
        recurrence_months=spec["recurrence"],
        evidence_required=spec["evidence_required"],
        pass_mark=Decimal("80") if spec["evidence_required"] == "assessment" else None,
        trainer_requirement=teach,
    )
    person = h.person("p")
    trainer = h.person("t")
    for completed, lag, signed in spec["trainer_records"]:
        h.record(trainer, teach, completed=day(completed), recorded=day(completed + lag),
                 sign=signed)  # fmt: skip
    made = []
    corrected = set()
    for r in spec["records"]:
        supersedes = None
        target = r["corrects"]
        if target is not None and target < len(made) and target not in corrected:
            corrected.add(target)
            supersedes = made[target]
        recorded = day(r["completed"] + r["recorded_lag"])
        made.append(
            h.record(
                person,
                requirement,
                completed=day(r["completed"]),
                recorded=recorded,
                version=trained_on(approved, r["version"], day(r["completed"])),
                method=spec["method"],
                trainer=trainer if spec["method"] == "classroom" else None,
                trainer_sign=r["trainer_signs"],
                evidence=r["evidence"],
                score=r["score"],
                supersedes=supersedes,
                sign=r["signature"] != "missing",
                broken=r["signature"] == "broken",
                signed_at=day(r["completed"] + r["recorded_lag"] + r["signed_lag"]),
                meaning=r["meaning"],
            )
        )
    for index, delta, lag in spec["orders"]:
        issued = spec["records"][index % len(spec["records"])]["completed"] + delta
        h.revoke(person, requirement, issued=day(issued), recorded=day(issued + lag))
    job = h.function()
    for start, end, lag, end_lag in spec["jobs"]:
        stop = None if end is None or end <= start else day(end)
        h.job(person, job, start=day(start), end=stop, recorded=day(start + lag),
              end_recorded=day(end + end_lag) if stop else None)  # fmt: skip
    start, end, lag, end_lag = spec["matrix"]
    stop = None if end is None or end <= start else day(end)
    h.matrix(job, requirement, start=day(start), end=stop, recorded=day(start + lag),
             end_recorded=day(end + end_lag) if stop else None)  # fmt: skip
    return person, trainer, document, requirement


@pytest.mark.slow
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=history_spec)
def test_engine_agrees_with_the_reference(db, spec):
    seen = set()
    with transaction.atomic():
        person, trainer, document, requirement = build(spec)
        instants = [*spec["instants"], spec["records"][0]["completed"]]
        for t_day in instants:
            t = day(t_day, hours=12) if t_day % 2 else day(t_day)
            for k in [None, *(day(k_day) for k_day in spec["known_at"])]:
                expected = ref_qualified(person, requirement, t, k)
                seen.add(expected)
                answer = engine.qualification(person, requirement, at=t, as_known_at=k)
                assert answer.qualified == expected, (t, k, answer.reasons)
                event(f"reason {answer.reason}")
                assert answer.qualified == (not answer.reasons)
                effective = ref_effective_version(document, t, k)
                if effective is None:
                    assert answer.effective_version is None
                else:
                    assert answer.effective_version.pk == effective.pk
                required = set(engine.required_requirements(person, at=t, as_known_at=k))
                assert required == ref_required(person, t, k), (t, k)
            k = day(spec["known_at"][0])
            bulk = engine.check_many([(person, document), (trainer, document)], at=t, as_known_at=k)
            assert bulk[0].qualified == ref_qualified(person, requirement, t, k)
            assert bulk[1].qualified == ref_qualified(trainer, requirement, t, k)
        transaction.set_rollback(True)
    event(f"answers seen: {sorted(seen)}")
