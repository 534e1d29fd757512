"""`qualify audit verify` finds what was changed behind the application's back (A3, A4).

Each test tampers directly in the database, as someone with SQL access would, and
expects the command to fail (``CommandError`` with ``returncode == 1``, which the
command line turns into exit status 1) and to name the first bad place.
"""

import datetime as dt
import json

import pytest
from django.db import transaction
from django.utils import timezone

from qualify.accounts.models import User
from qualify.accounts.services import user_create
from qualify.audit import keys, merkle, notes
from qualify.audit import services as audit
from qualify.audit.canonical import sha256_hex
from qualify.audit.models import AuditEvent, Checkpoint
from qualify.audit.trail import GENESIS, PendingEvent, append_events, chain_next
from qualify.audit.verify import MAX_CHAIN_PROBLEMS, scan_events, verify_trail
from tests.audit.helpers import IS_POSTGRES, run_audit, tamper


def _rename(user: User, printed_name: str, reason: str) -> int:
    with transaction.atomic():
        before = audit.state_of(user)
        user.printed_name = printed_name
        user.save(update_fields=["printed_name"])
        return audit.record("account.updated", user, actor=None, before=before, reason=reason)


@pytest.fixture
def people(db):
    names = {"hana": "Hana Ito", "ivan": "Ivan Petrov", "jo": "Jo March", "kai": "Kai Lund"}
    users = {
        username: user_create(actor=None, username=username, printed_name=name, password=None)
        for username, name in names.items()
    }
    _rename(users["ivan"], "Ivan P. Petrov", "Name as on passport")
    _rename(users["jo"], "Josephine March", "Full first name")
    return users


def _seq_of(action: str, user: User) -> int:
    return AuditEvent.objects.get(action=action, object_id=str(user.pk)).seq


def _assert_fails_naming(place: str) -> str:
    error, output = run_audit("verify")
    assert error is not None, output
    assert error.returncode == 1
    assert place in str(error), f"{place!r} not first in: {error}\n{output}"
    return output


@pytest.mark.requirement("A3", "A4")
def test_untouched_trail_verifies(people):
    error, output = run_audit("verify")
    assert error is None, output
    assert "intact" in output
    assert f"{AuditEvent.objects.count()} events" in output


@pytest.mark.requirement("A3")
def test_changed_entry_is_named_by_its_seq(people):
    seq = _seq_of("account.updated", people["ivan"])
    tamper(
        "UPDATE audit_event SET entry = replace(entry, %s, %s) WHERE seq = %s",
        ["Name as on passport", "Routine correction", seq],
    )
    output = _assert_fails_naming(f"event #{seq}: chain hash")
    # Only the changed event is reported, not every event after it.
    assert output.count("chain hash does not match") == 1


@pytest.mark.requirement("A3")
def test_changed_indexed_column_is_named_by_its_seq(people):
    # Hiding an event from a record's history by pointing it at another record.
    seq = _seq_of("account.updated", people["jo"])
    tamper("UPDATE audit_event SET object_id = %s WHERE seq = %s", [str(people["kai"].pk), seq])
    _assert_fails_naming(f"event #{seq}: indexed column(s) object_id disagree")


@pytest.mark.requirement("A3")
def test_changed_time_column_is_named_by_its_seq(people):
    seq = _seq_of("account.created", people["hana"])
    earlier = timezone.now() - dt.timedelta(days=3)  # back-dating an event
    value = earlier if IS_POSTGRES else earlier.strftime("%Y-%m-%d %H:%M:%S.%f")
    tamper("UPDATE audit_event SET recorded_at = %s WHERE seq = %s", [value, seq])
    _assert_fails_naming(f"event #{seq}: indexed column(s) recorded_at")


@pytest.mark.requirement("A3")
def test_deleted_event_is_named_by_its_seq(people):
    seq = _seq_of("account.created", people["jo"])
    tamper("DELETE FROM audit_event WHERE seq = %s", [seq])
    _assert_fails_naming(f"event #{seq} missing")


