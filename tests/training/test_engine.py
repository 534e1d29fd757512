"""The qualification engine, rule by rule (DESIGN §3 Q1-Q8)."""

import datetime as dt
from decimal import Decimal

import pytest

from qualify.training import engine
from qualify.training.engine import Reason
from qualify.training.models import AssignmentReason, AssignmentStatus, Evidence, Method
from tests.training.engine_history import History, day

pytestmark = pytest.mark.django_db


@pytest.fixture
def h():
    return History()


def reasons(answer):
    return list(answer.reasons)


# Q1 - effective version


@pytest.mark.requirement("Q1")
def test_effective_version_is_the_one_whose_period_contains_the_instant(h):
    doc = h.document(versions=[(0, True), (10, True)])
    p = h.person()
    h.requirement(doc)
    assert engine.document_qualification(p, doc, at=day(5)).effective_version.sequence == 1
    assert engine.document_qualification(p, doc, at=day(10)).effective_version.sequence == 2
    assert engine.document_qualification(p, doc, at=day(-1)).effective_version is None


@pytest.mark.requirement("Q1")
def test_obsolete_document_has_no_effective_version(h):
    doc = h.document(versions=[(0, True)], obsolete_from=day(20))
    p = h.person()
    r = h.requirement(doc)
    h.record(p, r, completed=day(1))
    assert engine.is_qualified(p, r, at=day(19))
    answer = engine.qualification(p, r, at=day(20))
    assert reasons(answer) == [Reason.NO_EFFECTIVE_VERSION]


@pytest.mark.requirement("Q1")
def test_draft_and_withdrawn_versions_are_never_effective(h):
    doc = h.document(versions=[(0, True), (5, True, None, "draft"), (6, True, None, "withdrawn")])
    p = h.person()
    r = h.requirement(doc)
    h.record(p, r, completed=day(1), version=h.version(doc, 1))
    answer = engine.qualification(p, r, at=day(30))
    assert answer.qualified
    assert answer.effective_version.sequence == 1


# Q2 - baseline


@pytest.mark.requirement("Q2")
def test_editorial_version_keeps_the_training_on_its_baseline(h):
    doc = h.document(versions=[(0, True), (10, False), (20, True)])
    p = h.person()
    r = h.requirement(doc)
    h.record(p, r, completed=day(1), version=h.version(doc, 1))
    assert engine.is_qualified(p, r, at=day(15))  # rev 2 is editorial
    answer = engine.qualification(p, r, at=day(20))
    assert not answer.qualified
    assert answer.reason == Reason.SUPERSEDED_BASELINE
    assert answer.record is not None
    assert answer.version.sequence == 1
    assert answer.effective_version.sequence == 3


@pytest.mark.requirement("Q2")
def test_completion_on_an_editorial_version_satisfies_its_baseline(h):
    doc = h.document(versions=[(0, True), (10, False)], store_baseline=True)
    p = h.person()
    r = h.requirement(doc)
    h.record(p, r, completed=day(11), version=h.version(doc, 2))
    assert engine.is_qualified(p, r, at=day(12))


@pytest.mark.requirement("Q2", "Q4")
def test_training_on_the_next_version_counts_once_it_is_effective(h):
    doc = h.document(versions=[(0, True), (10, True, 2)])
    p = h.person()
    r = h.requirement(doc)
    h.record(p, r, completed=day(5), version=h.version(doc, 2))
    before = engine.qualification(p, r, at=day(9))
    assert before.reason == Reason.NOT_YET_EFFECTIVE
    assert engine.is_qualified(p, r, at=day(10))


# Q3/Q4 - recurrence and the record's own conditions


@pytest.mark.requirement("Q3", "Q4")
def test_recurring_training_expires_after_calendar_months(h):
    p = h.person()
    r = h.requirement(recurrence_months=1)
    jan31 = dt.datetime(2024, 1, 31, 9, tzinfo=dt.UTC)
    h.record(p, r, completed=jan31)
    assert engine.is_qualified(p, r, at=dt.datetime(2024, 2, 29, 8, 59, tzinfo=dt.UTC))
    answer = engine.qualification(p, r, at=dt.datetime(2024, 2, 29, 9, tzinfo=dt.UTC))
    assert reasons(answer) == [Reason.EXPIRED]


