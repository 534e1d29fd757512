"""Checkpoints signed without anyone running cron (A6): by `qualify worker` every
QUALIFY_CHECKPOINT_INTERVAL_SECONDS when events arrived, and at every export; never of
a trail whose new events do not verify, nor of one shorter than or different from the
newest checkpoint in the checkpoint log on disk."""

import datetime as dt
import io
import logging

import pytest
from django.core.management import call_command

from qualify.accounts.services import user_create
from qualify.audit import checkpoint_log, checkpoints, keys
from qualify.audit.models import AuditEvent, Checkpoint
from qualify.audit.trail import GENESIS, chain_next
from qualify.audit.verify import verify_trail
from qualify.training.management.commands import worker
from tests.audit.helpers import run_audit, tamper

pytestmark = pytest.mark.requirement("A6")


@pytest.fixture
def trail(db):
    return [
        user_create(actor=None, username=f"p{i}", printed_name=f"Person {i}", password=None)
        for i in range(3)
    ]


@pytest.fixture
def no_queue(monkeypatch):
    """The task queue itself is django-tasks-db's; these tests are about the checkpoints."""
    calls = []
    monkeypatch.setattr(worker, "call_command", lambda *a, **kw: calls.append(a))
    return calls


def _worker(*args: str) -> str:
    out = io.StringIO()
    call_command("worker", *args, stdout=out)
    return out.getvalue()


def _more_events(name: str) -> None:
    user_create(actor=None, username=name, printed_name=name.title(), password=None)


def test_worker_in_batch_mode_signs_a_checkpoint_of_new_events(trail, no_queue):
    output = _worker("--batch")
    assert no_queue == [("db_worker",)]
    [signed] = Checkpoint.objects.all()
    assert f"audit.checkpoint: signed at tree size {signed.tree_size}" in output
    assert signed.tree_size == AuditEvent.objects.count() - 1  # its own event follows
    assert signed.note in checkpoint_log.log_path().read_text()
    assert verify_trail([signed.note]).ok


def test_worker_starts_the_checkpoint_thread_at_the_configured_interval(
    trail, no_queue, monkeypatch, settings
):
    settings.QUALIFY_CHECKPOINT_INTERVAL_SECONDS = 120
    threads = {}

    class Thread:
        """Records the worker's background threads instead of starting them."""

        def __init__(self, *, target, args, name, daemon):
            threads[name] = (target, args)

        def start(self) -> None:
            pass

    monkeypatch.setattr(worker.threading, "Thread", Thread)
    signing = []
    monkeypatch.setattr(
        checkpoints, "sign_periodically", lambda every, stop, **kw: signing.append(every)
    )
    _worker()
    _, (work, *_) = threads["audit-checkpoints"]
    work()  # what the thread runs
    assert signing == [120]
    threads.clear()
    _worker("--checkpoint-interval", "0")
    assert "audit-checkpoints" not in threads


def test_no_checkpoint_before_the_interval_has_passed_nor_without_new_events(trail, time_machine):
    time_machine.move_to(dt.datetime.now(dt.UTC), tick=False)
    first, _ = checkpoints.checkpoint_if_due(interval=300)
    assert first is not None

    _more_events("later")
    time_machine.shift(dt.timedelta(seconds=200))
    created, wait = checkpoints.checkpoint_if_due(interval=300)
    assert created is None
    assert wait == pytest.approx(100)

    time_machine.shift(dt.timedelta(seconds=100))
    second, wait = checkpoints.checkpoint_if_due(interval=300)
    assert second is not None
    assert second.tree_size > first.tree_size
    assert wait == 300

    # Only the second checkpoint's own signing event since: nothing new to sign.
    time_machine.shift(dt.timedelta(seconds=600))
    assert checkpoints.checkpoint_if_due(interval=300) == (None, 300)


def test_the_loop_signs_at_every_interval_until_stopped(trail, time_machine):
    time_machine.move_to(dt.datetime.now(dt.UTC), tick=False)
    waits = []

    class Stop:
        """Instead of sleeping: the clock moves on, new events arrive, twice."""

        def is_set(self) -> bool:
            return len(waits) >= 2

        def wait(self, timeout: float) -> None:
            waits.append(timeout)
            time_machine.shift(dt.timedelta(seconds=timeout))
            _more_events(f"tick{len(waits)}")

    signed = []
    checkpoints.sign_periodically(300, Stop(), on_signed=signed.append)
    assert waits == [300, 300]
    assert len(signed) == 2
    assert signed[0].tree_size < signed[1].tree_size
    assert verify_trail([c.note for c in signed]).ok


def test_a_trail_whose_new_events_do_not_verify_is_never_signed(trail, no_queue, caplog):
    first = AuditEvent.objects.order_by("seq").first().seq
    tamper(
        "UPDATE audit_event SET entry = replace(entry, 'Person 1', 'Person X') WHERE seq > %s",
        [first],
    )
    with caplog.at_level(logging.ERROR, logger="qualify.audit.checkpoints"):
        output = _worker("--batch")
    assert "signed" not in output
    assert not Checkpoint.objects.exists()
    assert "audit trail does not verify, no checkpoint signed" in caplog.text