@pytest.mark.requirement("A3")
def test_forged_event_appended_is_named_by_its_seq(people):
    last = AuditEvent.objects.latest("seq")
    forged = last.data | {"seq": last.seq + 1, "reason": "forged"}
    entry = json.dumps(forged, sort_keys=True, separators=(",", ":"))
    # The forger copies the previous chain hash instead of computing the new one.
    tamper(
        "INSERT INTO audit_event (seq, recorded_at, actor_id, action, object_type, object_id,"
        " request_id, record_hash, entry, chain_hash)"
        " SELECT %s, recorded_at, actor_id, action, object_type, object_id, request_id,"
        " record_hash, %s, chain_hash FROM audit_event WHERE seq = %s",
        [last.seq + 1, entry, last.seq],
    )
    _assert_fails_naming(f"event #{last.seq + 1}: chain hash")


@pytest.mark.requirement("A4")
def test_well_forged_event_is_caught_by_the_record_it_claims(people):
    # A forger who computes the chain correctly still cannot make the live record match
    # a state it does not have.
    kai = people["kai"]
    claimed = audit.state_of(kai) | {"printed_name": "Kai Forged"}
    # Through the application's own append (a Django shell), so seq and chain are right.
    append_events(
        [
            PendingEvent(
                recorded_at=timezone.now(),
                actor_id=None,
                actor_username="system",
                actor_name="Qualify system",
                action="account.updated",
                object_type="accounts.user",
                object_id=str(kai.pk),
                changes={"printed_name": ["Kai Lund", "Kai Forged"]},
                reason="forged",
                request_id="f" * 32,
                record_hash=sha256_hex(claimed),
                detail={},
            )
        ]
    )
    report = verify_trail()
    assert [p.record for p in report.problems] == [f"accounts.user:{kai.pk}"]


@pytest.mark.requirement("A3")
def test_swapped_events_are_named_by_the_first_seq(people):
    first = _seq_of("account.created", people["ivan"])
    second = first + 1
    tamper("UPDATE audit_event SET seq = -1 WHERE seq = %s", [first])
    tamper("UPDATE audit_event SET seq = %s WHERE seq = %s", [first, second])
    tamper("UPDATE audit_event SET seq = %s WHERE seq = -1", [second])
    output = _assert_fails_naming(f"event #{first}")
    assert f"event #{first}: indexed column(s) seq disagree" in output


@pytest.mark.requirement("A4")
def test_record_changed_behind_the_application_is_named(people):
    kai = people["kai"]
    User.objects.filter(pk=kai.pk).update(printed_name="Kai Lund-Forged")
    output = _assert_fails_naming(f"accounts.user:{kai.pk}: live row differs")
    assert output.count("PROBLEM") == 1


@pytest.mark.requirement("A4")
def test_record_never_audited_is_named(people):
    # bulk_create writes no event: exactly the write path the services forbid.
    User.objects.bulk_create([User(username="ghost", printed_name="Ghost")])
    ghost = User.objects.get(username="ghost")
    _assert_fails_naming(f"accounts.user:{ghost.pk}: row has no audit event")


@pytest.mark.requirement("A4")
def test_record_removed_behind_the_application_is_named(people):
    jo = people["jo"]
    tamper("DELETE FROM accounts_user_groups WHERE user_id = %s", [jo.pk])
    tamper("DELETE FROM accounts_user WHERE id = %s", [jo.pk])
    _assert_fails_naming(f"accounts.user:{jo.pk}: audited")


@pytest.mark.requirement("A3")
def test_removed_newest_events_are_caught_by_a_stored_checkpoint(people):
    error, _ = run_audit("checkpoint")
    assert error is None
    size = Checkpoint.objects.get().tree_size
    tamper("DELETE FROM audit_event WHERE seq >= %s", [size])
    _assert_fails_naming(f"events removed, first missing #{size}")


@pytest.mark.requirement("A3")
def test_removed_newest_events_are_caught_by_an_exported_checkpoint(people, tmp_path):
    # The last two events before the checkpoint are about no audited record, so once
    # they, the checkpoint and its own event are gone, the database is self-consistent;
    # the checkpoint log on disk (A6) and an exported checkpoint both catch it.
    for _ in range(2):
        with transaction.atomic():
            audit.record(
                "audit.exported", object_type="audit.trail", object_id="export", actor=None
            )
    exported = tmp_path / "checkpoint.txt"
    error, _ = run_audit("checkpoint", "--out", str(exported))
    assert error is None
    size = Checkpoint.objects.get().tree_size
    _rename(people["hana"], "Hana Ito-Berg", "Marriage")  # life goes on

    tamper("DELETE FROM audit_event WHERE seq >= %s", [size - 1])
    tamper("DELETE FROM audit_checkpoint")
    User.objects.filter(pk=people["hana"].pk).update(printed_name="Hana Ito")
    error, output = run_audit("verify")
    assert error is not None, output
    assert f"events removed, first missing #{size - 1}" in str(error)
    assert "audit-checkpoints.log" in str(error)

    error, output = run_audit("verify", "--checkpoint", str(exported))
    assert error is not None
    assert error.returncode == 1
    assert f"{exported}: signed for {size} events" in output