@pytest.mark.requirement("Q3")
def test_add_months_clamps_the_day():
    utc = dt.UTC
    assert engine.add_months(dt.datetime(2023, 1, 31, tzinfo=utc), 1) == dt.datetime(
        2023, 2, 28, tzinfo=utc
    )
    assert engine.add_months(dt.datetime(2023, 11, 30, tzinfo=utc), 3) == dt.datetime(
        2024, 2, 29, tzinfo=utc
    )
    assert engine.add_months(dt.datetime(2023, 5, 15, tzinfo=utc), 24) == dt.datetime(
        2025, 5, 15, tzinfo=utc
    )


@pytest.mark.requirement("Q4")
def test_never_trained_is_not_qualified_and_a_record_counts_from_completion(h):
    doc = h.document()
    p = h.person()
    r = h.requirement(doc)
    assert engine.qualification(p, r, at=day(5)).reason == Reason.NEVER_TRAINED
    h.record(p, r, completed=day(5))
    assert not engine.is_qualified(p, r, at=day(5) - dt.timedelta(microseconds=1))
    answer = engine.qualification(p, r, at=day(5))
    assert answer.qualified
    assert answer.reasons == ()
    assert [s.role for s in answer.signatures] == ["trainee"]
    assert all(s.valid for s in answer.signatures)


@pytest.mark.requirement("Q4", "G5")
def test_requalification_order_revokes_until_trained_again(h):
    p = h.person()
    r = h.requirement()
    h.record(p, r, completed=day(1))
    h.revoke(p, r, issued=day(10))
    assert engine.is_qualified(p, r, at=day(9))
    assert engine.qualification(p, r, at=day(10)).reason == Reason.REVOKED
    h.record(p, r, completed=day(12))
    assert engine.is_qualified(p, r, at=day(12))


@pytest.mark.requirement("Q4", "S1")
def test_missing_or_broken_trainee_signature(h):
    p = h.person()
    r = h.requirement()
    h.record(p, r, completed=day(1), sign=False)
    assert engine.qualification(p, r, at=day(2)).reason == Reason.TRAINEE_SIGNATURE_MISSING
    q = h.person()
    h.record(q, r, completed=day(1), broken=True)
    answer = engine.qualification(q, r, at=day(2))
    assert reasons(answer) == [Reason.SIGNATURE_BROKEN]
    assert answer.signatures[0].status == "broken"


@pytest.mark.requirement("Q4", "S1")
def test_signature_by_someone_else_is_not_the_trainees(h):
    p = h.person()
    other = h.person()
    r = h.requirement()
    record = h.record(p, r, completed=day(1), sign=False)
    h.signature(record, other.user, "read_and_understood", day(1))
    assert engine.qualification(p, r, at=day(2)).reason == Reason.TRAINEE_SIGNATURE_MISSING


@pytest.mark.requirement("Q4")
def test_person_without_user_account_cannot_have_signed(h):
    p = h.person(with_user=False)
    r = h.requirement()
    h.record(p, r, completed=day(1))
    assert engine.qualification(p, r, at=day(2)).reason == Reason.TRAINEE_SIGNATURE_MISSING


@pytest.mark.requirement("Q4")
def test_classroom_needs_trainer_signature_and_qualified_trainer(h):
    teach = h.requirement(method=Method.EXTERNAL)
    r = h.requirement(method=Method.CLASSROOM, trainer_requirement=teach)
    trainer = h.person("trainer")
    p, q, s = h.person(), h.person(), h.person()
    h.record(trainer, teach, completed=day(3))
    h.record(p, r, completed=day(2), trainer=trainer, meaning="completed_training")
    h.record(q, r, completed=day(4), trainer=trainer, meaning="completed_training")
    h.record(s, r, completed=day(4), trainer=trainer, trainer_sign=False)
    early = engine.qualification(p, r, at=day(5))
    assert reasons(early) == [Reason.TRAINER_NOT_QUALIFIED]
    assert early.trainer_qualified is False
    late = engine.qualification(q, r, at=day(5))
    assert late.qualified
    assert late.trainer_qualified
    assert sorted(x.role for x in late.signatures) == ["trainee", "trainer"]
    assert reasons(engine.qualification(s, r, at=day(5))) == [Reason.TRAINER_SIGNATURE_MISSING]


