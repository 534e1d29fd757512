"""The demo's e-learning is completable (issue 14, P35): its e-learning requirement is
assessed from a question bank that is a controlled document, every e-learning record of
the demo is a signed attempt drawn from it, and the demo operator still has hers to do."""

import pytest
from django.utils import timezone

from qualify.assessments import queries, services
from qualify.assessments.models import Attempt, AttemptStatus
from qualify.audit.verify import verify_trail
from qualify.documents.models import Document, VersionStatus
from qualify.seed import assessments as seed_assessments
from qualify.signatures.services import signatures_of
from qualify.training.engine import qualification
from qualify.training.models import Assignment, AssignmentStatus, Requirement, TrainingRecord
from qualify.training.services import elearning

pytestmark = pytest.mark.requirement("P35", "L1", "L2")


@pytest.fixture
def demo(reduced_demo):
    return reduced_demo


def test_the_demos_elearning_is_assessed_from_an_approved_question_bank(demo):
    bank = Document.objects.get(number="QB-001")
    assert bank.versions.get().status == VersionStatus.APPROVED
    requirement = Requirement.objects.get(code="DI-ALCOA")
    assessment = queries.assessment_for(requirement)
    assert assessment.bank == bank
    records = TrainingRecord.objects.filter(requirement=requirement)
    assert records.exists()
    for record in records:
        attempt = record.assessment_attempt
        assert attempt.status == AttemptStatus.PASSED
        assert attempt.bank_version.document == bank
        assert record.evidence_sha256 == services.attempt_digest(attempt)
        assert [s.meaning for s in signatures_of(record)] == ["completed_assessment"]
    report = verify_trail()
    assert report.ok, [str(p) for p in report.problems]


def test_the_demo_operator_reads_then_takes_and_passes_her_elearning(demo):
    from qualify.accounts.models import User

    user = User.objects.get(username="operator")
    person = user.person
    requirement = Requirement.objects.get(code="DI-ALCOA")
    assignment = Assignment.objects.get(
        person=person, requirement=requirement, status=AssignmentStatus.OPEN
    )
    state = queries.assessment_state(person, requirement)
    assert not state.can_start
    assert "in the viewer first" in state.why_not
    elearning.elearning_read(actor=user, assignment=assignment)
    assert queries.assessment_state(person, requirement).can_start
    attempt = services.attempt_start(actor=user, assessment=state.assessment)
    attempt = services.attempt_submit(
        actor=user, attempt=attempt, answers=seed_assessments.answers_for(attempt)
    )
    assert attempt.status == AttemptStatus.PASSED
    services.attempt_sign(actor=user, attempt=attempt, credentials=creds_demo(user))
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.COMPLETED
    assert qualification(person, requirement, at=timezone.now()).qualified
    assert Attempt.objects.filter(person=person).count() == 1


def creds_demo(user):
    from qualify.seed.logins import DEMO_PASSWORD
    from qualify.signatures.services import Credentials

    return Credentials(username=user.username, password=DEMO_PASSWORD)