@pytest.mark.requirement("A3")
def test_checkpoint_signed_by_another_key_is_reported(people, tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    exported = tmp_path / "checkpoint.txt"
    state = scan_events()
    body = notes.format_checkpoint(keys.key_name(), state.size, state.root)
    exported.write_text(notes.sign_note(body, keys.key_name(), Ed25519PrivateKey.generate()))
    error, _ = run_audit("verify", "--checkpoint", str(exported))
    assert error is not None
    assert "not signed by the site key" in str(error)


@pytest.mark.requirement("A3")
@pytest.mark.parametrize("batch_size", [1, 2, 3, 64])
def test_scan_captures_the_root_at_every_size_whatever_the_batch(people, batch_size):
    entries = AuditEvent.objects.order_by("seq").values_list("entry", flat=True)
    leaves = [merkle.leaf_hash(entry.encode()) for entry in entries]
    sizes = range(len(leaves) + 1)
    state = scan_events(sizes, batch_size=batch_size)
    assert not state.problems
    assert state.roots == {k: merkle.root_from_leaf_hashes(leaves[:k]) for k in sizes}


@pytest.mark.requirement("A3")
def test_scan_resumes_where_it_stopped(people):
    state = scan_events(batch_size=2)
    _rename(people["hana"], "Hana Ito-Berg", "Marriage")
    resumed = scan_events(state=state, batch_size=2)
    fresh = scan_events()
    assert (resumed.size, resumed.root, resumed.chain) == (fresh.size, fresh.root, fresh.chain)
    assert not resumed.problems


@pytest.mark.requirement("A3")
def test_changed_entry_in_a_later_batch_is_reported_once(people):
    seq = _seq_of("account.updated", people["jo"])
    tamper("UPDATE audit_event SET entry = entry || ' ' WHERE seq = %s", [seq])
    state = scan_events(batch_size=2)
    assert [(p.kind, p.seq) for p in state.problems] == [("chain", seq)]


def _rewrite_history(seq: int, old: str, new: str) -> None:
    """A consistent forgery: change one event's entry, then recompute the chain hash of
    it and of every later event, as someone with SQL access and the code would. The
    Merkle tree is computed from the entries, so it is recomputed with them."""
    tamper("UPDATE audit_event SET entry = replace(entry, %s, %s) WHERE seq = %s", [old, new, seq])
    previous = AuditEvent.objects.get(seq=seq - 1).chain_hash if seq > 1 else GENESIS
    for later, entry in (
        AuditEvent.objects.filter(seq__gte=seq).order_by("seq").values_list("seq", "entry")
    ):
        _, previous = chain_next(previous, entry)
        tamper("UPDATE audit_event SET chain_hash = %s WHERE seq = %s", [previous, later])


@pytest.mark.requirement("A3")
def test_history_rewritten_with_a_recomputed_chain_is_found_by_the_stored_checkpoint(people):
    seq = _seq_of("account.updated", people["ivan"])
    error, _ = run_audit("checkpoint")
    assert error is None
    size = Checkpoint.objects.get().tree_size
    assert seq <= size

    _rewrite_history(seq, "Name as on passport", "Routine correction")
    assert "Routine correction" in AuditEvent.objects.get(seq=seq).entry
    assert not scan_events().problems, "the forged chain and tree are self-consistent"

    report = verify_trail(verifier_key=keys.verifier_key_text())
    # Without the site key's MACs (public key only) the stored checkpoint still catches it.
    report = verify_trail()
    kinds = {p.kind for p in report.problems}
    assert {"checkpoint", "mac"} <= kinds
    assert any(
        f"tree root at size {size} differs from the signed root" in p.message
        for p in report.problems
    )
    _assert_fails_naming(f"event #{seq}: MAC does not match")


@pytest.mark.requirement("A3")
def test_history_rewritten_with_a_recomputed_chain_is_found_by_an_exported_checkpoint(
    people, tmp_path
):
    exported = tmp_path / "checkpoint.txt"
    error, _ = run_audit("checkpoint", "--out", str(exported))
    assert error is None
    seq = _seq_of("account.updated", people["jo"])

    # The forger also removes the stored checkpoint and its event, then recomputes.
    tamper("DELETE FROM audit_checkpoint")
    _rewrite_history(seq, "Full first name", "Typing error")
    tamper("DELETE FROM audit_event WHERE action = 'audit.checkpoint.signed'")
    error, output = run_audit("verify")
    assert error is not None, "the event MACs and the checkpoint log catch the rewrite"
    assert f"event #{seq}: MAC does not match" in output

    error, output = run_audit("verify", "--checkpoint", str(exported))
    assert error is not None
    assert error.returncode == 1
    assert f"{exported}: tree root at size" in output
    assert "differs from the signed root" in output


# -- edges of the streaming pass (each test kills mutants that survived `make mutate`) --


@pytest.mark.requirement("A4")
def test_an_intact_trail_is_reported_intact_and_a_broken_one_not(people):
    report = verify_trail()
    assert report.ok
    assert report.summary().startswith("audit trail intact; ")
    seq = _seq_of("account.updated", people["ivan"])
    tamper("UPDATE audit_event SET entry = entry || ' ' WHERE seq = %s", [seq])
    report = verify_trail()
    assert not report.ok
    assert report.summary().startswith(f"audit trail NOT intact: {len(report.problems)} problem(s)")


@pytest.mark.requirement("A3")
def test_several_deleted_events_are_named_as_one_range(people):
    first = _seq_of("account.created", people["ivan"])
    tamper("DELETE FROM audit_event WHERE seq IN (%s, %s)", [first, first + 1])
    _assert_fails_naming(f"event #{first}..#{first + 1} missing (next is #{first + 2})")


@pytest.mark.requirement("A3")
@pytest.mark.parametrize("batch_size", [1, 2, 3])
def test_a_gap_is_reported_once_whatever_the_batch(people, batch_size):
    seq = _seq_of("account.created", people["jo"])
    tamper("DELETE FROM audit_event WHERE seq = %s", [seq])
    state = scan_events(batch_size=batch_size)
    assert [(p.kind, p.seq) for p in state.problems if p.kind == "sequence"] == [("sequence", seq)]
    assert state.next_seq == AuditEvent.objects.latest("seq").seq + 1


@pytest.mark.requirement("A3")
@pytest.mark.parametrize("beyond", [1, 3])
def test_chain_breaks_beyond_the_limit_are_summarised_not_listed(people, beyond):
    for n in range(MAX_CHAIN_PROBLEMS + beyond - AuditEvent.objects.count()):
        _rename(people["kai"], f"Kai Lund {n}", "Spelling")
    count = AuditEvent.objects.count()
    assert count == MAX_CHAIN_PROBLEMS + beyond
    tamper("UPDATE audit_event SET entry = entry || ' '")
    state = scan_events()
    chain = [p for p in state.problems if p.kind == "chain"]
    assert len(chain) == MAX_CHAIN_PROBLEMS + 1
    assert [p.seq for p in chain[:MAX_CHAIN_PROBLEMS]] == list(range(1, MAX_CHAIN_PROBLEMS + 1))
    assert chain[-1].message == "further chain breaks not listed"
    assert state.chain_breaks == count


@pytest.mark.requirement("A3")
def test_a_stored_checkpoint_whose_columns_disagree_with_its_signed_note_is_reported(people):
    error, _ = run_audit("checkpoint")
    assert error is None
    row = Checkpoint.objects.get()
    tamper("UPDATE audit_checkpoint SET root_hash = %s WHERE id = %s", ["00" * 32, row.pk])
    report = verify_trail()
    messages = [p.message for p in report.problems if p.kind == "checkpoint"]
    assert messages == [
        f"stored checkpoint {row.pk} (size {row.tree_size}): columns disagree with its signed note"
    ]


@pytest.mark.requirement("A3")
def test_a_checkpoint_signed_by_the_site_key_for_another_origin_is_refused(people):
    keys.signing_key(create=True)
    scan = scan_events()
    foreign = keys.sign(notes.format_checkpoint("other.example/log", scan.size, scan.root))
    report = verify_trail({"foreign.txt": foreign})
    assert [p.message for p in report.problems] == [
        "foreign.txt: origin 'other.example/log' is not this site's"
    ]
    assert report.checkpoints_checked == 0