@pytest.mark.requirement("Q4")
def test_trainer_chain_and_cycle_terminate(h):
    teach = h.requirement(method=Method.ON_THE_JOB)
    teach.trainer_requirement = teach
    teach.save()
    a, b = h.person("a"), h.person("b")
    # a and b trained each other at the same moment: nothing proves either.
    h.record(a, teach, completed=day(1), trainer=b)
    h.record(b, teach, completed=day(1), trainer=a)
    assert engine.qualification(a, teach, at=day(2)).reason == Reason.TRAINER_NOT_QUALIFIED
    # c holds an external-style root: a record whose method needs no trainer.
    c = h.person("c")
    h.record(c, teach, completed=day(0), method=Method.EXTERNAL, trainer=None)
    # ...but the requirement's own method is on-the-job, so the trainer is still needed.
    assert engine.qualification(c, teach, at=day(2)).reason == Reason.TRAINER_SIGNATURE_MISSING


@pytest.mark.requirement("Q4", "R1")
def test_correction_supersedes_the_record_once_known(h):
    p = h.person()
    r = h.requirement(evidence_required=Evidence.ASSESSMENT, pass_mark=Decimal("80"))
    wrong = h.record(p, r, completed=day(1), evidence=Evidence.ASSESSMENT, score=Decimal("90"))
    h.record(
        p, r, completed=day(1), recorded=day(5), evidence=Evidence.ASSESSMENT,
        score=Decimal("60"), supersedes=wrong,
    )  # fmt: skip
    assert engine.is_qualified(p, r, at=day(3), as_known_at=day(4))
    answer = engine.qualification(p, r, at=day(3))
    assert answer.reason == Reason.ASSESSMENT_NOT_PASSED
    assert answer.record.supersedes_id == wrong.pk


@pytest.mark.requirement("Q4")
def test_document_qualification_needs_every_linked_requirement(h):
    doc = h.document()
    p = h.person()
    r1, r2 = h.requirement(doc), h.requirement(doc)
    h.requirement(doc, active=False)
    h.record(p, r1, completed=day(1))
    answer = engine.document_qualification(p, doc, at=day(2))
    assert not answer.qualified
    assert [a.qualified for a in answer.requirements] == [True, False]
    assert answer.reasons == (Reason.NEVER_TRAINED,)
    h.record(p, r2, completed=day(1))
    assert engine.document_qualification(p, doc, at=day(2)).qualified


@pytest.mark.requirement("Q4")
def test_no_training_defined_follows_the_site(h):
    doc = h.document()
    p = h.person()
    answer = engine.document_qualification(p, doc, at=day(2))
    assert not answer.qualified
    assert answer.no_training_defined
    assert answer.reasons == (Reason.NO_TRAINING_DEFINED,)
    h.site.allow_untrained_documents = True
    h.site.save()
    p.refresh_from_db()
    allowed = engine.document_qualification(p, doc, at=day(2))
    assert allowed.qualified
    assert allowed.no_training_defined


@pytest.mark.requirement("Q4", "Q5")
def test_qualification_does_not_depend_on_being_required(h):
    p = h.person()
    r = h.requirement()
    h.record(p, r, completed=day(1))
    assert engine.required_requirements(p, at=day(2)) == {}
    assert engine.is_qualified(p, r, at=day(2))


@pytest.mark.requirement("Q4", "S1")
def test_real_signature_from_the_signing_service_counts(employee):
    from django.db import transaction

    from qualify.org.models import Person, Site
    from qualify.signatures.services import Credentials, authenticate_signer, sign
    from qualify.training.models import Requirement, TrainingRecord
    from tests.personas import PASSWORD

    site = Site.objects.create(code="X", name="X")
    p = Person.objects.create(employee_number="E1", full_name="E", site=site, user=employee)
    r = Requirement.objects.create(code="R", title="R", method="read", created_at=day(0))
    proof = authenticate_signer(
        actor=employee,
        credentials=Credentials(password=PASSWORD, username=employee.username),
        meaning="read_and_understood",
    )
    with transaction.atomic():
        record = TrainingRecord.objects.create(
            person=p, requirement=r, method="read", completed_at=day(1), recorded_at=day(1),
            evidence="signature", entered_by=employee,
        )  # fmt: skip
        record.refresh_from_db()
        sign(proof=proof, obj=record, meaning="read_and_understood")
    assert engine.is_qualified(p, r, at=dt.datetime.now(dt.UTC))
    # Signed now, so as known at day 2 the record had no signature yet.
    answer = engine.qualification(p, r, at=day(2), as_known_at=day(2))
    assert answer.reason == Reason.TRAINEE_SIGNATURE_MISSING


