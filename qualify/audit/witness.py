"""Witnessing checkpoints (A6): https://c2sp.org/tlog-witness and tlog-cosignature.

A witness is someone else's machine (QA's, a sister site's) that keeps, for each log
it knows, the latest checkpoint it cosigned, and cosigns a new checkpoint only when a
consistency proof shows it extends that one. An installation that rewrites its trail,
even with its own key, cannot get that rewrite cosigned, and the cosignatures it
already holds (stored with the checkpoints and in the checkpoint log) contradict it.

* Server: ``Witness`` (the protocol, state in a JSON file, fsync'd) and ``serve()``
  (`qualify witness serve`); the HTTP server is the standard library's.
* Client: ``submit()`` sends `add-checkpoint` with the proof from the size this witness
  last cosigned and checks the cosignature it gets back.

Cosignatures are Ed25519 over ``cosignature/v1\\ntime <t>\\n`` + the checkpoint text,
with key ID SHA-256(name || 0x0A || 0x04 || public key)[:4], as the spec says.
"""

import base64
import hashlib
import json
import os
import struct
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from qualify.audit import merkle, notes

COSIGNATURE_TYPE = b"\x04"
MAX_BODY = 64 * 1024


class WitnessError(Exception):
    """The witness refused, could not be reached, or answered something unusable."""


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def cosigner_key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + COSIGNATURE_TYPE + _raw(public_key)).digest()[:4]


def cosigner_vkey(name: str, public_key: Ed25519PublicKey) -> str:
    encoded = base64.b64encode(COSIGNATURE_TYPE + _raw(public_key)).decode()
    return f"{name}+{cosigner_key_id(name, public_key).hex()}+{encoded}"


def parse_cosigner_vkey(text: str) -> tuple[str, bytes, Ed25519PublicKey]:
    try:
        name, hex_id, encoded = text.split("+", 2)
        raw = base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise WitnessError(f"not a witness key: {text!r}") from exc
    if len(raw) != 33 or raw[:1] != COSIGNATURE_TYPE or not notes.is_valid_key_name(name):
        raise WitnessError(f"not a witness (cosignature/v1) key: {text!r}")
    public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    if cosigner_key_id(name, public_key).hex() != hex_id:
        raise WitnessError("witness key ID does not match its name and key")
    return name, bytes.fromhex(hex_id), public_key


def _message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode("utf-8")


def cosign(name: str, private_key: Ed25519PrivateKey, body: str, timestamp: int) -> str:
    signature = private_key.sign(_message(body, timestamp))
    blob = cosigner_key_id(name, private_key.public_key()) + struct.pack(">Q", timestamp)
    return f"{notes.SIGNATURE_PREFIX}{name} {base64.b64encode(blob + signature).decode()}"


def verify_cosignature(line: str, vkey: str, body: str) -> int:
    """The cosignature's time when ``line`` is ``vkey``'s valid cosignature of ``body``."""
    name, key_id, public_key = parse_cosigner_vkey(vkey)
    prefix = f"{notes.SIGNATURE_PREFIX}{name} "
    if not line.startswith(prefix):
        raise WitnessError("not a cosignature by this witness")
    try:
        blob = base64.b64decode(line.removeprefix(prefix), validate=True)
    except ValueError as exc:
        raise WitnessError("cosignature is not base64") from exc
    if len(blob) != 4 + 8 + 64 or blob[:4] != key_id:
        raise WitnessError("cosignature is not a cosignature/v1 by this key")
    (timestamp,) = struct.unpack(">Q", blob[4:12])
    try:
        public_key.verify(blob[12:], _message(body, timestamp))
    except InvalidSignature as exc:
        raise WitnessError("cosignature does not verify") from exc
    return timestamp


# -- the witness -----------------------------------------------------------------------


def load_or_create_key(path: Path, *, create: bool = False) -> Ed25519PrivateKey:
    if not path.exists():
        if not create:
            raise WitnessError(f"no witness key at {path} (create it with `qualify witness key`)")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(
                Ed25519PrivateKey.generate().private_bytes(
                    Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
                )
            )
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise WitnessError(f"{path} does not hold an Ed25519 key")
    return key


