"""L4 on the e-learning path: a locked item (its prerequisite not complete and valid)
can neither be read in the viewer nor have its assessment started; each refusal is
audited by the one prerequisite check, and nothing is stored."""

import pytest
from django.core.exceptions import ValidationError

from qualify.assessments import queries, services
from qualify.assessments.models import Attempt
from qualify.audit.models import AuditEvent
from qualify.training.models import VersionReading
from qualify.training.services import elearning
from tests.training.locking import lock_behind

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("L4", "P43")]


def prerequisite_refusals():
    return list(AuditEvent.objects.filter(action="training.record.prerequisite_refused"))


@pytest.fixture
def locked(plant, course):
    """EL-ASEPTIC needs PRE-RU (read and understood) in the operators' path."""
    requirement, assessment = course
    sop = plant.document("SOP-PRE", "Gowning basics")
    plant.approve(plant.revise(sop, "1"))
    pre = plant.requirement("PRE-RU", document=sop)
    lock_behind(plant, requirement, pre, plant.operators)
    person = plant.person("Lena Locked", job_function=plant.operators)
    return person, requirement, assessment, pre


def test_a_locked_e_learning_cannot_be_read_nor_its_assessment_started(plant, locked):
    """L4: before the prerequisite is done, the reading and the attempt start are
    refused with the prerequisite named, audited, and no reading or attempt stored;
    once it is signed, both go ahead."""
    person, requirement, assessment, pre = locked
    assignment = plant.open_assignment(person, requirement)
    state = queries.assessment_state(person, requirement)
    assert not state.can_start
    assert "PRE-RU" in state.why_not
    with pytest.raises(ValidationError) as refused:
        elearning.elearning_read(actor=person.user, assignment=assignment)
    assert "EL-ASEPTIC cannot be started before its prerequisite" in str(refused.value)
    assert "PRE-RU" in str(refused.value)
    assert not VersionReading.objects.filter(person=person).exists()

    with pytest.raises(ValidationError, match="PRE-RU"):
        services.attempt_start(actor=person.user, assessment=assessment)
    assert not Attempt.objects.filter(person=person).exists()
    events = prerequisite_refusals()
    assert len(events) == 2
    assert all(e.data["detail"]["missing"] == ["PRE-RU"] for e in events)
    assert all(e.data["detail"]["requirement"] == "EL-ASEPTIC" for e in events)

    plant.complete(person, pre)
    elearning.elearning_read(actor=person.user, assignment=assignment)
    assert queries.assessment_state(person, requirement).can_start
    attempt = services.attempt_start(actor=person.user, assessment=assessment)
    assert attempt.person == person
    assert len(prerequisite_refusals()) == 2
