"""A6: each attack of a database-write attacker (raw SQL only), and what names it.

Run on SQLite and PostgreSQL (QUALIFY_DATABASE_URL). The attacker can run any SQL but
cannot read or write the application host's files (the key, the checkpoint log).
"""

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from qualify.accounts.services import user_create
from qualify.audit import keys, witness
from qualify.audit import services as audit
from qualify.audit.canonical import canonical_json
from qualify.audit.models import AuditEvent
from qualify.audit.trail import PendingEvent, chain_next
from qualify.audit.verify import verify_trail
from qualify.org.services import client_create
from tests.audit.helpers import execute, run_audit, tamper

VERIFIER = Path(keys.__file__).with_name("qualify_verify.py")


@pytest.fixture
def trail(db):
    users = [
        user_create(actor=None, username=f"u{i}", printed_name=f"User {i}", password=None)
        for i in range(3)
    ]
    return users


def _kinds(report) -> set[str]:
    return {p.kind for p in report.problems}


def _messages(report) -> str:
    return "\n".join(p.message for p in report.problems)


def _forge_after_last(entry_text: str, mac: str | None) -> int:
    """Append an event by SQL with a correct chain hash, as an attacker who has the
    code (but not the key) would."""
    last = AuditEvent.objects.order_by("-seq").first()
    seq = last.seq + 1
    entry = entry_text.replace('"seq":0', f'"seq":{seq}')
    _, chain = chain_next(last.chain_hash, entry)
    data = json.loads(entry)
    execute(
        "INSERT INTO audit_event (seq, recorded_at, actor_id, action, object_type, object_id,"
        " request_id, record_hash, entry, chain_hash, mac)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [
            seq,
            last.recorded_at,
            None,
            data["action"],
            data["object_type"],
            data["object_id"],
            "",
            "",
            entry,
            chain,
            mac,
        ],
    )
    return seq


def _forged_entry(template: AuditEvent, version: int) -> str:
    data = json.loads(template.entry)
    data["seq"] = 0
    data["reason"] = "forged"
    data.pop("v", None)
    if version == 2:
        import rfc8785

        return rfc8785.dumps({"v": 2, **data}).decode()
    return canonical_json(data)


@pytest.mark.requirement("A6")
def test_intact_trail_verifies_with_macs_checked(trail):
    report = verify_trail()
    assert report.ok, _messages(report)
    assert not report.notices
    assert all(AuditEvent.objects.values_list("mac", flat=True))


@pytest.mark.requirement("A6")
def test_forged_event_appended_with_a_consistent_chain_fails_its_mac(trail):
    template = AuditEvent.objects.latest("seq")
    seq = _forge_after_last(_forged_entry(template, 2), template.mac)
    report = verify_trail()
    assert "mac" in _kinds(report)
    assert f"event #{seq}: MAC does not match" in _messages(report)


@pytest.mark.requirement("A6")
def test_forged_event_in_the_old_format_after_format_2_events_is_named(trail):
    template = AuditEvent.objects.latest("seq")
    seq = _forge_after_last(_forged_entry(template, 1), None)
    report = verify_trail()
    assert f"event #{seq}: has no MAC but follows events that have one" in _messages(report)


@pytest.mark.requirement("A6")
@pytest.mark.requirement("A3")
def test_a_trail_of_format_1_events_then_format_2_events_verifies(db):
    old = PendingEvent(
        recorded_at=__import__("django.utils.timezone").utils.timezone.now(),
        actor_id=None,
        actor_username="system",
        actor_name="Qualify system",
        action="audit.exported",
        object_type="audit.trail",
        object_id="export",
        changes={},
        reason="",
        request_id="",
        record_hash="",
        detail={"rows": 0},
    )
    from qualify.audit.trail import GENESIS, entry_of

    keys.ensure_for_empty_trail()
    entry = entry_of(1, old, version=1)
    _, chain = chain_next(GENESIS, entry)
    execute(
        "INSERT INTO audit_event (seq, recorded_at, actor_id, action, object_type, object_id,"
        " request_id, record_hash, entry, chain_hash, mac)"
        " VALUES (1, %s, NULL, 'audit.exported', 'audit.trail', 'export', '', '', %s, %s, NULL)",
        [_db_time(old.recorded_at), entry, chain],
    )
    user_create(actor=None, username="later", printed_name="Later User", password=None)
    versions = [
        json.loads(e).get("v", 1) for e in AuditEvent.objects.values_list("entry", flat=True)
    ]
    assert versions[0] == 1
    assert set(versions[1:]) == {2}
    report = verify_trail()
    assert report.ok, _messages(report)


