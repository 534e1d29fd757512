"""The site's Ed25519 key: checkpoint signatures and event MACs (A3, A6).

The private key lives outside the database, in the PEM (PKCS#8) file named by
settings.QUALIFY_SIGNING_KEY, so someone who can rewrite the database can neither sign
a checkpoint nor compute an event MAC for a rewritten trail.

Hazards and decisions:

* A missing key file is an error, never a silent new key. The key is created by
  `qualify audit keygen`, or once, by the very first event of an installation whose
  trail is still empty (so `migrate` + `seed` on a fresh database, the demo and the
  tests work). Its verifier key is then logged and pinned as the first entry of the
  checkpoint log. Any later append, checkpoint or verification without the key
  file fails and says where the key was expected.
* The key's name, which is the checkpoint origin, is unique per installation by
  default: `<host>/qualify-audit/<random>`, kept beside the key (``.origin``).
  settings.QUALIFY_CHECKPOINT_ORIGIN overrides it. An installation whose key predates
  the origin file keeps the old default ``qualify.local/audit``.
* The event MAC key is derived from the private key (HKDF-SHA256), so there is one
  secret to keep; a rotated key is kept in ``<key>.retired/`` so older events' MACs
  still verify. Rotation is an audited event signed by the old and the new key.
* settings.QUALIFY_VERIFIER_KEY pins the public key: verification trusts it and the
  keys it handed over to by signed rotation statements, nothing else.
"""

import functools
import hmac
import logging
import os
import secrets
import socket
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from django.conf import settings

from qualify.audit import notes

log = logging.getLogger(__name__)

LEGACY_ORIGIN = "qualify.local/audit"
MAC_INFO = b"qualify audit event MAC v2"


class SigningKeyMissing(FileNotFoundError):
    """The key file does not exist (and the trail is not empty, or creation was not asked)."""


def key_path() -> Path:
    return Path(settings.QUALIFY_SIGNING_KEY)


def origin_path() -> Path:
    return key_path().with_suffix(".origin")


def retired_dir() -> Path:
    return key_path().with_name(key_path().name + ".retired")


def key_name() -> str:
    """The checkpoint origin, also the key's name in signed notes."""
    configured = getattr(settings, "QUALIFY_CHECKPOINT_ORIGIN", "")
    if configured:
        return configured
    try:
        return origin_path().read_text(encoding="utf-8").strip() or LEGACY_ORIGIN
    except FileNotFoundError:
        return LEGACY_ORIGIN


def _new_origin() -> str:
    host = "".join(c for c in socket.gethostname().lower() if c.isalnum() or c in "-.") or "qualify"
    return f"{host}/qualify-audit/{secrets.token_hex(4)}"


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def _write_exclusive(path: Path, data: bytes) -> bool:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once must not each write their own key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return True


def key_create(*, origin: str | None = None) -> str:
    """Create the site key (mode 0600) and pin it in the checkpoint log; return the
    verifier key. Refuses to replace an existing key (use `key_rotate`)."""
    from qualify.audit import checkpoint_log

    path = key_path()
    if path.exists():
        raise FileExistsError(f"a signing key already exists at {path}; rotate it instead")
    if not getattr(settings, "QUALIFY_CHECKPOINT_ORIGIN", "") and not origin_path().exists():
        _write_exclusive(origin_path(), ((origin or _new_origin()) + "\n").encode())
    if not _write_exclusive(path, _pem(Ed25519PrivateKey.generate())):
        raise FileExistsError(f"a signing key already exists at {path}")
    _load.cache_clear()
    text = verifier_key_text()
    checkpoint_log.append(key_statement(text))
    log.warning("audit signing key created at %s; verifier key: %s", path, text)
    return text


def ensure_for_empty_trail() -> None:
    """Create the key at an installation's first event; never afterwards."""
    if not key_path().exists():
        key_create()


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int, size: int) -> Ed25519PrivateKey:
    key = load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError(f"{path} does not hold an Ed25519 private key")
    return key


def _read(path: Path) -> Ed25519PrivateKey:
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise SigningKeyMissing(
            f"no audit signing key at {path}: restore the key file (or set"
            " QUALIFY_SIGNING_KEY to where it is); a new key is made only by"
            " `qualify audit keygen` for a new installation"
        ) from None
    return _load(str(path), stat.st_mtime_ns, stat.st_size)


def signing_key(*, create: bool = False) -> Ed25519PrivateKey:
    """The site's private key. ``create`` makes one only when none exists yet."""
    path = key_path()
    if create and not path.exists():
        key_create()
    # The pinned key (QUALIFY_VERIFIER_KEY) is checked by verification, which follows
    # the rotation statements of the checkpoint log from it (``checkpoint_log``).
    return _read(path)


def verifier(*, create: bool = False) -> notes.Verifier:
    """The site's public key as a signed-note verifier."""
    return notes.parse_verifier_key(verifier_key_text(create=create))


