"""S1: the first signing in a session asks for user id and password (and the code when
enrolled); later ones in the same unbroken session ask for the password; any break
starts over; a login alone is never a signature. U1: a wrong password at signing is
refused, audited and counts toward the lock."""

import datetime as dt

import pytest
import time_machine
from django.db import transaction

from qualify.accounts import roles
from qualify.accounts.models import User
from qualify.accounts.services import user_acknowledge_esig_policy, user_record_identity_verified
from qualify.signatures.models import Signature
from qualify.signatures.services import (
    SESSION_KEY,
    Credentials,
    SignatureRefused,
    authenticate_signer,
    sign,
    sign_record,
)
from tests.accounts.helpers import code, enrol, events
from tests.personas import PASSWORD, make_user

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 14, 5, 31, tzinfo=dt.UTC)


def sign_as(user, obj, meaning="approved", *, session=None, username=None, **credentials):
    return sign_record(
        actor=user,
        obj=obj,
        meaning=meaning,
        credentials=Credentials(
            username=username, session=session, **{"password": PASSWORD, **credentials}
        ),
    )


@pytest.mark.requirement("S1")
def test_the_first_signing_in_a_session_asks_for_the_user_id(qa, record):
    session = {}
    with pytest.raises(SignatureRefused) as refused:
        sign_as(qa, record, session=session)
    assert "username" in refused.value.message_dict
    assert not Signature.objects.exists()
    assert sign_as(qa, record, session=session, username="qa").meaning == "approved"


@pytest.mark.requirement("S1")
def test_later_signings_in_the_same_session_ask_for_the_password_only(qa, record, employee):
    session = {}
    sign_as(qa, record, session=session, username="qa")
    assert sign_as(qa, employee, session=session).signer == qa


@pytest.mark.requirement("S1")
def test_a_later_signing_still_needs_the_right_password(qa, record, employee):
    session = {}
    sign_as(qa, record, session=session, username="qa")
    with pytest.raises(SignatureRefused) as refused:
        sign_as(qa, employee, session=session, password="")
    assert "password" in refused.value.message_dict
    with pytest.raises(SignatureRefused):
        sign_as(qa, employee, session=session, password="not the password!")
    assert Signature.objects.count() == 1


@pytest.mark.requirement("S1")
def test_a_new_session_starts_over(qa, record, employee):
    sign_as(qa, record, session={}, username="qa")
    with pytest.raises(SignatureRefused) as refused:
        sign_as(qa, employee, session={})
    assert "username" in refused.value.message_dict


@pytest.mark.requirement("S1")
def test_without_a_session_every_signing_is_a_first_one(qa, record, employee):
    sign_as(qa, record, username="qa")
    with pytest.raises(SignatureRefused):
        sign_as(qa, employee)


@pytest.mark.requirement("S1")
def test_a_session_remembers_only_its_own_signer(qa, author_approver, record, employee):
    session = {}
    sign_as(qa, record, session=session, username="qa")
    with pytest.raises(SignatureRefused) as refused:
        sign_as(author_approver, employee, session=session)
    assert "username" in refused.value.message_dict


@pytest.mark.requirement("S1")
def test_a_login_alone_is_never_a_signature(client, qa, record):
    client.post("/accounts/login/", {"username": "qa", "password": PASSWORD})
    session = client.session
    assert "_auth_user_id" in session
    assert SESSION_KEY not in session
    assert not Signature.objects.exists()
    with pytest.raises(SignatureRefused) as refused:
        sign_as(qa, record, session=session)
    assert "username" in refused.value.message_dict


@pytest.mark.requirement("S1")
def test_logging_out_starts_over(client, qa, record, employee):
    client.post("/accounts/login/", {"username": "qa", "password": PASSWORD})
    session = client.session
    sign_as(qa, record, session=session, username="qa")
    session.save()
    assert client.session[SESSION_KEY] == qa.pk
    client.post("/accounts/logout/")
    client.post("/accounts/login/", {"username": "qa", "password": PASSWORD})
    with pytest.raises(SignatureRefused) as refused:
        sign_as(qa, employee, session=client.session)
    assert "username" in refused.value.message_dict


@pytest.mark.requirement("S1", "U1")
def test_an_idle_expiry_starts_over(client, qa, record, employee):
    with time_machine.travel(START, tick=False) as clock:
        client.post("/accounts/login/", {"username": "qa", "password": PASSWORD})
        session = client.session
        sign_as(qa, record, session=session, username="qa")
        session.save()
        clock.shift(dt.timedelta(minutes=16))
        assert SESSION_KEY not in client.session
        with pytest.raises(SignatureRefused):
            sign_as(qa, employee, session=client.session)


@pytest.mark.requirement("S1", "U1")
def test_a_wrong_password_is_refused_audited_and_counted(qa, record):
    # sign_record() raises, yet the count and both events stay: they were
    # committed before its transaction opened.
    with pytest.raises(SignatureRefused) as refused:
        sign_as(qa, record, username="qa", password="not the password!")
    assert "password" in refused.value.message_dict
    assert not Signature.objects.exists()
    qa.refresh_from_db()
    assert qa.failed_login_count == 1
    [signature_refused] = events("signature.refused", qa)
    assert signature_refused.data["detail"] == {
        "meaning": "approved",
        "why": "The password is not correct.",
    }
    [failed] = events("account.login.failed", qa)
    assert failed.data["detail"]["context"] == "signing"