def _db_time(value):
    from django.db import connection

    from qualify.audit.trail import _db_time as to_db

    return to_db(value, connection.vendor)


@pytest.mark.requirement("A6")
@pytest.mark.requirement("A4")
def test_role_granted_behind_the_application_is_named(trail):
    user = trail[0]
    group = Group.objects.get(name="qa_approver")
    execute(
        "INSERT INTO accounts_user_groups (user_id, group_id) VALUES (%s, %s)", [user.pk, group.pk]
    )
    report = verify_trail()
    assert f"accounts.user:{user.pk}: live row differs" in _messages(report)


@pytest.mark.requirement("A6")
def test_group_permission_added_behind_the_application_is_named(trail):
    from django.contrib.auth.models import Permission

    group = Group.objects.get(name="employee")
    permission = Permission.objects.get(codename="manage_accounts")
    execute(
        "INSERT INTO auth_group_permissions (group_id, permission_id) VALUES (%s, %s)",
        [group.pk, permission.pk],
    )
    report = verify_trail()
    assert "auth.group:employee: the role's group grants accounts.manage_accounts" in _messages(
        report
    )


@pytest.mark.requirement("A6")
@pytest.mark.requirement("U2")
def test_client_access_changed_behind_the_application_is_named(trail, admin):
    client = client_create(actor=admin, code="ACME", name="Acme Pharma")
    user = trail[1]
    execute(
        "INSERT INTO org_clientaccess (user_id, client_id) VALUES (%s, %s)", [user.pk, client.pk]
    )
    report = verify_trail()
    assert f"accounts.user:{user.pk}: live row differs" in _messages(report)


@pytest.mark.requirement("A6")
def test_password_hash_replaced_behind_the_password_service_is_named(trail):
    user = trail[2]
    execute("UPDATE accounts_user SET password = %s WHERE id = %s", ["md5$x$attacker", user.pk])
    report = verify_trail()
    assert f"accounts.user:{user.pk}: live row differs" in _messages(report)


@pytest.mark.requirement("A6")
def test_password_changed_through_the_service_verifies(db):
    from qualify.accounts.services import user_change_password

    user = user_create(
        actor=None, username="pat", printed_name="Pat Doe", password="Old-pass-2026!"
    )
    user_change_password(user=user, old_password="Old-pass-2026!", new_password="New-pass-2026!x")
    report = verify_trail()
    assert report.ok, _messages(report)


@pytest.mark.requirement("A6")
def test_event_back_dated_beyond_the_allowance_is_named(trail, settings):
    settings.QUALIFY_AUDIT_TIME_ALLOWANCE_SECONDS = 60
    audit.record("audit.exported", object_type="audit.trail", object_id="x", actor=None)
    seq = AuditEvent.objects.latest("seq").seq
    # Back-dated consistently (column and entry) would break the chain and the MAC; the
    # column alone is what a careless forger edits. Either way the time is named.
    tamper(
        "UPDATE audit_event SET recorded_at = %s WHERE seq = %s",
        [
            _db_time(
                __import__("datetime").datetime(2001, 1, 1, tzinfo=__import__("datetime").UTC)
            ),
            seq,
        ],
    )
    report = verify_trail()
    assert f"event #{seq}: its time 2001-01-01" in _messages(report)


@pytest.mark.requirement("A6")
@pytest.mark.requirement("A2")
def test_missing_append_only_trigger_is_named(trail):
    from django.db import connection

    from qualify.audit.immutability import trigger_statements

    execute(trigger_statements(connection.vendor, "signatures_signature", drop=True)[0])
    report = verify_trail()
    assert "table signatures_signature: append-only trigger" in _messages(report)


@pytest.mark.requirement("A6")
def test_replaced_key_file_is_not_trusted_against_the_pinned_key(trail, settings, tmp_path):
    pinned = keys.verifier_key_text()
    settings.QUALIFY_VERIFIER_KEY = pinned
    settings.QUALIFY_SIGNING_KEY = tmp_path / "replaced" / "key.pem"
    settings.QUALIFY_CHECKPOINT_LOG = str(Path(keys.key_path()).with_name("x.log"))
    keys.key_create(origin=notes_name(pinned))
    report = verify_trail()
    assert "is not the pinned verifier key nor a key it rotated to" in _messages(report)


def notes_name(vkey: str) -> str:
    return vkey.split("+", 1)[0]


