import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from qualify.documents import events, queries, services
from qualify.documents.models import DocumentVersion, VersionStatus
from qualify.signatures.models import Signature
from tests.documents.support import creds, released, submitted
from tests.org.support import audit_count, audit_events, utc

JAN = utc(2026, 1, 1)
FEB = utc(2026, 2, 1)
MAR = utc(2026, 3, 1)
APR = utc(2026, 4, 1)


def approve(version, approver, **kwargs):
    return services.version_approve(
        actor=approver, version=version, credentials=creds(approver), **kwargs
    )


def assert_refused_and_nothing_written(version, call, match):
    before_events, before_signatures = audit_count(), Signature.objects.count()
    state = DocumentVersion.objects.filter(pk=version.pk).values().get()
    with pytest.raises(ValidationError, match=match):
        call()
    assert audit_count() == before_events
    assert Signature.objects.count() == before_signatures
    assert DocumentVersion.objects.filter(pk=version.pk).values().get() == state


def assert_refused_and_only_the_refusal_recorded(version, actor, call, match):
    """A5: the refused approval changes nothing, and one event records who was refused
    and why."""
    before_events, before_signatures = audit_count(), Signature.objects.count()
    state = DocumentVersion.objects.filter(pk=version.pk).values().get()
    with pytest.raises(ValidationError, match=match) as refused:
        call()
    assert audit_count() == before_events + 1
    [event] = audit_events(version, "document.version.approval_refused")
    assert event.actor_username == actor.username
    assert event.data["detail"]["why"] == " ".join(refused.value.messages)
    assert Signature.objects.count() == before_signatures
    assert DocumentVersion.objects.filter(pk=version.pk).values().get() == state


@pytest.mark.requirement("Q1", "A1", "S1")
def test_approval_signs_sets_the_dates_and_the_baseline(doc_controller, reviewer, qa, document):
    version = submitted(document, doc_controller, reviewer, "A")
    with time_machine.travel(JAN, tick=False):
        approve(version, qa)
    version.refresh_from_db()
    assert version.status == VersionStatus.APPROVED
    assert (version.approved_at, version.effective_from, version.effective_to) == (JAN, JAN, None)
    assert version.baseline == version
    assert (
        Signature.objects.filter(meaning="approved", signer=qa, object_id=str(version.pk)).count()
        == 1
    )
    event = audit_events(version, "document.version.approved")[0]
    assert event.changes["status"] == ["in_review", "approved"]
    assert event.changes["effective_from"][0] is None
    assert event.actor_username == qa.username


@pytest.mark.requirement("Q1", "T2", "A1")
def test_a_new_version_ends_the_previous_one_at_its_own_effective_from(
    doc_controller, reviewer, qa, document
):
    with time_machine.travel(JAN, tick=False):
        first = released(document, doc_controller, reviewer, qa, "A")
        second = released(document, doc_controller, reviewer, qa, "B", effective_from=MAR)
    first.refresh_from_db()
    assert first.effective_to == second.effective_from == MAR
    ended = audit_events(first, "document.version.ended")[0]
    assert ended.changes == {"effective_to": [None, "2026-03-01T00:00:00.000000Z"]}
    assert "revision B" in ended.reason


@pytest.mark.requirement("Q1")
def test_at_most_one_version_is_effective_at_any_instant(doc_controller, reviewer, qa, document):
    with time_machine.travel(JAN, tick=False):
        a = released(document, doc_controller, reviewer, qa, "A")
        b = released(document, doc_controller, reviewer, qa, "B", effective_from=FEB)
        c = released(document, doc_controller, reviewer, qa, "C", effective_from=MAR)
    versions = [DocumentVersion.objects.get(pk=v.pk) for v in (a, b, c)]
    probes = [JAN, FEB - dt.timedelta(microseconds=1), FEB, MAR - dt.timedelta(seconds=1), MAR, APR]
    expected = [a, a, b, b, c, c]
    for instant, want in zip(probes, expected, strict=True):
        in_interval = [
            v
            for v in versions
            if v.effective_from <= instant and (v.effective_to is None or instant < v.effective_to)
        ]
        assert in_interval == [want]
        assert queries.effective_version(document, at=instant) == want
    assert queries.effective_version(document, at=JAN - dt.timedelta(seconds=1)) is None
    with time_machine.travel(FEB + dt.timedelta(days=1), tick=False):
        assert [queries.version_state(v, at=FEB) for v in versions] == [
            "Superseded",
            "Effective",
            "Approved",
        ]


