"""L4 on a SCORM/cmi5 package: the completion of a locked item (its prerequisite not
complete and valid) cannot be signed; the refusal is audited by the one prerequisite
check and no record is written."""

import json

import pytest
from django.core.exceptions import ValidationError

from qualify.audit.models import AuditEvent
from qualify.content import services
from qualify.content.models import Attempt, AttemptStatus
from qualify.training.models import TrainingRecord
from qualify.web.content.views import commit_key
from tests.training.locking import lock_behind
from tests.training.support import creds

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("L4", "P43")]


def test_a_locked_package_completion_cannot_be_signed(client, plant, scorm12):
    """L4: the package reports completion, but signing it before the prerequisite is
    done is refused, audited, and writes no record; after the prerequisite, it signs."""
    _document, requirement, learner, assignment = plant.course(scorm12)
    pre = plant.requirement("PRE-RU", document=plant.document("SOP-PRE"))
    # Started before the path put the item behind its prerequisite (P72 refuses a
    # start once it is locked): its completion is still checked at signing.
    attempt = services.attempt_open(actor=learner.user, assignment=assignment)
    lock_behind(plant, requirement, pre, plant.operators)
    client.force_login(learner.user)
    key = commit_key(attempt, learner.user)
    body = {"cmi": {"core": {"lesson_status": "passed", "score": {"raw": "95"}}}, "capturedAt": 1}
    client.post(
        f"/content/attempts/{attempt.pk}/commit/?item=sco1&key={key}",
        data=json.dumps(body),
        content_type="application/json",
    )
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.COMPLETED

    with pytest.raises(ValidationError, match="prerequisite") as refused:
        services.attempt_sign(actor=learner.user, attempt=attempt, credentials=creds(learner.user))
    assert "PRE-RU" in str(refused.value)
    assert not TrainingRecord.objects.filter(person=learner, requirement=requirement).exists()
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.COMPLETED
    (event,) = AuditEvent.objects.filter(action="training.record.prerequisite_refused")
    assert event.data["detail"]["missing"] == ["PRE-RU"]

    plant.read(learner, pre)
    record = services.attempt_sign(
        actor=learner.user, attempt=attempt, credentials=creds(learner.user)
    )
    assert record.requirement == requirement


@pytest.mark.requirement("L4", "P72")
def test_a_locked_package_cannot_be_opened(plant, scorm12):
    """P72: opening the package of an item whose prerequisite is not complete and
    valid is refused by the one prerequisite check, with the prerequisite named,
    audited, and no attempt is started; once the prerequisite is signed, it opens."""
    _document, requirement, learner, assignment = plant.course(scorm12)
    pre = plant.requirement("PRE-RU", document=plant.document("SOP-PRE"))
    lock_behind(plant, requirement, pre, plant.operators)

    with pytest.raises(ValidationError) as refused:
        services.attempt_open(actor=learner.user, assignment=assignment)
    assert "cannot be started before its prerequisite" in str(refused.value)
    assert "PRE-RU" in str(refused.value)
    assert not Attempt.objects.filter(person=learner).exists()
    (event,) = AuditEvent.objects.filter(action="training.record.prerequisite_refused")
    assert event.data["detail"] == {
        "why": event.data["detail"]["why"],
        "requirement": requirement.code,
        "missing": ["PRE-RU"],
    }
    assert event.actor_id == learner.user.pk

    plant.read(learner, pre)
    attempt = services.attempt_open(actor=learner.user, assignment=assignment)
    assert attempt.status == AttemptStatus.OPEN


@pytest.mark.requirement("L4", "P72")
def test_the_launch_page_refuses_a_locked_package_with_the_prerequisite_named(
    client, plant, scorm12
):
    """P72 on the page: the learner's start button answers with the refusal in words
    and starts nothing; the refusal is on the audit trail."""
    _document, requirement, learner, assignment = plant.course(scorm12)
    pre = plant.requirement("PRE-RU", document=plant.document("SOP-PRE"))
    lock_behind(plant, requirement, pre, plant.operators)
    client.force_login(learner.user)

    response = client.post(f"/content/assignments/{assignment.pk}/", follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "cannot be started before its prerequisite" in page
    assert "PRE-RU" in page
    assert not Attempt.objects.filter(person=learner).exists()
    assert AuditEvent.objects.filter(action="training.record.prerequisite_refused").count() == 1