def test_a_trail_truncated_behind_the_application_is_never_signed(trail):
    kept = checkpoints.checkpoint_create()
    _more_events("removed")
    # The attacker removes the newest events, the signed checkpoint's row among them.
    tamper("DELETE FROM audit_checkpoint WHERE tree_size = %s", [kept.tree_size])
    tamper("DELETE FROM audit_event WHERE seq > %s", [kept.tree_size - 2])
    with pytest.raises(checkpoints.TrailBroken, match="events removed"):
        checkpoints.checkpoint_create()
    assert not Checkpoint.objects.exists()


def test_a_trail_rewritten_and_rechained_below_the_logged_checkpoint_is_never_signed(trail):
    """Even a rewrite whose chain and MACs are all consistent (made with the key) must
    extend the checkpoint in the log on disk before the site signs anything after it."""
    kept = checkpoints.checkpoint_create()
    tamper("UPDATE audit_event SET entry = replace(entry, 'Person 0', 'Person Z') WHERE seq = 1")
    previous = GENESIS
    mac_key = keys.mac_signer()
    for seq, entry in AuditEvent.objects.order_by("seq").values_list("seq", "entry"):
        _, previous = chain_next(previous, entry)
        # A host attacker's MACs: only the checkpoint log still disagrees.
        mac = keys.event_mac(mac_key[0], mac_key[1], bytes.fromhex(previous))
        tamper(
            "UPDATE audit_event SET chain_hash = %s, mac = %s WHERE seq = %s",
            [previous, mac, seq],
        )
    with pytest.raises(checkpoints.TrailBroken, match="differ from the checkpoint"):
        checkpoints.checkpoint_create()
    assert list(Checkpoint.objects.all()) == [kept]


def test_every_export_signs_a_checkpoint_first(trail, tmp_path):
    error, _ = run_audit("export", "--format", "jsonl", "--out", str(tmp_path / "e.jsonl"))
    assert error is None
    [signed] = Checkpoint.objects.all()
    exported = AuditEvent.objects.filter(action="audit.exported").get()
    assert exported.seq > signed.tree_size
    assert f'"checkpoint":{signed.tree_size}' in exported.entry

    error, _ = run_audit("export", "--format", "csv", "--out", str(tmp_path / "e.csv"))
    assert error is None
    assert Checkpoint.objects.count() == 2


def test_an_export_of_a_broken_trail_still_exports_but_signs_nothing(trail, tmp_path):
    tamper("UPDATE audit_event SET entry = replace(entry, 'Person 2', 'Person Y')")
    out = tmp_path / "e.jsonl"
    error, _ = run_audit("export", "--format", "jsonl", "--out", str(out))
    assert error is None
    assert len(out.read_text().splitlines()) >= 3
    assert not Checkpoint.objects.exists()


def _rechain_from(first: int) -> None:
    previous = AuditEvent.objects.get(seq=first - 1).chain_hash if first > 1 else GENESIS
    for seq, entry in (
        AuditEvent.objects.filter(seq__gte=first).order_by("seq").values_list("seq", "entry")
    ):
        _, previous = chain_next(previous, entry)
        tamper("UPDATE audit_event SET chain_hash = %s WHERE seq = %s", [previous, seq])


def test_the_worker_signs_on_what_it_verified_and_reads_only_new_events(trail):
    memory = checkpoints.ScanMemory()
    first = checkpoints.checkpoint_create(memory=memory)
    assert memory.state.size == first.tree_size
    # An old event rewritten behind the application (chain left broken there): the next
    # checkpoint rests on the verified history, not on the rewrite, and verify names it.
    tamper("UPDATE audit_event SET entry = replace(entry, 'Person 0', 'Person Q') WHERE seq = 1")
    _more_events("after")
    second = checkpoints.checkpoint_create(memory=memory)
    assert memory.state.size == second.tree_size
    leaves = checkpoints.leaf_hashes(second.tree_size)
    assert second.root_hash != checkpoints.root_at(leaves=leaves)  # the database's differs
    report = verify_trail()
    assert "event #1: chain hash does not match" in "\n".join(map(str, report.problems))


def test_a_rewrite_rechained_under_the_workers_memory_is_never_signed(trail):
    memory = checkpoints.ScanMemory()
    checkpoints.checkpoint_create(memory=memory)
    tamper("UPDATE audit_event SET entry = replace(entry, 'Person 0', 'Person Q') WHERE seq = 1")
    _rechain_from(1)
    _more_events("after")  # appended on the re-chained history
    with pytest.raises(checkpoints.TrailBroken, match="chain hash"):
        checkpoints.checkpoint_create(memory=memory)
    assert memory.state is None  # the next look reads the whole trail again
    assert Checkpoint.objects.count() == 1


def test_audit_checkpoint_every_runs_the_same_periodic_signer(trail, monkeypatch):
    seen = []

    def fake(every, stop, *, on_signed):
        seen.append(every)
        on_signed(checkpoints.checkpoint_create())

    monkeypatch.setattr(checkpoints, "sign_periodically", fake)
    err = io.StringIO()
    call_command("audit", "checkpoint", "--every", "60", stdout=io.StringIO(), stderr=err)
    assert seen == [60]
    assert "checkpoint of" in err.getvalue()