@pytest.mark.requirement("Q1", "Q7")
def test_as_known_at_ignores_approvals_recorded_later(doc_controller, reviewer, qa, document):
    with time_machine.travel(JAN, tick=False):
        a = released(document, doc_controller, reviewer, qa, "A")
    with time_machine.travel(MAR, tick=False):
        # Approved in March, backdated to take effect from February.
        b = released(document, doc_controller, reviewer, qa, "B", effective_from=FEB)
    mid_feb = utc(2026, 2, 15)
    assert queries.effective_version(document, at=mid_feb) == b
    assert queries.effective_version(document, at=mid_feb, as_known_at=mid_feb) == a
    assert queries.effective_version(document, at=mid_feb, as_known_at=MAR) == b
    assert queries.effective_version(document, at=mid_feb, as_known_at=utc(2025, 12, 1)) is None


@pytest.mark.requirement("Q1")
def test_an_effective_date_overlapping_the_latest_version_is_refused(
    doc_controller, reviewer, qa, document
):
    with time_machine.travel(JAN, tick=False):
        released(document, doc_controller, reviewer, qa, "A", effective_from=FEB)
        b = submitted(document, doc_controller, reviewer, "B")
        for at in (FEB, FEB - dt.timedelta(days=1)):
            assert_refused_and_nothing_written(
                b, lambda at=at: approve(b, qa, effective_from=at, reason="Backdated"), "overlap"
            )
        # Defaulting to now (JAN) is also before A's effective date.
        assert_refused_and_nothing_written(b, lambda: approve(b, qa), "overlap")
        approve(b, qa, effective_from=FEB + dt.timedelta(seconds=1))


@pytest.mark.requirement("S2")
def test_the_author_cannot_approve_their_own_version(doc_controller, reviewer, document):
    # An author who also holds the QA approver role.
    from qualify.accounts import roles
    from tests.personas import make_user

    author = make_user("author_qa", roles.EMPLOYEE, roles.DOCUMENT_CONTROLLER, roles.QA_APPROVER)
    version = services.version_draft(
        actor=author, document=document, revision="A", change_summary="First", content_text="Text"
    )
    services.version_submit(actor=author, version=version, credentials=creds(author))
    services.version_review(actor=reviewer, version=version, credentials=creds(reviewer))
    assert_refused_and_only_the_refusal_recorded(
        version, author, lambda: approve(version, author), "You wrote revision A"
    )


@pytest.mark.requirement("S2", "A5")
def test_the_reviewer_cannot_also_approve_the_revision(doc_controller, document):
    # A reviewer who also holds the QA approver role.
    from qualify.accounts import roles
    from tests.personas import make_user

    both = make_user("review_qa", roles.EMPLOYEE, roles.DOCUMENT_CONTROLLER, roles.QA_APPROVER)
    version = submitted(document, doc_controller, both, "A")
    assert services.approval_problem(version, both) == (
        "You reviewed revision A; a different person must approve it."
    )
    assert_refused_and_only_the_refusal_recorded(
        version, both, lambda: approve(version, both), "You reviewed revision A"
    )


@pytest.mark.requirement("Q1")
def test_a_past_effective_date_needs_a_reason(doc_controller, reviewer, qa, document):
    with time_machine.travel(MAR, tick=False):
        version = submitted(document, doc_controller, reviewer, "A")
        assert_refused_and_nothing_written(
            version, lambda: approve(version, qa, effective_from=FEB), "reason"
        )
        approve(version, qa, effective_from=FEB, reason="Effective per CC-7 signed on paper")
    version.refresh_from_db()
    assert (version.effective_from, version.approved_at) == (FEB, MAR)
    event = audit_events(version, "document.version.approved")[0]
    assert event.reason == "Effective per CC-7 signed on paper"


def test_a_naive_effective_date_is_refused(doc_controller, reviewer, qa, document):
    version = submitted(document, doc_controller, reviewer, "A")
    assert_refused_and_nothing_written(
        version, lambda: approve(version, qa, effective_from=dt.datetime(2030, 1, 1)), "time zone"
    )