@pytest.mark.requirement("A6")
def test_key_rotation_is_audited_signed_by_both_keys_and_the_trail_still_verifies(trail, settings):
    pinned = keys.verifier_key_text()
    error, output = run_audit("rotate-key", "--reason", "yearly rotation")
    assert error is None
    new = output.strip()
    assert new != pinned
    event = AuditEvent.objects.latest("seq")
    assert event.action == "audit.key.rotated"
    statement = event.data["detail"]["statement"]
    from qualify.audit import notes

    notes.open_note(statement, [notes.parse_verifier_key(pinned)])
    notes.open_note(statement, [notes.parse_verifier_key(new)])
    user_create(actor=None, username="after", printed_name="After Rotation", password=None)
    settings.QUALIFY_VERIFIER_KEY = pinned  # the old pin hands over to the new key
    report = verify_trail()
    assert report.ok, _messages(report)


@pytest.mark.requirement("A6")
def test_missing_key_file_is_an_error_never_a_new_key(trail, settings, tmp_path):
    settings.QUALIFY_SIGNING_KEY = tmp_path / "gone.pem"
    with pytest.raises(keys.SigningKeyMissing):
        user_create(actor=None, username="nokey", printed_name="No Key", password=None)
    assert not (tmp_path / "gone.pem").exists()
    error, _ = run_audit("verify")
    assert error is not None
    assert "no audit signing key" in str(error)


@pytest.mark.requirement("A6")
def test_verify_needs_only_the_public_key(trail, settings, tmp_path):
    run_audit("checkpoint")
    pinned = keys.verifier_key_text()
    settings.QUALIFY_CHECKPOINT_LOG = str(keys.key_path().with_name("audit-checkpoints.log"))
    settings.QUALIFY_SIGNING_KEY = tmp_path / "elsewhere" / "no-key.pem"
    error, output = run_audit("verify", "--key", pinned)
    assert error is None, output
    assert "event MACs not checked" in output


@pytest.mark.requirement("A6")
def test_proof_defaults_to_the_latest_signed_checkpoint(trail):
    run_audit("checkpoint")
    size = AuditEvent.objects.latest("seq").seq - 1
    user_create(actor=None, username="more", printed_name="More Events", password=None)
    error, output = run_audit("proof", "--seq", "1")
    assert error is None
    assert json.loads(output)["tree_size"] == size


# -- offline verifier -------------------------------------------------------------------