def verifier_key_text(*, create: bool = False) -> str:
    """The vkey text (`name+keyid+base64`) to hand to whoever verifies checkpoints."""
    return notes.verifier_key(key_name(), signing_key(create=create).public_key())


def sign(body: str) -> str:
    """Sign note text as the site."""
    return notes.sign_note(body, key_name(), signing_key())


# -- event MACs (A6) -------------------------------------------------------------------


def _mac_key(key: Ed25519PrivateKey) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=MAC_INFO)
    return hkdf.derive(key.private_bytes_raw())


def _kid(key: Ed25519PrivateKey) -> str:
    return notes.key_id(key_name(), key.public_key()).hex()


def mac_signer() -> tuple[str, bytes]:
    """(key ID hex, MAC key) of the current key, for appending events."""
    path = os.fspath(settings.QUALIFY_SIGNING_KEY)  # as key_path(), without a Path per event
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        _read(Path(path))  # raises SigningKeyMissing, saying where the key was expected
        raise
    origin = getattr(settings, "QUALIFY_CHECKPOINT_ORIGIN", "")
    return _signer_for(path, stat.st_mtime_ns, stat.st_size, origin)


@functools.lru_cache(maxsize=8)
def _signer_for(path: str, mtime_ns: int, size: int, origin: str) -> tuple[str, bytes]:
    # Every append needs it: derived once per version of the key file (a rotated key
    # is a new file, so a new entry), not per event.
    key = _load(path, mtime_ns, size)
    return _kid(key), _mac_key(key)


def mac_keys() -> dict[str, bytes]:
    """Every MAC key this site has used, by key ID: the current and the retired ones."""
    found: dict[str, bytes] = {}
    folder = retired_dir()
    if folder.is_dir():
        for pem in sorted(folder.glob("*.pem")):
            old = _read(pem)
            found[_kid(old)] = _mac_key(old)
    kid, current = mac_signer()
    found[kid] = current
    return found


def event_mac(kid: str, mac_key: bytes, chain_hash: bytes) -> str:
    """The MAC column: key ID, ":", HMAC-SHA256(MAC key, chain hash) in hex.

    The chain hash commits to the event's entry and to every event before it, so a
    valid MAC on event N vouches for events 1..N."""
    return kid + ":" + hmac.digest(mac_key, chain_hash, "sha256").hex()


# -- key statements and rotation -------------------------------------------------------

STATEMENT_HEADER = "qualify-audit-key/v1"


def key_statement(new_vkey: str, *, previous: Ed25519PrivateKey | None = None) -> str:
    """A signed note naming the site's key: the first entry of the checkpoint log, and
    at rotation a statement signed by the old and the new key."""
    lines = [STATEMENT_HEADER, key_name(), "key " + new_vkey]
    old_vkey = None
    if previous is not None:
        old_vkey = notes.verifier_key(key_name(), previous.public_key())
        lines.append("previous " + old_vkey)
    body = "".join(line + "\n" for line in lines)
    note = sign(body)
    if previous is not None:
        extra = notes.sign_note(body, key_name(), previous)
        note += extra.split("\n\n", 1)[1]
    return note


def parse_key_statement(body: str) -> tuple[str, str, str | None] | None:
    """(origin, new vkey, previous vkey or None) of a key statement's text, or None."""
    lines = body.rstrip("\n").split("\n")
    if not lines or lines[0] != STATEMENT_HEADER or len(lines) not in (3, 4):
        return None
    if not lines[2].startswith("key "):
        return None
    previous = None
    if len(lines) == 4:
        if not lines[3].startswith("previous "):
            return None
        previous = lines[3].removeprefix("previous ")
    return lines[1], lines[2].removeprefix("key "), previous


def key_rotate() -> tuple[str, str, str]:
    """Replace the key; the old one moves to ``<key>.retired/`` (its MACs must still
    verify). Returns (old vkey, new vkey, the statement note signed by both).

    The caller audits the rotation (``audit.key.rotated``) and the statement is
    appended to the checkpoint log."""
    from qualify.audit import checkpoint_log

    path = key_path()
    old = signing_key()
    old_vkey = notes.verifier_key(key_name(), old.public_key())
    new = Ed25519PrivateKey.generate()
    new_vkey = notes.verifier_key(key_name(), new.public_key())
    folder = retired_dir()
    folder.mkdir(mode=0o700, exist_ok=True)
    _write_exclusive(folder / f"{_kid(old)}.pem", _pem(old))
    temporary = path.with_name(path.name + ".new")
    temporary.unlink(missing_ok=True)
    _write_exclusive(temporary, _pem(new))
    os.replace(temporary, path)
    _load.cache_clear()
    statement = key_statement(new_vkey, previous=old)
    checkpoint_log.append(statement)
    return old_vkey, new_vkey, statement
