"""`qualify witness serve` as another machine runs it (A6): a separate process on a
loopback port, with its own key, cosigning this installation's checkpoints and refusing
a rewritten history signed with this installation's own key (a host attacker)."""

import base64
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command

from qualify.accounts.services import user_create
from qualify.audit import checkpoints, keys, merkle, notes, witness
from qualify.audit.models import Cosignature

REPO = Path(__file__).resolve().parents[2]
NAME = "qa.example/witness"


def _qualify(tmp_path: Path, *args: str, **popen: object):
    env = {**os.environ, "QUALIFY_VAR_DIR": str(tmp_path / "witness-host")}
    env.pop("QUALIFY_DATABASE_URL", None)  # the witness needs no database
    return subprocess.Popen(
        [sys.executable, "-m", "qualify", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def _lines(stream) -> "queue.Queue[str]":
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


@pytest.fixture
def witness_process(db, tmp_path):
    """A witness of this installation's log, started as `qualify witness serve`."""
    user_create(actor=None, username="w1", printed_name="Witnessed One", password=None)
    key_file = tmp_path / "witness-host" / "witness.pem"
    made = _qualify(tmp_path, "witness", "key", "--key", str(key_file), "--name", NAME)
    out, err = made.communicate(timeout=60)
    assert made.returncode == 0, err
    witness_vkey = out.strip()
    assert key_file.stat().st_mode & 0o777 == 0o600
    process = _qualify(
        tmp_path,
        "witness",
        "serve",
        "--key",
        str(key_file),
        "--name",
        NAME,
        "--log",
        keys.verifier_key_text(),
        "--state",
        str(tmp_path / "witness-host" / "state.json"),
        "--listen",
        "127.0.0.1:0",
    )
    lines = _lines(process.stdout)
    url = None
    try:
        while url is None:
            line = lines.get(timeout=60)
            if line.startswith("listening on "):
                url = line.removeprefix("listening on ").strip()
        yield witness_vkey, url, process, lines
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.mark.requirement("A6")
def test_witness_served_by_another_process_cosigns_this_installations_checkpoints(
    witness_process, settings, tmp_path
):
    witness_vkey, url, process, lines = witness_process
    assert url.startswith("http://127.0.0.1:")
    assert not url.endswith(":0")
    settings.QUALIFY_AUDIT_WITNESSES = [f"{url} {witness_vkey}"]

    first = checkpoints.checkpoint_create()
    user_create(actor=None, username="w2", printed_name="Witnessed Two", password=None)
    second = checkpoints.checkpoint_create()

    # Both cosigned by the served witness's key; the second from the first's size, with
    # a consistency proof (the witness refuses a checkpoint that does not extend the
    # last one it cosigned).
    for checkpoint in (first, second):
        line = Cosignature.objects.get(checkpoint=checkpoint).line
        body = checkpoint.note[: checkpoint.note.rfind("\n\n") + 1]
        assert witness.verify_cosignature(line, witness_vkey, body) > 0
    state = json.loads((tmp_path / "witness-host" / "state.json").read_text())
    assert state[keys.key_name()]["size"] == second.tree_size
    # The cosignatures are also in the checkpoint log on disk.
    log_text = keys.key_path().with_name("audit-checkpoints.log").read_text()
    assert Cosignature.objects.get(checkpoint=second).line in log_text

    # A host attacker rewrites event 1 and signs the new tree with the site's own key:
    # the witness, which saw the real tree, refuses it.
    forged_leaves = [merkle.leaf_hash(b"forged"), *checkpoints.leaf_hashes()[1:]]
    forged = keys.sign(
        notes.format_checkpoint(
            keys.key_name(), len(forged_leaves), merkle.root_from_leaf_hashes(forged_leaves)
        )
    )
    proof = merkle.consistency_proof(second.tree_size, forged_leaves)
    proof_lines = "".join(base64.b64encode(node).decode() + "\n" for node in proof)
    status, answer = witness._post(url, f"old {second.tree_size}\n{proof_lines}\n{forged}")
    assert status == 422, answer
    assert json.loads((tmp_path / "witness-host" / "state.json").read_text()) == state

    # A log the witness was not given is unknown to it.
    stranger = notes.sign_note(
        notes.format_checkpoint("stranger.example/log", 1, merkle.leaf_hash(b"x")),
        "stranger.example/log",
        Ed25519PrivateKey.generate(),
    )
    assert witness._post(url, f"old 0\n\n{stranger}")[0] == 404

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    assert "witness stopped" in "".join(list(lines.queue))


@pytest.mark.requirement("A6")
def test_witness_serve_refuses_a_missing_key_and_a_bad_log_key(tmp_path):
    with pytest.raises(CommandError, match="qualify witness key"):
        call_command(
            "witness",
            "serve",
            "--key",
            str(tmp_path / "none.pem"),
            "--name",
            NAME,
            "--log",
            "x+00000000+AA==",
            "--state",
            str(tmp_path / "s.json"),
        )
    call_command("witness", "key", "--key", str(tmp_path / "w.pem"), "--name", NAME)
    with pytest.raises(CommandError, match="verifier key"):
        call_command(
            "witness",
            "serve",
            "--key",
            str(tmp_path / "w.pem"),
            "--name",
            NAME,
            "--log",
            "not a key",
            "--state",
            str(tmp_path / "s.json"),
        )
    with pytest.raises(CommandError, match="HOST:PORT"):
        call_command(
            "witness",
            "serve",
            "--key",
            str(tmp_path / "w.pem"),
            "--name",
            NAME,
            "--log",
            "x+00000000+AA==",
            "--state",
            str(tmp_path / "s.json"),
            "--listen",
            "8081",
        )