def _offline(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the verifier copied out of the bundle, where Django cannot be imported."""
    blocker = tmp_path / "no_django"
    (blocker / "django").mkdir(parents=True, exist_ok=True)
    (blocker / "django" / "__init__.py").write_text("raise ImportError('no Django here')\n")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(blocker)}
    return subprocess.run(
        [sys.executable, "-I", "-S", *args] if False else [sys.executable, *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )


@pytest.mark.requirement("A6")
@pytest.mark.requirement("A3")
def test_export_bundle_verifies_offline_without_django(trail, tmp_path):
    out = tmp_path / "bundle.zip"
    error, _ = run_audit("export", "--format", "bundle", "--out", str(out))
    assert error is None
    with zipfile.ZipFile(out) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
        for name, digest in manifest["files"].items():
            assert hashlib.sha256(bundle.read(name)).hexdigest() == digest
        (tmp_path / "qualify-verify.py").write_bytes(bundle.read("qualify-verify.py"))
    pinned = keys.verifier_key_text()
    result = _offline(tmp_path, "qualify-verify.py", str(out), "--key", pinned)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VERIFIED" in result.stdout
    check = _offline(tmp_path, "-c", "import django")
    assert check.returncode != 0, "the verifier's process must not be able to import Django"


def _tampered_variants():
    def rewrite_entry(first):
        tamper(
            "UPDATE audit_event SET entry = replace(entry, 'User 1', 'User X') WHERE seq = %s",
            [first],
        )

    def rewrite_and_rechain(first):
        rewrite_entry(first)
        previous = AuditEvent.objects.get(seq=first - 1).chain_hash if first > 1 else "0" * 64
        for seq, entry in (
            AuditEvent.objects.filter(seq__gte=first).order_by("seq").values_list("seq", "entry")
        ):
            _, previous = chain_next(previous, entry)
            tamper("UPDATE audit_event SET chain_hash = %s WHERE seq = %s", [previous, seq])

    def truncate(first):
        tamper("DELETE FROM audit_event WHERE seq >= %s", [first + 1])

    def forge_append(first):
        template = AuditEvent.objects.latest("seq")
        _forge_after_last(_forged_entry(template, 2), template.mac)

    return {
        "none": lambda first: None,
        "entry rewritten": rewrite_entry,
        "entry rewritten and chain recomputed": rewrite_and_rechain,
        "newest events removed": truncate,
        "forged event appended": forge_append,
    }


@pytest.mark.requirement("A6")
@pytest.mark.parametrize("variant", list(_tampered_variants()))
def test_offline_verifier_and_audit_verify_agree(trail, tmp_path, variant):
    run_audit("checkpoint")
    first = AuditEvent.objects.get(action="account.created", object_id=str(trail[1].pk)).seq
    _tampered_variants()[variant](first)
    error, _ = run_audit("verify")
    log = keys.key_path().with_name("audit-checkpoints.log")
    if variant == "none":
        # A genuine export rests on a checkpoint made at the export: the bundle.
        bundle = tmp_path / "bundle.zip"
        assert run_audit("export", "--format", "bundle", "--out", str(bundle))[0] is None
        inputs = [str(bundle)]
    else:
        run_audit("export", "--format", "jsonl", "--out", str(tmp_path / "events.jsonl"))
        inputs = ["--events", str(tmp_path / "events.jsonl"), "--log", str(log)]
    result = _offline(tmp_path, str(VERIFIER), *inputs, "--key", keys.verifier_key_text())
    assert result.returncode in (0, 1), result.stderr
    online_ok = error is None
    assert (result.returncode == 0) == online_ok, f"{variant}: {result.stdout}"
    assert online_ok == (variant == "none")


# -- witnesses --------------------------------------------------------------------------


@pytest.mark.requirement("A6")
def test_two_installations_witness_each_other_and_a_rewrite_is_refused(trail, settings, tmp_path):
    """Installation A (this database) and B (a second key and log) each run a witness
    for the other, on loopback; A's checkpoints get B's cosignature, a rewritten A
    trail re-signed with A's own key (a host attacker) is refused by B."""
    import threading

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from qualify.audit import checkpoints, merkle, notes

    a_vkey = keys.verifier_key_text()
    b_log_key = Ed25519PrivateKey.generate()
    b_vkey = notes.verifier_key("sister.example/qualify-audit/b", b_log_key.public_key())
    witness_a = witness.Witness.from_vkeys(
        "qa.example/witness-a", Ed25519PrivateKey.generate(), [b_vkey], tmp_path / "a.json"
    )
    witness_b = witness.Witness.from_vkeys(
        "sister.example/witness-b", Ed25519PrivateKey.generate(), [a_vkey], tmp_path / "b.json"
    )
    servers = [witness.make_server(w, "127.0.0.1", 0) for w in (witness_a, witness_b)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url_a = f"http://127.0.0.1:{servers[0].server_address[1]}"
        url_b = f"http://127.0.0.1:{servers[1].server_address[1]}"
        settings.QUALIFY_AUDIT_WITNESSES = [f"{url_b} {witness_b.vkey}"]
        first = checkpoints.checkpoint_create()
        user_create(actor=None, username="next", printed_name="Next User", password=None)
        second = checkpoints.checkpoint_create()
        from qualify.audit.models import Cosignature

        assert Cosignature.objects.filter(checkpoint__in=[first, second]).count() == 2
        line = Cosignature.objects.get(checkpoint=second).line
        body = second.note[: second.note.rfind("\n\n") + 1]
        witness.verify_cosignature(line, witness_b.vkey, body)

        # B's own log, witnessed by A.
        leaves = [merkle.leaf_hash(f"b{i}".encode()) for i in range(5)]
        b_body = notes.format_checkpoint(
            "sister.example/qualify-audit/b", 5, merkle.root_from_leaf_hashes(leaves)
        )
        b_note = notes.sign_note(b_body, "sister.example/qualify-audit/b", b_log_key)
        status, answer = witness._post(url_a, f"old 0\n\n{b_note}")
        assert status == 200
        witness.verify_cosignature(answer.strip(), witness_a.vkey, b_body)

        # Host attacker: rewrites A's history and signs it with A's own key.
        forged_leaves = [merkle.leaf_hash(b"forged"), *checkpoints.leaf_hashes()[1:]]
        forged_root = merkle.root_from_leaf_hashes(forged_leaves)
        forged = keys.sign(
            notes.format_checkpoint(keys.key_name(), len(forged_leaves), forged_root)
        )
        old = second.tree_size
        proof = merkle.consistency_proof(old, forged_leaves)
        lines = "".join(__import__("base64").b64encode(p).decode() + "\n" for p in proof)
        status, _ = witness._post(url_b, f"old {old}\n{lines}\n{forged}")
        assert status == 422, "the witness refuses a checkpoint inconsistent with what it saw"
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