# Q5 - required


@pytest.mark.requirement("Q5")
def test_required_through_matrix_curriculum_and_individual_assignment(h, django_assert_num_queries):
    p = h.person()
    job = h.function()
    r1, r2, r3, r4 = (h.requirement() for _ in range(4))
    h.job(p, job, start=day(0))
    h.matrix(job, r1, start=day(0))
    h.matrix(job, curriculum=h.curriculum(r2), start=day(0))
    h.matrix(job, r4, start=day(0), end=day(5))
    h.assign(p, r3, due=day(30))
    h.assign(p, r4, due=day(30), status=AssignmentStatus.CANCELLED, closed=day(1))
    h.assign(p, r4, due=day(30), reason=AssignmentReason.MATRIX)
    # Issue 18: the job functions held are a subquery of the matrix's statement; then
    # the curricula's items and the individual assignments: three statements.
    with django_assert_num_queries(3):
        why = engine.required_requirements(p, at=day(10))
    assert set(why) == {r1.pk, r2.pk, r3.pk}
    assert why[r1.pk][0].kind == "matrix"
    assert why[r2.pk][0].kind == "curriculum"
    assert why[r3.pk][0].kind == "assignment"


@pytest.mark.requirement("Q5", "Q7")
def test_required_follows_job_periods_as_known(h):
    p = h.person()
    job = h.function()
    r = h.requirement()
    h.matrix(job, r, start=day(0))
    h.job(p, job, start=day(10), end=day(20), recorded=day(12), end_recorded=day(25))
    assert engine.required_requirements(p, at=day(9)) == {}
    assert set(engine.required_requirements(p, at=day(15))) == {r.pk}
    assert engine.required_requirements(p, at=day(20)) == {}
    assert engine.required_requirements(p, at=day(15), as_known_at=day(11)) == {}
    # The end was learnt on day 25: as known on day 22, P still held the job.
    assert set(engine.required_requirements(p, at=day(21), as_known_at=day(22))) == {r.pk}


# Q6 - compliant


@pytest.mark.requirement("Q6")
def test_compliant_unless_an_assignment_is_open_past_due(h):
    p = h.person()
    r = h.requirement()
    h.assign(p, r, due=day(10), status=AssignmentStatus.COMPLETED, closed=day(12))
    assert engine.is_compliant(p, at=day(10))
    assert not engine.is_compliant(p, at=day(11))  # still open on day 11
    assert engine.is_compliant(p, at=day(12))
    h.assign(p, h.requirement(), due=day(20))
    assert engine.is_compliant(p, at=day(20))
    assert not engine.is_compliant(p, at=day(21))


# Q7 - as known at


@pytest.mark.requirement("Q7")
def test_record_recorded_late_is_not_yet_known(h):
    p = h.person()
    r = h.requirement()
    h.record(p, r, completed=day(1), recorded=day(8))
    assert engine.is_qualified(p, r, at=day(5))
    answer = engine.qualification(p, r, at=day(5), as_known_at=day(5))
    assert answer.reason == Reason.NOT_YET_RECORDED


@pytest.mark.requirement("Q7", "Q1")
def test_version_approved_after_k_is_unknown(h):
    doc = h.document(versions=[(0, True), (10, True, 12)])
    p = h.person()
    r = h.requirement(doc)
    h.record(p, r, completed=day(1), version=h.version(doc, 1))
    # Approved on day 12 with effect from day 10 (backdated): known now, not on day 11.
    assert not engine.is_qualified(p, r, at=day(11))
    assert engine.is_qualified(p, r, at=day(11), as_known_at=day(11))


@pytest.mark.requirement("Q7")
def test_revocation_and_obsolescence_count_only_once_recorded(h):
    doc = h.document(obsolete_from=day(20), obsolete_recorded_at=day(25))
    p = h.person()
    r = h.requirement(doc)
    h.record(p, r, completed=day(1))
    h.revoke(p, r, issued=day(10), recorded=day(15))
    assert not engine.is_qualified(p, r, at=day(12))
    assert engine.is_qualified(p, r, at=day(12), as_known_at=day(14))
    assert engine.is_qualified(p, r, at=day(21), as_known_at=day(14))
    assert not engine.is_qualified(p, r, at=day(21), as_known_at=day(26))


