import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from qualify.documents import events, queries, services
from qualify.documents.models import Document, DocumentVersion
from qualify.signatures.models import Signature
from tests.documents.support import creds, released, submitted
from tests.org.support import audit_count, audit_events, utc

JAN = utc(2026, 1, 1)
FEB = utc(2026, 2, 1)
MAR = utc(2026, 3, 1)


def obsolete(document, approver, **kwargs):
    kwargs.setdefault("reason", "Process retired (CC-21)")
    return services.document_obsolete(
        actor=approver, document=document, credentials=creds(approver), **kwargs
    )


@pytest.mark.requirement("Q1", "A1", "S1")
def test_obsoleting_ends_the_last_version_and_is_signed_and_audited(
    doc_controller, reviewer, qa, document
):
    fired = []
    events.document_obsoleted.connect(lambda **kw: fired.append((kw["document"].pk, kw["reason"])))
    with time_machine.travel(JAN, tick=False):
        a = released(document, doc_controller, reviewer, qa, "A")
        b = released(document, doc_controller, reviewer, qa, "B", effective_from=FEB)
    with time_machine.travel(MAR, tick=False):
        obsolete(document, qa)
    document.refresh_from_db()
    a.refresh_from_db()
    b.refresh_from_db()
    assert (document.obsolete_from, document.obsolete_recorded_at) == (MAR, MAR)
    assert (a.effective_to, b.effective_to) == (FEB, MAR)
    assert queries.effective_version(document, at=MAR - dt.timedelta(seconds=1)) == b
    assert queries.effective_version(document, at=MAR) is None
    assert queries.version_state(b, MAR) == "Obsolete"
    assert fired == [(document.pk, "Process retired (CC-21)")]
    assert (
        Signature.objects.filter(
            object_type="documents.document", meaning="approved", signer=qa
        ).count()
        == 1
    )
    assert audit_events(document)[-1].action == "document.obsoleted"
    ended = audit_events(b, "document.version.ended")[0]
    assert ended.changes == {"effective_to": [None, "2026-03-01T00:00:00.000000Z"]}


@pytest.mark.requirement("Q1", "Q7")
def test_as_known_before_the_obsolescence_was_recorded_the_last_version_is_still_effective(
    doc_controller, reviewer, qa, document
):
    with time_machine.travel(JAN, tick=False):
        a = released(document, doc_controller, reviewer, qa, "A")
    with time_machine.travel(MAR, tick=False):
        obsolete(document, qa, obsolete_from=FEB, reason="Retired on paper in February")
    mid_feb = utc(2026, 2, 15)
    assert queries.effective_version(document, at=mid_feb) is None
    assert queries.effective_version(document, at=mid_feb, as_known_at=mid_feb) == a


def test_obsolete_from_must_follow_the_last_versions_effective_date(
    doc_controller, reviewer, qa, document
):
    with time_machine.travel(JAN, tick=False):
        released(document, doc_controller, reviewer, qa, "A", effective_from=FEB)
        before = audit_count()
        for when in (FEB, JAN):
            with pytest.raises(ValidationError, match="takes effect"):
                obsolete(document, qa, obsolete_from=when)
        assert audit_count() == before
        assert Document.objects.get(pk=document.pk).obsolete_from is None


def test_a_document_with_an_open_version_cannot_be_obsoleted(
    doc_controller, reviewer, qa, document
):
    released(document, doc_controller, reviewer, qa, "A")
    submitted(document, doc_controller, reviewer, "B")
    with pytest.raises(ValidationError, match="withdraw it"):
        obsolete(document, qa)


def test_an_obsolete_document_takes_no_new_versions(doc_controller, reviewer, qa, document):
    released(document, doc_controller, reviewer, qa, "A")
    obsolete(document, qa)
    with pytest.raises(ValidationError, match="obsolete"):
        services.version_draft(
            actor=doc_controller, document=document, revision="B", change_summary="Revival"
        )
    with pytest.raises(ValidationError, match="obsolete"):
        obsolete(document, qa)
    assert DocumentVersion.objects.count() == 1


def test_obsoleting_needs_a_reason(doc_controller, reviewer, qa, document):
    released(document, doc_controller, reviewer, qa, "A")
    with pytest.raises(ValidationError) as refused:
        obsolete(document, qa, reason=" ")
    assert "reason" in refused.value.message_dict


@pytest.mark.requirement("U2")
@pytest.mark.parametrize("persona", ["doc_controller", "coordinator", "auditor", "admin"])
def test_only_qa_obsoletes(request, persona, document):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        obsolete(document, actor)
