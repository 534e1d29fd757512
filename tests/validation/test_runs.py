"""Validation runs (P63): signed 'validation executed' by the person who ran it,
approved by another QA approver with a Part 11 signature on the runs page."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from qualify.accounts import roles
from qualify.audit.models import AuditEvent
from qualify.signatures.queries import signature_checks
from qualify.signatures.services import Credentials, SignatureRefused, signatures_of
from qualify.validation import services
from qualify.validation.models import RunStatus
from tests.personas import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def creds(user, password=PASSWORD):
    return Credentials(username=user.username, password=password)


def record(actor, *, passed=True):
    now = timezone.now()
    return services.validation_run_record(
        actor=actor,
        credentials=creds(actor) if actor else None,
        started_at=now - dt.timedelta(minutes=9),
        finished_at=now,
        version="0.2.0",
        commit="abc123",
        lock_sha256="0" * 64,
        selection="full: every requirement-marked test",
        passed=passed,
        counts={"iq": (0, 16), "oq": (0 if passed else 1, 900), "pq": (0, 5)},
        deviations=[] if passed else ["OQ test failed: tests/x.py::test_y (Q4)"],
        results_sha256="f" * 64,
        pack_path="/srv/validation/0.2.0",
    )


@pytest.fixture
def second_qa(db):
    return make_user("qa_two", roles.QA_APPROVER, printed_name="Quentin Second")


@pytest.mark.requirement("P63", "S1")
def test_a_run_is_signed_validation_executed_and_approved_by_another_qa(qa, second_qa):
    """Steps: QA records a run with their password: it carries their 'Validation
    executed' signature; a second QA approver approves it with theirs; both signatures
    stay valid (approval does not change what the executor signed); each step is audited."""
    run = record(qa)
    (executed,) = signatures_of(run)
    assert executed.meaning == "executed"
    assert executed.signer == qa
    run = services.validation_run_approve(
        actor=second_qa, run=run, credentials=creds(second_qa), comment="Pack read; accepted."
    )
    assert run.status == RunStatus.APPROVED
    assert run.approved_by == second_qa
    assert [s.meaning for s in signatures_of(run)] == ["executed", "approved"]
    assert all(check.valid for check in signature_checks(run))
    actions = set(AuditEvent.objects.filter(object_id=str(run.pk)).values_list("action", flat=True))
    assert {"validation.run.recorded", "validation.run.approved"} <= actions


@pytest.mark.requirement("P63", "S2")
def test_the_person_who_executed_it_cannot_approve_it(qa):
    """Segregation: the executor's approval is refused, nothing is approved."""
    run = record(qa)
    with pytest.raises(SignatureRefused, match="another QA approver"):
        services.validation_run_approve(actor=qa, run=run, credentials=creds(qa))
    run.refresh_from_db()
    assert run.status == RunStatus.EXECUTED


@pytest.mark.requirement("P63")
def test_a_failed_or_unsigned_run_cannot_be_approved(qa, second_qa):
    """A failed run is resolved and run again, never approved; a run nobody signed as
    executed (a CI run) cannot be approved either."""
    failed = record(qa, passed=False)
    with pytest.raises(ValidationError, match="failed validation run"):
        services.validation_run_approve(actor=second_qa, run=failed, credentials=creds(second_qa))
    unsigned = record(None)
    assert not signatures_of(unsigned).exists()
    with pytest.raises(ValidationError, match="without the signature"):
        services.validation_run_approve(actor=second_qa, run=unsigned, credentials=creds(second_qa))


@pytest.mark.requirement("P63", "U1", "A5")
def test_a_wrong_password_records_no_signed_run_and_is_audited(qa):
    """A wrong password refuses the signature (counted toward lockout, audited) and
    writes no run."""
    with pytest.raises(SignatureRefused):
        services.validation_run_record(
            **{
                **dict(
                    actor=qa,
                    started_at=timezone.now(),
                    finished_at=timezone.now(),
                    version="0.2.0",
                    commit="c",
                    lock_sha256="",
                    selection="s",
                    passed=True,
                    counts={"iq": (0, 1), "oq": (0, 1), "pq": (0, 1)},
                    deviations=[],
                    results_sha256="f" * 64,
                    pack_path="",
                ),
                "credentials": creds(qa, "wrong password"),
            }
        )
    assert AuditEvent.objects.filter(action="signature.refused").exists()
    assert not services.ValidationRun.objects.exists()


@pytest.mark.requirement("P63", "U2")
def test_only_a_qa_approver_executes_a_validation(coordinator):
    """A role without the 'validation executed' permission cannot sign a run."""
    with pytest.raises(PermissionDenied):
        record(coordinator)


@pytest.mark.requirement("P63", "P13")
def test_qa_approves_a_run_on_its_page_and_the_auditor_only_reads(client, qa, second_qa, auditor):
    """Steps: the runs page lists the run; the second QA approver opens it, signs
    'approved' with user id and password, and the page shows both signatures; the
    auditor sees the runs but no approval form; an employee is refused."""
    run = record(qa)
    client.force_login(second_qa)
    listing = client.get(reverse("web:validation_runs"))
    assert listing.status_code == 200
    assert b"0.2.0" in listing.content
    page = client.get(reverse("web:validation_run", args=[run.pk]))
    assert b"Sign as approved" in page.content
    answer = client.post(
        reverse("web:validation_run", args=[run.pk]),
        {"comment": "Accepted", "username": second_qa.username, "password": PASSWORD},
    )
    assert answer.status_code == 302
    page = client.get(reverse("web:validation_run", args=[run.pk]))
    assert page.content.count(b"meaning: ") == 2
    assert b"Approved by QA" in page.content
    client.force_login(auditor)
    page = client.get(reverse("web:validation_run", args=[run.pk]))
    assert page.status_code == 200
    assert b"Sign as approved" not in page.content
    client.force_login(make_user("emp", roles.EMPLOYEE))
    assert client.get(reverse("web:validation_runs")).status_code == 403


@pytest.mark.requirement("P63", "P16")
def test_a_wrong_password_on_the_page_is_a_form_error_not_an_approval(client, qa, second_qa):
    """A wrong password answers 400 with the error on the form; the run stays executed."""
    run = record(qa)
    client.force_login(second_qa)
    answer = client.post(
        reverse("web:validation_run", args=[run.pk]),
        {"comment": "", "username": second_qa.username, "password": "nope"},
    )
    assert answer.status_code == 400
    assert b"not correct" in answer.content
    run.refresh_from_db()
    assert run.status == RunStatus.EXECUTED