@pytest.mark.requirement("S1", "U1")
def test_a_wrong_user_id_at_the_first_signing_counts_too(qa, record):
    with pytest.raises(SignatureRefused) as refused:
        sign_as(qa, record, username="employee")
    assert "username" in refused.value.message_dict
    qa.refresh_from_db()
    assert qa.failed_login_count == 1


@pytest.mark.requirement("S1", "U1")
def test_the_user_id_is_matched_whatever_its_capitals(qa, record):
    assert sign_as(qa, record, username="QA").username == "qa"


@pytest.mark.requirement("S1", "U1")
def test_wrong_passwords_at_signing_lock_the_account(qa, record, admin):
    session = {}
    for _ in range(5):
        with pytest.raises(SignatureRefused):
            sign_as(qa, record, session=session, username="qa", password="not the password!")
    assert User.objects.get(pk=qa.pk).is_locked
    [locked] = events("account.locked", qa)
    assert locked.reason == "5 failed attempts (signing)"
    with pytest.raises(SignatureRefused, match="locked"):
        sign_as(qa, record, session=session, username="qa")


@pytest.mark.requirement("S1", "U1")
def test_a_locked_account_is_refused_even_through_a_copy_loaded_before_the_lock(qa, record):
    stale = User.objects.get(pk=qa.pk)  # like request.user, loaded at the request's start
    for _ in range(5):
        with pytest.raises(SignatureRefused):
            sign_as(qa, record, username="qa", password="not the password!")
    with pytest.raises(SignatureRefused, match="locked"):
        sign_as(stale, record, username="qa")


@pytest.mark.requirement("S1", "U1")
def test_the_count_is_checked_before_the_signing_transaction_opens(qa, record):
    # Inside a caller's transaction the refusal would roll back its own count;
    # authenticate_signer() refuses to run there at all, right password or not.
    with pytest.raises(RuntimeError, match="before the transaction"), transaction.atomic():
        sign_as(qa, record, username="qa")
    with pytest.raises(RuntimeError), transaction.atomic():
        sign_as(qa, record, username="qa", password="not the password!")
    qa.refresh_from_db()
    assert qa.failed_login_count == 0


@pytest.mark.requirement("S1", "U1")
def test_a_successful_signing_ends_the_run_of_failures(qa, record):
    for _ in range(4):
        with pytest.raises(SignatureRefused):
            sign_as(qa, record, username="qa", password="not the password!")
    sign_as(qa, record, username="qa")
    assert User.objects.get(pk=qa.pk).failed_login_count == 0


@pytest.mark.requirement("S1", "U1")
def test_the_first_signing_asks_for_the_code_once_enrolled(qa, record, employee):
    with time_machine.travel(START, tick=False) as clock:
        device = enrol(qa)
        clock.shift(dt.timedelta(seconds=30))
        session = {}
        with pytest.raises(SignatureRefused) as refused:
            sign_as(qa, record, session=session, username="qa")
        assert "otp_token" in refused.value.message_dict
        with pytest.raises(SignatureRefused) as refused:
            sign_as(qa, record, session=session, username="qa", otp_token="12345x")
        assert "otp_token" in refused.value.message_dict
        assert User.objects.get(pk=qa.pk).failed_login_count == 1
        clock.shift(dt.timedelta(seconds=30))
        sign_as(qa, record, session=session, username="qa", otp_token=code(device))
        # Later signings in the same session: the password, no code.
        assert sign_as(qa, employee, session=session).signer == qa


@pytest.mark.requirement("U1")
def test_a_person_signs_only_after_verification_and_acknowledgement(admin, record):
    jroe = make_user("jroe", roles.EMPLOYEE, roles.QA_APPROVER, may_sign=False)
    with pytest.raises(SignatureRefused, match="identity verification"):
        sign_as(jroe, record, username="jroe")
    user_record_identity_verified(actor=admin, user=jroe, reason="Passport checked by HR")
    with pytest.raises(SignatureRefused, match="identity verification"):
        sign_as(jroe, record, username="jroe")
    user_acknowledge_esig_policy(user=jroe, password=PASSWORD)
    assert sign_as(jroe, record, username="jroe").signer == jroe
    assert len(events("signature.refused", jroe)) == 2


@pytest.mark.requirement("S1", "S2")
def test_a_proof_signs_once_and_only_with_the_meaning_it_was_checked_for(qa, record, employee):
    proof = authenticate_signer(
        actor=qa, credentials=Credentials(username="qa", password=PASSWORD), meaning="reviewed"
    )
    with pytest.raises(RuntimeError, match="checked for 'reviewed'"), transaction.atomic():
        sign(proof=proof, obj=record, meaning="approved")
    with transaction.atomic():
        sign(proof=proof, obj=record, meaning="reviewed")
    with pytest.raises(RuntimeError, match="signs once"), transaction.atomic():
        sign(proof=proof, obj=employee, meaning="reviewed")
    assert Signature.objects.count() == 1


@pytest.mark.requirement("P5", "S1")
def test_an_error_inside_signing_leaves_no_signature_without_its_event(qa, record, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr("qualify.signatures.services.audit.record", broken)
    with pytest.raises(RuntimeError, match="unavailable"):
        sign_as(qa, record, username="qa")
    assert not Signature.objects.exists()