@dataclass
class Witness:
    """The witness side of `add-checkpoint`: (status, content type, body) per request."""

    name: str
    private_key: Ed25519PrivateKey
    logs: dict[str, notes.Verifier]  # origin -> the log's key
    state_path: Path
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_vkeys(cls, name: str, private_key, log_vkeys: list[str], state_path: Path):
        logs = {}
        for text in log_vkeys:
            verifier = notes.parse_verifier_key(text)
            logs[verifier.name] = verifier
        return cls(name, private_key, logs, state_path)

    @property
    def vkey(self) -> str:
        return cosigner_vkey(self.name, self.private_key.public_key())

    def _state(self) -> dict:
        try:
            return json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def _save(self, state: dict) -> None:
        temporary = self.state_path.with_name(self.state_path.name + ".tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(state, handle, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.state_path)

    def add_checkpoint(self, body: bytes) -> tuple[int, str, str]:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return 400, "text/plain", "not UTF-8\n"
        if "\r" in text:
            return 400, "text/plain", "carriage returns are not allowed\n"
        head, blank, note = text.partition("\n\n")
        lines = head.split("\n")
        if not blank or not lines[0].startswith("old "):
            return 400, "text/plain", "expected 'old N', proof lines, an empty line, a note\n"
        try:
            old_size = int(lines[0].removeprefix("old "))
            proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
        except ValueError:
            return 400, "text/plain", "malformed old size or proof\n"
        try:
            origin = note.split("\n", 1)[0]
            verifier = self.logs.get(origin)
            if verifier is None:
                return 404, "text/plain", "unknown log\n"
            checkpoint_body, _ = notes.open_note(note, [verifier])
            checkpoint = notes.parse_checkpoint(checkpoint_body)
        except notes.MalformedNoteError:
            return 400, "text/plain", "malformed checkpoint\n"
        except notes.NoteError:
            return 403, "text/plain", "checkpoint not signed by the log's key\n"
        if old_size > checkpoint.size:
            return 400, "text/plain", "old size larger than the checkpoint\n"
        with self._lock:
            state = self._state()
            known = state.get(origin)
            known_size = known["size"] if known else 0
            if old_size != known_size:
                return 409, "text/x.tlog.size", f"{known_size}\n"
            if known:
                known_root = base64.b64decode(known["root"])
                if checkpoint.size == known_size:
                    consistent = not proof and known_root == checkpoint.root_hash
                else:
                    consistent = merkle.verify_consistency(
                        known_size, checkpoint.size, known_root, checkpoint.root_hash, proof
                    )
                if not consistent:
                    return 422, "text/plain", "consistency proof does not verify\n"
            elif proof:
                return 422, "text/plain", "no proof is expected from size 0\n"
            state[origin] = {
                "size": checkpoint.size,
                "root": base64.b64encode(checkpoint.root_hash).decode(),
            }
            self._save(state)
        line = cosign(self.name, self.private_key, checkpoint_body, int(time.time()))
        return 200, "text/plain; charset=utf-8", line + "\n"


def make_server(witness: Witness, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path.rstrip("/").rsplit("/", 1)[-1] != "add-checkpoint":
                self._answer(404, "text/plain", "not found\n")
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._answer(413, "text/plain", "too large\n")
                return
            self._answer(*witness.add_checkpoint(self.rfile.read(length)))

        def _answer(self, status: int, content_type: str, body: str) -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:  # quiet: the command logs what matters
            pass

    return ThreadingHTTPServer((host, port), Handler)


def serve(witness: Witness, host: str, port: int, *, ready=None) -> None:
    """Serve ``witness`` until interrupted (SIGINT or SIGTERM): `qualify witness serve`.

    ``ready`` is called with the address actually bound (port 0 picks a free one)."""
    import signal

    server = make_server(witness, host, port)

    def stop(signum, frame) -> None:
        # shutdown() waits for serve_forever() to return, so never call it on its thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if ready is not None:
            ready(server.server_address[:2])
        server.serve_forever()
    finally:
        server.server_close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# -- the client ------------------------------------------------------------------------


def configured() -> list[tuple[str, str]]:
    """settings.QUALIFY_AUDIT_WITNESSES: entries "URL WITNESS_VKEY"."""
    from django.conf import settings

    found = []
    for entry in getattr(settings, "QUALIFY_AUDIT_WITNESSES", []) or []:
        url, _, vkey = entry.strip().partition(" ")
        if url and vkey:
            found.append((url, vkey.strip()))
    return found


def _post(url: str, body: str) -> tuple[int, str]:
    request = urllib.request.Request(
        url.rstrip("/") + "/add-checkpoint", data=body.encode("utf-8"), method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as exc:
        raise WitnessError(f"cannot reach {url}: {exc}") from exc


def submit(url: str, witness_vkey: str, checkpoint, *, using: str = "default") -> str:
    """Send ``checkpoint`` (a stored Checkpoint) to the witness; return its cosignature line."""
    from qualify.audit.checkpoints import consistency_proof_between, leaf_hashes
    from qualify.audit.models import Cosignature

    name = witness_vkey.split("+", 1)[0]
    last = (
        Cosignature.objects.using(using)
        .filter(witness=name, checkpoint__tree_size__lte=checkpoint.tree_size)
        .order_by("-checkpoint__tree_size")
        .values_list("checkpoint__tree_size", flat=True)
        .first()
    )
    old = last or 0
    leaves = leaf_hashes(checkpoint.tree_size, using=using)
    for _ in range(2):
        proof = []
        if 0 < old < checkpoint.tree_size:
            proof = consistency_proof_between(old, leaves=leaves)
        proof_lines = "".join(base64.b64encode(bytes.fromhex(p)).decode() + "\n" for p in proof)
        status, answer = _post(url, f"old {old}\n{proof_lines}\n{checkpoint.note}")
        if status == 409:
            try:
                old = int(answer.strip())
            except ValueError as exc:
                raise WitnessError(f"{url}: 409 without a size") from exc
            if old > checkpoint.tree_size:
                raise WitnessError(f"{url} has cosigned a larger tree ({old}) than this one")
            continue
        if status != 200:
            raise WitnessError(f"{url} answered {status}: {answer.strip()}")
        body = checkpoint.note[: checkpoint.note.rfind("\n\n") + 1]
        for line in answer.splitlines():
            try:
                verify_cosignature(line, witness_vkey, body)
            except WitnessError:
                continue
            return line
        raise WitnessError(f"{url} returned no valid cosignature by {name}")
    raise WitnessError(f"{url} keeps answering 409")
