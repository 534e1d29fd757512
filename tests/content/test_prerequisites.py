"""L4 on a SCORM/cmi5 package: the completion of a locked item (its prerequisite not
complete and valid) cannot be signed; the refusal is audited by the one prerequisite
check and no record is written."""

import json

import pytest
from django.core.exceptions import ValidationError

from qualify.audit.models import AuditEvent
from qualify.content import services
from qualify.content.models import AttemptStatus
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
    lock_behind(plant, requirement, pre, plant.operators)
    attempt = services.attempt_open(actor=learner.user, assignment=assignment)
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
