"""S1: a signature stores user id, printed name, UTC time, meaning and the SHA-256 of
the signed record's canonical content; it shows as broken once the record changes;
every display shows name, time and meaning."""

import datetime as dt
import hashlib

import pytest
import time_machine

from qualify.accounts.services import user_deactivate
from qualify.audit.canonical import canonical_bytes
from qualify.audit.models import AuditEvent
from qualify.audit.registry import record_state
from qualify.signatures.models import Signature
from qualify.signatures.queries import signature_checks, verify_signature
from qualify.signatures.services import Credentials, sign_record
from tests.personas import PASSWORD, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("S1")]

SIGNED_AT = dt.datetime(2026, 3, 2, 14, 5, 31, tzinfo=dt.UTC)


@pytest.fixture
def jroe(db):
    return make_user("jroe", "employee", "qa_approver", printed_name="Jane Roe")


def approve(user, obj, meaning="approved"):
    return sign_record(
        actor=user,
        obj=obj,
        meaning=meaning,
        credentials=Credentials(username=user.username, password=PASSWORD),
    )


def test_the_signature_stores_who_when_what_and_the_hash_of_the_record(jroe, record):
    with time_machine.travel(SIGNED_AT, tick=False):
        approve(jroe, record)
    signature = Signature.objects.get()
    assert signature.signer == jroe
    assert signature.username == "jroe"
    assert signature.printed_name == "Jane Roe"
    assert signature.signed_at == SIGNED_AT
    assert signature.signed_at.utcoffset() == dt.timedelta(0)
    assert signature.meaning == "approved"
    assert (signature.object_type, signature.object_id) == ("accounts.user", str(record.pk))
    expected = hashlib.sha256(canonical_bytes(record_state(record))).hexdigest()
    assert signature.content_hash == expected


def test_the_manifestation_shows_name_user_id_utc_time_and_meaning(jroe, record):
    with time_machine.travel(SIGNED_AT, tick=False):
        approve(jroe, record)
    signature = Signature.objects.get()
    text = "Signed by Jane Roe (jroe), 2026-03-02 14:05:31 UTC, meaning: Approved"
    assert signature.manifestation == text
    assert str(signature) == text


def test_the_manifestation_is_in_utc_whatever_the_site_zone(settings, jroe, record):
    settings.TIME_ZONE = "America/Chicago"
    with time_machine.travel(SIGNED_AT, tick=False):
        approve(jroe, record)
    assert "2026-03-02 14:05:31 UTC" in Signature.objects.get().manifestation


def test_applying_a_signature_is_audited_with_its_manifestation(jroe, record):
    with time_machine.travel(SIGNED_AT, tick=False):
        signature = approve(jroe, record)
    event = AuditEvent.objects.get(action="signature.applied")
    assert event.object_id == str(signature.pk)
    assert event.actor_username == "jroe"
    assert event.data["detail"]["manifestation"] == signature.manifestation


def test_a_signature_of_an_unchanged_record_verifies_as_valid(jroe, record):
    signature = approve(jroe, record)
    check = verify_signature(signature)
    assert check.valid
    assert check.status == "valid"


def test_a_signature_shows_as_broken_once_the_record_changes(jroe, admin, record):
    signature = approve(jroe, record)
    user_deactivate(actor=admin, user=record, reason="Left the company")
    check = verify_signature(signature)
    assert not check.valid
    assert check.status == "broken"
    assert "changed since it was signed" in check.reason


def test_a_signature_cannot_be_moved_to_another_record(jroe, record, employee):
    signature = approve(jroe, record)
    assert verify_signature(signature, employee).status == "broken"


def test_every_signature_of_a_record_is_checked(jroe, qa, record):
    approve(jroe, record)
    approve(qa, record, meaning="reviewed")
    checks = signature_checks(record)
    assert [c.signature.meaning for c in checks] == ["approved", "reviewed"]
    assert all(c.valid for c in checks)


def test_signatures_are_never_changed_or_deleted(jroe, record):
    from django.db import DatabaseError, transaction

    signature = approve(jroe, record)
    with pytest.raises(DatabaseError), transaction.atomic():
        Signature.objects.filter(pk=signature.pk).update(meaning="reviewed")
    with pytest.raises(DatabaseError), transaction.atomic():
        Signature.objects.filter(pk=signature.pk).delete()
    assert Signature.objects.get().meaning == "approved"