@pytest.mark.requirement("Q7", "S1")
def test_signature_made_after_k_does_not_count(h):
    p = h.person()
    r = h.requirement()
    h.record(p, r, completed=day(1), recorded=day(1), signed_at=day(3))
    assert engine.is_qualified(p, r, at=day(2))
    assert not engine.is_qualified(p, r, at=day(2), as_known_at=day(2))


@pytest.mark.requirement("Q7")
def test_times_must_be_aware(h):
    p = h.person()
    r = h.requirement()
    with pytest.raises(ValueError, match="timezone-aware"):
        engine.qualification(p, r, at=dt.datetime(2024, 1, 1))


# Q8 - evidence of understanding


@pytest.mark.requirement("Q8")
def test_assessment_needs_a_passing_score(h):
    r = h.requirement(evidence_required=Evidence.ASSESSMENT, pass_mark=Decimal("80"))
    p, q, s = h.person(), h.person(), h.person()
    h.record(p, r, completed=day(1), evidence=Evidence.ASSESSMENT, score=Decimal("80"))
    h.record(q, r, completed=day(1), evidence=Evidence.ASSESSMENT, score=Decimal("79.99"))
    h.record(s, r, completed=day(1))
    assert engine.is_qualified(p, r, at=day(2))
    assert engine.qualification(q, r, at=day(2)).reason == Reason.ASSESSMENT_NOT_PASSED
    assert engine.qualification(s, r, at=day(2)).reason == Reason.ASSESSMENT_NOT_PASSED


@pytest.mark.requirement("Q8")
def test_demonstration_required(h):
    r = h.requirement(evidence_required=Evidence.DEMONSTRATION)
    p, q = h.person(), h.person()
    h.record(p, r, completed=day(1), evidence=Evidence.DEMONSTRATION)
    h.record(q, r, completed=day(1), evidence=Evidence.SIGNATURE)
    assert engine.is_qualified(p, r, at=day(2))
    assert engine.qualification(q, r, at=day(2)).reason == Reason.EVIDENCE_INSUFFICIENT


# Priority among candidate records


@pytest.mark.requirement("Q4")
def test_latest_record_is_the_reported_candidate_and_any_valid_record_qualifies(h):
    r = h.requirement(recurrence_months=12)
    p = h.person()
    good = h.record(p, r, completed=day(1))
    h.record(p, r, completed=day(5), broken=True)
    answer = engine.qualification(p, r, at=day(6))
    assert answer.qualified
    assert answer.record.pk == good.pk
    q = h.person()
    h.record(q, r, completed=day(1), sign=False)
    latest = h.record(q, r, completed=day(5), broken=True)
    answer = engine.qualification(q, r, at=day(6))
    assert answer.record.pk == latest.pk
    assert reasons(answer) == [Reason.SIGNATURE_BROKEN]


# Bulk


@pytest.mark.requirement("Q4")
def test_check_many_matches_single_checks_with_bounded_queries(h, django_assert_max_num_queries):
    teach = h.requirement(method=Method.EXTERNAL)
    trainer = h.person("trainer")
    h.record(trainer, teach, completed=day(0))
    docs = [h.document(versions=[(0, True), (10 + i, i % 2 == 0)]) for i in range(6)]
    reqs = [h.requirement(d) for d in docs]
    reqs.append(h.requirement(docs[0], method=Method.CLASSROOM, trainer_requirement=teach))
    people = [h.person() for _ in range(8)]
    for i, person in enumerate(people):
        for j, r in enumerate(reqs):
            if (i + j) % 3:
                h.record(
                    person, r, completed=day(i + j), trainer=trainer,
                    version=h.version(r.document, 1 + (i + j) % 2),
                )  # fmt: skip
    pairs = [(p, d) for p in people for d in docs]
    with django_assert_max_num_queries(12):
        bulk = engine.check_many(pairs, at=day(14))
    single = [engine.document_qualification(p, d, at=day(14)) for p, d in pairs]
    assert [a.qualified for a in bulk] == [a.qualified for a in single]
    assert [a.reasons for a in bulk] == [a.reasons for a in single]
    assert any(a.qualified for a in bulk)
    assert not all(a.qualified for a in bulk)


def test_check_many_refuses_more_than_a_thousand_pairs(h):
    p = h.person()
    doc = h.document()
    with pytest.raises(ValueError, match="at most"):
        engine.check_many([(p, doc)] * 1001, at=day(1))
