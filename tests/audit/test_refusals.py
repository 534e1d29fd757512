"""A5: a refused action is audited, and the event survives the refusal."""

import pytest
from django.db import transaction

from qualify.audit import services as audit
from qualify.audit.models import AuditEvent


class Refused(Exception):
    pass


def _fail_after(work) -> None:
    with transaction.atomic():
        work()
        raise Refused


@pytest.mark.requirement("A5")
@pytest.mark.django_db
def test_a_refusal_recorded_after_the_rollback_is_kept_with_actor_and_reason(admin):
    with pytest.raises(Refused):
        _fail_after(
            lambda: audit.record(
                "audit.exported", actor=admin, object_type="audit.trail", object_id=1
            )
        )
    seq = audit.record_refusal(
        "signature.refused", actor=admin, why="not today", object_type="x.y", object_id=7
    )
    event = AuditEvent.objects.get(seq=seq)
    assert event.action == "signature.refused"
    assert event.actor_username == admin.username
    assert event.data["detail"]["why"] == "not today"
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


@pytest.mark.requirement("A5")
@pytest.mark.django_db
def test_a_refusal_inside_a_callers_transaction_commits_with_it(admin):
    with pytest.raises(Refused):
        _fail_after(lambda: audit.record_refusal("signature.refused", actor=admin, why="joined"))
    assert not AuditEvent.objects.filter(action="signature.refused").exists()