@pytest.mark.requirement("Q2")
def test_an_editorial_version_without_justification_is_refused(
    doc_controller, reviewer, qa, document
):
    released(document, doc_controller, reviewer, qa, "A")
    b = submitted(document, doc_controller, reviewer, "B", retraining_required=False)
    assert_refused_and_nothing_written(b, lambda: approve(b, qa), "justification")


@pytest.mark.requirement("Q2")
def test_a_first_version_cannot_be_editorial(doc_controller, document):
    with pytest.raises(ValidationError, match="no approved version that required training"):
        services.version_draft(
            actor=doc_controller,
            document=document,
            revision="A",
            change_summary="First",
            retraining_required=False,
            editorial_justification="Typos",
        )
    assert not document.versions.exists()


@pytest.mark.requirement("Q2")
def test_the_baseline_runs_through_editorial_versions(doc_controller, reviewer, qa, document):
    editorial = {"retraining_required": False, "editorial_justification": "Typo fixes only"}
    with time_machine.travel(JAN, tick=False):
        a = released(document, doc_controller, reviewer, qa, "A")
        b = released(document, doc_controller, reviewer, qa, "B", effective_from=FEB, **editorial)
        c = released(document, doc_controller, reviewer, qa, "C", effective_from=MAR)
        d = released(document, doc_controller, reviewer, qa, "D", effective_from=APR, **editorial)
    baselines = [DocumentVersion.objects.get(pk=v.pk).baseline for v in (a, b, c, d)]
    assert baselines == [a, a, c, c]


@pytest.mark.requirement("S2")
def test_approval_needs_a_valid_review_signature(doc_controller, qa, document):
    version = services.version_draft(
        actor=doc_controller,
        document=document,
        revision="A",
        change_summary="First",
        content_text="Text",
    )
    services.version_submit(
        actor=doc_controller, version=version, credentials=creds(doc_controller)
    )
    assert services.approval_problem(version, qa) is not None
    assert_refused_and_only_the_refusal_recorded(
        version, qa, lambda: approve(version, qa), "must be reviewed before approval"
    )


def test_only_a_version_in_review_can_be_approved(doc_controller, qa, document):
    version = services.version_draft(
        actor=doc_controller,
        document=document,
        revision="A",
        change_summary="First",
        content_text="Text",
    )
    assert_refused_and_nothing_written(version, lambda: approve(version, qa), "only a version")


@pytest.mark.requirement("U2", "S2")
@pytest.mark.parametrize("persona", ["employee", "coordinator", "auditor", "admin", "reviewer"])
def test_only_qa_approves(request, persona, doc_controller, reviewer, document):
    version = submitted(document, doc_controller, reviewer, "A")
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        services.version_approve(actor=actor, version=version, credentials=creds(actor))
    version.refresh_from_db()
    assert version.status == VersionStatus.IN_REVIEW


@pytest.mark.requirement("G3")
def test_the_approval_hook_fires_once_inside_the_transaction(
    doc_controller, reviewer, qa, document
):
    seen = []

    def handler(*, actor, version, window_exception_reason):
        signed = Signature.objects.filter(object_id=str(version.pk), meaning="approved").exists()
        seen.append((actor, version.pk, version.status, signed, window_exception_reason))

    events.version_approved.connect(handler)
    version = submitted(document, doc_controller, reviewer, "A")
    approve(version, qa, window_exception_reason="Deviation DEV-3 needs it live today")
    assert seen == [(qa, version.pk, "approved", True, "Deviation DEV-3 needs it live today")]


@pytest.mark.requirement("P5")
def test_a_failing_hook_handler_rolls_the_approval_back(doc_controller, reviewer, qa, document):
    def handler(**kwargs):
        raise RuntimeError("training layer refused")

    events.version_approved.connect(handler)
    version = submitted(document, doc_controller, reviewer, "A")
    before = audit_count()
    with pytest.raises(RuntimeError):
        approve(version, qa)
    version.refresh_from_db()
    assert version.status == VersionStatus.IN_REVIEW
    assert audit_count() == before
    assert not Signature.objects.filter(meaning="approved").exists()
