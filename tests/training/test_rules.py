"""Assignment rules fired by other layers' events: G2, G3, G5, G6, G7."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qualify.audit.verify import verify_trail
from qualify.documents import services as documents
from qualify.documents.models import VersionStatus
from qualify.org import services as org
from qualify.org.models import Person
from qualify.training import engine
from qualify.training import services as training
from qualify.training.models import (
    Assignment,
    AssignmentReason,
    AssignmentStatus,
    RequalificationOrder,
)
from qualify.training.services import rules
from tests.training.support import DAY, creds, events_of, open_assignments

pytestmark = pytest.mark.django_db


@pytest.fixture
def sop(plant):
    document = plant.document("SOP-014")
    return plant.requirement("SOP-014-RU", document=document)


# --- G2 ---------------------------------------------------------------------------------------


@pytest.mark.requirement("G2")
def test_new_job_function_assigns_its_requirements_due_a_window_after_the_start(plant, sop):
    plant.matrix(sop, window_days=20)
    ann = plant.person("Ann")
    starts = timezone.now() + 5 * DAY
    job = plant.hold(ann, plant.operators, since=starts)
    [assignment] = open_assignments(person=ann)
    assert assignment.reason == AssignmentReason.ROLE_CHANGE
    assert assignment.source == f"org.jobassignment:{job.pk}"
    assert assignment.due_at == starts + 20 * DAY


@pytest.mark.requirement("G2")
def test_new_job_function_skips_what_the_person_is_qualified_on(plant, sop):
    plant.matrix(sop)
    ann = plant.person("Ann")
    training.assignment_create_individual(
        actor=plant.coordinator, person=ann, requirement=sop, due_at=timezone.now() + DAY
    )
    plant.read(ann, sop)
    plant.hold(ann, plant.operators)
    assert not open_assignments(person=ann)


@pytest.mark.requirement("G2")
def test_second_job_function_requiring_the_same_training_adds_nothing(plant, sop):
    packers = plant.job_function("PK")
    plant.matrix(sop)
    plant.matrix(sop, packers)
    ann = plant.person("Ann", job_function=plant.operators)
    plant.hold(ann, packers)
    assert len(open_assignments(person=ann)) == 1


# --- G3 ---------------------------------------------------------------------------------------


@pytest.fixture
def crew(plant, sop):
    packers = plant.job_function("PK", "Packer")
    plant.matrix(sop, window_days=30)
    plant.matrix(sop, packers, window_days=30)
    operators = [plant.person(f"Op{i}", job_function=plant.operators) for i in range(3)]
    packer = plant.person("Pack", job_function=packers)
    both = plant.person("Both", job_function=plant.operators)
    plant.hold(both, packers)
    for person in [*operators, packer, both]:
        plant.read(person, sop)
    return operators, packer, both


@pytest.mark.requirement("G3")
def test_revision_assigns_everyone_required_due_at_its_effective_date(plant, sop, crew):
    effective = timezone.now() + 40 * DAY
    version = plant.revise(sop.document, "2", effective_from=effective)
    assigned = open_assignments(requirement=sop)
    assert len(assigned) == 5
    for assignment in assigned:
        assert assignment.reason == AssignmentReason.REVISION
        assert assignment.document_version == version
        assert assignment.reason_text == "SOP-014 revised to rev 2"
        assert assignment.due_at == effective
        assert assignment.source == f"documents.documentversion:{version.pk}"


@pytest.mark.requirement("G3")
def test_revision_supersedes_open_assignments_and_points_to_the_successor(plant, sop, crew):
    newcomer = plant.person("New", job_function=plant.operators)
    [older] = open_assignments(person=newcomer)
    version = plant.revise(sop.document, "2", effective_from=timezone.now() + 40 * DAY)
    older.refresh_from_db()
    [successor] = open_assignments(person=newcomer)
    assert older.status == AssignmentStatus.SUPERSEDED
    assert older.superseded_by == successor
    assert successor.document_version == version
    [event] = events_of(older, "training.assignment.superseded")
    assert event.reason == "Superseded: SOP-014 revised to rev 2"


@pytest.mark.requirement("G3")
def test_impact_preview_counts_equal_the_fan_out(plant, sop, crew):
    newcomer = plant.person("New", job_function=plant.operators)  # has an open assignment
    version = plant.draft(sop.document, "2")
    effective = timezone.now() + 40 * DAY
    preview = training.impact_preview(version, effective_from=effective)
    assert preview.people == 6
    assert preview.assignments == 6
    assert preview.superseded == 1
    assert preview.by_job_function == {"OP": 5, "PK": 2}
    assert preview.by_site == {"DUB": 6}
    assert preview.due_at == effective
    assert not preview.window_exception_needed
    plant.approve(version, effective_from=effective)
    made = Assignment.objects.filter(document_version=version)
    assert made.count() == preview.assignments
    assert made.values("person").distinct().count() == preview.people
    assert newcomer.pk in made.values_list("person_id", flat=True)


@pytest.mark.requirement("G3")
def test_effective_date_inside_the_training_window_needs_a_qa_exception(plant, sop, crew):
    version = plant.draft(sop.document, "2")
    soon = timezone.now() + 10 * DAY
    assert training.impact_preview(version, effective_from=soon).window_exception_needed
    with pytest.raises(ValidationError, match="window exception"):
        plant.approve(version, effective_from=soon)
    version.refresh_from_db()
    assert version.status == VersionStatus.IN_REVIEW  # the approval rolled back
    assert not open_assignments(requirement=sop)
    plant.approve(version, effective_from=soon, exception="Safety fix, train at shift start")
    assert len(open_assignments(requirement=sop)) == 5
    assert all(a.due_at == soon for a in open_assignments(requirement=sop))
    [created] = events_of(open_assignments(requirement=sop)[0], "training.assignment.created")
    assert created.entry  # the event carries the exception in its detail
    assert "Safety fix" in str(created.entry)


@pytest.mark.requirement("G3")
def test_editorial_revision_assigns_nothing(plant, sop, crew):
    plant.revise(sop.document, "1a", effective_from=timezone.now() + DAY, retraining_required=False)
    assert not open_assignments(requirement=sop)


@pytest.mark.requirement("G3")
def test_revision_fan_out_is_idempotent(plant, sop, crew):
    version = plant.revise(sop.document, "2", effective_from=timezone.now() + 40 * DAY)
    rules.on_version_approved(actor=plant.qa, version=version)
    assert Assignment.objects.filter(document_version=version).count() == 5
    assert not Assignment.objects.filter(status=AssignmentStatus.SUPERSEDED).exists()


@pytest.mark.requirement("G3")
def test_revision_fan_out_is_set_based(plant, sop):
    """The number of queries does not grow with the number of people assigned."""
    plant.matrix(sop)

    def fan_out_queries(count: int, revision: str) -> int:
        for _ in range(count):
            plant.person(f"P{revision}", job_function=plant.operators)
        version = plant.draft(sop.document, revision)
        Version = type(version)
        Version.objects.filter(pk=version.pk).update(
            status=VersionStatus.APPROVED,
            approved_at=timezone.now(),
            effective_from=timezone.now() + 40 * DAY,
            baseline=version,
        )
        version.refresh_from_db()
        with CaptureQueriesContext(connection) as queries:
            created = rules.on_version_approved(actor=plant.qa, version=version)
        assert len(created) == Person.objects.count()
        return len(queries)

    small = fan_out_queries(3, "2")
    large = fan_out_queries(40, "3")
    assert large == small


@pytest.mark.requirement("G3", "A4")
def test_fan_out_and_its_audit_events_verify(plant, sop, crew):
    plant.person("New", job_function=plant.operators)
    plant.revise(sop.document, "2", effective_from=timezone.now() + 40 * DAY)
    report = verify_trail()
    assert report.ok, [str(p) for p in report.problems]


# --- G5 ---------------------------------------------------------------------------------------


@pytest.mark.requirement("G5")
def test_quality_event_assigns_one_person_linked_to_the_event(plant, sop):
    ann = plant.person("Ann")
    due = timezone.now() + 7 * DAY
    assignment = training.assignment_create_individual(
        actor=plant.qa,
        person=ann,
        requirement=sop,
        due_at=due,
        reason=AssignmentReason.QUALITY_EVENT,
        source="quality.capaaction:3",
        reason_text="CAPA-0003 retraining",
    )
    assert (assignment.source, assignment.due_at, assignment.status) == (
        "quality.capaaction:3",
        due,
        AssignmentStatus.OPEN,
    )


@pytest.mark.requirement("G5")
def test_individual_assignment_supersedes_an_open_one_keeping_the_earlier_due_date(plant, sop):
    plant.matrix(sop, window_days=5)
    ann = plant.person("Ann", job_function=plant.operators)
    [matrix] = open_assignments(person=ann)
    capa = training.assignment_create_individual(
        actor=plant.qa,
        person=ann,
        requirement=sop,
        due_at=timezone.now() + 20 * DAY,
        reason=AssignmentReason.QUALITY_EVENT,
        source="quality.capaaction:9",
    )
    matrix.refresh_from_db()
    assert matrix.superseded_by == capa
    assert capa.due_at == matrix.due_at
    assert open_assignments(person=ann) == [capa]


@pytest.mark.requirement("G5")
def test_employee_cannot_assign_training(plant, sop, employee):
    ann = plant.person("Ann")
    with pytest.raises(PermissionDenied):
        training.assignment_create_individual(
            actor=employee, person=ann, requirement=sop, due_at=timezone.now() + DAY
        )


@pytest.mark.requirement("G5", "Q4")
def test_requalification_order_revokes_and_assigns(plant, sop):
    ann = plant.person("Ann", job_function=plant.operators)
    plant.matrix(sop)
    plant.read(ann, sop)
    assert engine.is_qualified(ann, sop, at=timezone.now())
    order, assignment = training.requalification_order(
        actor=plant.qa,
        person=ann,
        requirement=sop,
        reason="Deviation DEV-0042: wrong line clearance",
        source="quality.deviation:42",
    )
    assert RequalificationOrder.objects.get() == order
    assert assignment.reason == AssignmentReason.QUALITY_EVENT
    assert assignment.source == "quality.deviation:42"
    assert not engine.is_qualified(ann, sop, at=timezone.now())
    plant.read(ann, sop)
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.COMPLETED
    assert engine.is_qualified(ann, sop, at=timezone.now())


# --- G6 ---------------------------------------------------------------------------------------


@pytest.mark.requirement("G6")
def test_deactivating_a_person_cancels_all_their_open_assignments(plant, sop):
    plant.matrix(sop)
    ann = plant.person("Ann", job_function=plant.operators)
    training.assignment_create_individual(
        actor=plant.coordinator,
        person=ann,
        requirement=plant.requirement("EXT", method="external"),
        due_at=timezone.now() + DAY,
    )
    org.person_deactivate(actor=plant.coordinator, person=ann, reason="Left the company")
    statuses = set(Assignment.objects.filter(person=ann).values_list("status", "cancel_reason"))
    assert statuses == {(AssignmentStatus.CANCELLED, "Person deactivated: Left the company")}


@pytest.mark.requirement("G6")
def test_ending_a_job_cancels_its_training_unless_still_required(plant, sop):
    packers = plant.job_function("PK")
    other = plant.requirement("OP-ONLY", method="external")
    plant.matrix(sop)
    plant.matrix(sop, packers)
    plant.matrix(other)
    ann = plant.person("Ann", job_function=plant.operators)
    plant.hold(ann, packers)
    job = ann.job_assignments.get(job_function=plant.operators)
    org.job_assignment_end(
        actor=plant.coordinator, assignment=job, valid_to=timezone.now(), reason="Moved to packing"
    )
    still = {a.requirement.code: a.status for a in Assignment.objects.filter(person=ann)}
    assert still == {"SOP-014-RU": AssignmentStatus.OPEN, "OP-ONLY": AssignmentStatus.CANCELLED}


@pytest.mark.requirement("G6")
def test_individual_assignments_survive_a_job_ending(plant, sop):
    ann = plant.person("Ann", job_function=plant.operators)
    training.assignment_create_individual(
        actor=plant.coordinator, person=ann, requirement=sop, due_at=timezone.now() + DAY
    )
    job = ann.job_assignments.get()
    org.job_assignment_end(
        actor=plant.coordinator, assignment=job, valid_to=timezone.now(), reason="Moved"
    )
    assert len(open_assignments(person=ann)) == 1


@pytest.mark.requirement("G6")
def test_obsoleting_a_document_cancels_its_open_training(plant, sop):
    plant.matrix(sop)
    ann = plant.person("Ann", job_function=plant.operators)
    documents.document_obsolete(
        actor=plant.qa, document=sop.document, reason="Process retired", credentials=creds(plant.qa)
    )
    [assignment] = Assignment.objects.filter(person=ann)
    assert assignment.status == AssignmentStatus.CANCELLED
    assert assignment.cancel_reason == "SOP-014 made obsolete: Process retired"


# --- G7 ---------------------------------------------------------------------------------------


@pytest.mark.requirement("G7")
def test_overdue_is_derived_never_stored(plant, sop):
    plant.matrix(sop, window_days=1)
    ann = plant.person("Ann", job_function=plant.operators)
    [assignment] = open_assignments(person=ann)
    assert {s for s, _ in AssignmentStatus.choices} == {
        "open",
        "completed",
        "superseded",
        "cancelled",
    }
    assert engine.is_compliant(ann, at=timezone.now())
    assert not engine.is_compliant(ann, at=assignment.due_at + DAY)
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.OPEN
