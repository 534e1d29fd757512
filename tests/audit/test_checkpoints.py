"""Signed checkpoints, exported and checked offline with proofs (A3)."""

import json
import stat

import pytest
from django.db import transaction

from qualify.accounts.services import user_create
from qualify.audit import checkpoints, keys, merkle, notes
from qualify.audit.models import AuditEvent, Checkpoint
from tests.audit.helpers import run_audit, tamper

pytestmark = pytest.mark.requirement("A3")


@pytest.fixture
def trail(db):
    for i in range(7):
        user_create(actor=None, username=f"user{i}", printed_name=f"User {i}", password=None)


def _offline_root(size: int) -> bytes:
    """What an inspector computes from an export of the first `size` entries."""
    entries = AuditEvent.objects.filter(seq__lte=size).order_by("seq").values_list("entry")
    return merkle.root_from_leaf_hashes([merkle.leaf_hash(e.encode()) for (e,) in entries])


def _open(note: str) -> notes.Checkpoint:
    """Offline: only the verifier key (`qualify audit key`) and the note are needed."""
    _, vkey = run_audit("key")
    body, signers = notes.open_note(note, [notes.parse_verifier_key(vkey.strip())])
    assert signers == [keys.key_name()]
    return notes.parse_checkpoint(body)


def test_checkpoint_export_verifies_offline_with_the_verifier_key(trail, tmp_path):
    exported = tmp_path / "checkpoint.txt"
    error, _ = run_audit("checkpoint", "--out", str(exported))
    assert error is None
    checkpoint = _open(exported.read_text())
    assert checkpoint.origin == keys.key_name()
    assert checkpoint.size == 7
    assert checkpoint.root_hash == _offline_root(7)


def test_checkpoint_is_stored_and_its_signing_is_audited(trail):
    created = checkpoints.checkpoint_create()
    assert Checkpoint.objects.get() == created
    assert created.root_hash == _offline_root(created.tree_size).hex()
    event = AuditEvent.objects.latest("seq")
    assert (event.seq, event.action) == (created.tree_size + 1, "audit.checkpoint.signed")
    assert event.object_id == str(created.pk)
    assert event.data["detail"] == {"tree_size": 7, "root_hash": created.root_hash}


def test_checkpoint_printed_when_no_file_is_given(trail):
    error, output = run_audit("checkpoint")
    assert error is None
    assert _open(output).size == 7


def test_broken_trail_is_never_signed(trail):
    tamper("UPDATE audit_event SET entry = entry || ' ' WHERE seq = 3")
    with pytest.raises(checkpoints.TrailBroken, match="#3"), transaction.atomic():
        checkpoints.checkpoint_create()
    assert not Checkpoint.objects.exists()


@pytest.mark.requirement("A6")
def test_signing_key_is_made_once_readable_by_its_owner_only_with_an_origin_of_its_own(
    db, settings, tmp_path
):
    settings.QUALIFY_SIGNING_KEY = tmp_path / "keys" / "site.pem"
    settings.QUALIFY_CHECKPOINT_ORIGIN = ""
    first = keys.key_create()
    assert stat.S_IMODE(settings.QUALIFY_SIGNING_KEY.stat().st_mode) == 0o600
    assert keys.verifier_key_text() == first
    with pytest.raises(FileExistsError):
        keys.key_create()
    assert keys.verifier_key_text() == first
    origin = notes.parse_verifier_key(first).name
    assert origin == keys.key_name()
    assert origin != keys.LEGACY_ORIGIN
    assert "/qualify-audit/" in origin
    settings.QUALIFY_SIGNING_KEY = tmp_path / "other" / "site.pem"
    assert keys.key_create() != first
    assert keys.key_name() != origin, "another installation has another origin"


def test_missing_key_is_not_created_when_only_verifying(db, settings, tmp_path):
    settings.QUALIFY_SIGNING_KEY = tmp_path / "absent.pem"
    with pytest.raises(keys.SigningKeyMissing):
        keys.verifier(create=False)
    assert not settings.QUALIFY_SIGNING_KEY.exists()


def test_inclusion_proof_places_an_event_under_the_signed_root(trail):
    checkpoint = _open(checkpoints.checkpoint_create().note)
    for seq in (1, 4, 7):
        error, output = run_audit("proof", "--seq", str(seq), "--size", str(checkpoint.size))
        assert error is None
        proof = json.loads(output)
        entry = AuditEvent.objects.get(seq=seq).entry.encode()
        path = [bytes.fromhex(node) for node in proof["proof"]]
        assert proof["checkpoint"] is not None
        assert merkle.verify_inclusion(
            seq - 1, checkpoint.size, merkle.leaf_hash(entry), path, checkpoint.root_hash
        )
        # The same path does not vouch for a changed entry.
        assert not merkle.verify_inclusion(
            seq - 1, checkpoint.size, merkle.leaf_hash(entry + b" "), path, checkpoint.root_hash
        )


def test_consistency_proof_links_an_old_checkpoint_to_a_new_one(trail):
    old = _open(checkpoints.checkpoint_create().note)
    user_create(actor=None, username="late", printed_name="Late Comer", password=None)
    new = _open(checkpoints.checkpoint_create().note)
    assert (old.size, new.size) == (7, 9)
    error, output = run_audit("consistency", "--old", str(old.size), "--new", str(new.size))
    assert error is None
    proof = json.loads(output)
    path = [bytes.fromhex(node) for node in proof["proof"]]
    assert (proof["old_root"], proof["new_root"]) == (old.root_hash.hex(), new.root_hash.hex())
    assert merkle.verify_consistency(old.size, new.size, old.root_hash, new.root_hash, path)
    assert not merkle.verify_consistency(old.size, new.size, new.root_hash, old.root_hash, path)


def test_proof_functions_return_hex_lists(trail):
    proof = checkpoints.inclusion_proof_for(2, 7)
    assert all(len(node) == 64 for node in proof)
    assert checkpoints.consistency_proof_between(3, 7) == [
        node.hex() for node in merkle.consistency_proof(3, checkpoints.leaf_hashes(7))
    ]


def test_proof_beyond_the_trail_is_refused(trail):
    error, _ = run_audit("proof", "--seq", "3", "--size", "99")
    assert error is not None
    assert "the trail has 7 events" in str(error)
