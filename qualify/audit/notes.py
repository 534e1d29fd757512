"""C2SP signed notes and tlog checkpoints with Ed25519 (A3).

Implements https://c2sp.org/signed-note (signature type 0x01 only) and
https://c2sp.org/tlog-checkpoint. Pure Python, no Django.

Choices beyond the letter of the specs, all in the direction of rejecting:

* base64 must be canonical (re-encoding gives the same text), so one signature or root has
  exactly one spelling.
* Every signature from a known key is verified and any failure rejects the whole note (the
  spec says SHOULD); signatures from unknown keys are ignored (MUST).
* At most ``MAX_SIGNATURES`` signature lines (the spec requires accepting at least 16).
* Checkpoint roots must be ``HASH_SIZE`` bytes unless the caller opts out.
"""

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519_TYPE = b"\x01"
HASH_SIZE = 32
MAX_SIGNATURES = 100
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
SIGNER_KEY_PREFIX = "PRIVATE+KEY+"

_ED25519_KEY_SIZE = 32
_ED25519_SIG_SIZE = 64
_KEY_ID_SIZE = 4
_HEX_KEY_ID = re.compile(r"[0-9a-fA-F]{8}")
# ASCII only, no sign, no leading zeroes: int() alone would also take "+5", " 5", "0_1"
# or non-ASCII digits.
_TREE_SIZE = re.compile(r"0|[1-9][0-9]*")
_MAX_TREE_SIZE = 2**64 - 1
_CONTROL_CHARS = re.compile(r"[\x00-\x09\x0b-\x1f]")


class NoteError(ValueError):
    """Base class: a note, checkpoint or key text cannot be used."""


class MalformedNoteError(NoteError):
    """The text is not a syntactically valid note or checkpoint."""


class InvalidKeyError(NoteError):
    """A verifier or signer key text is malformed, or trusted keys collide."""


class InvalidSignatureError(NoteError):
    """A signature from a trusted key does not verify."""


class UnverifiedNoteError(NoteError):
    """No signature from a trusted key: the note's text must be ignored."""


@dataclass(frozen=True)
class Verifier:
    name: str
    key_id: bytes
    public_key: Ed25519PublicKey = field(repr=False, compare=False)


@dataclass(frozen=True)
class Signer:
    name: str
    key_id: bytes
    private_key: Ed25519PrivateKey = field(repr=False, compare=False)


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes
    extra: tuple[str, ...] = ()


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str) -> bytes | None:
    """Strict standard base64; None unless ``text`` is the canonical encoding."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if _b64encode(data) == text else None


def is_valid_key_name(name: str) -> bool:
    return (
        bool(name)
        and "+" not in name
        and not any(char.isspace() for char in name)
        and not _CONTROL_CHARS.search(name)
    )


def _raw_public(public_key: Ed25519PublicKey | bytes) -> bytes:
    if isinstance(public_key, bytes):
        return public_key
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, public_key: Ed25519PublicKey | bytes) -> bytes:
    """SHA-256(name || 0x0A || 0x01 || public key)[:4], the spec's recommended key ID."""
    material = name.encode("utf-8") + b"\n" + ED25519_TYPE + _raw_public(public_key)
    return hashlib.sha256(material).digest()[:_KEY_ID_SIZE]


def _check_name(name: str) -> None:
    if not is_valid_key_name(name):
        raise InvalidKeyError(f"invalid key name {name!r}")


def verifier_key(name: str, public_key: Ed25519PublicKey | bytes) -> str:
    """The vkey text form: ``name+hex(key ID)+base64(0x01 || public key)``."""
    _check_name(name)
    raw = _raw_public(public_key)
    if len(raw) != _ED25519_KEY_SIZE:
        raise InvalidKeyError("an Ed25519 public key is 32 bytes")
    return f"{name}+{key_id(name, raw).hex()}+{_b64encode(ED25519_TYPE + raw)}"


def _split_key_text(text: str) -> tuple[str, bytes, bytes]:
    """Split ``name+hexid+base64(0x01 || key)`` and return (name, key ID, raw key)."""
    # The name cannot contain "+", but the base64 part can.
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise InvalidKeyError("key text must be name+keyid+key")
    name, hex_id, encoded = parts
    _check_name(name)
    if not _HEX_KEY_ID.fullmatch(hex_id):
        raise InvalidKeyError("key ID must be 8 hex digits")
    decoded = _b64decode(encoded)
    if decoded is None or len(decoded) != 1 + _ED25519_KEY_SIZE:
        raise InvalidKeyError("key must be base64 of 33 bytes")
    if decoded[:1] != ED25519_TYPE:
        raise InvalidKeyError("only Ed25519 keys (type 0x01) are supported")
    return name, bytes.fromhex(hex_id), decoded[1:]


def parse_verifier_key(text: str) -> Verifier:
    name, claimed_id, raw = _split_key_text(text)
    if key_id(name, raw) != claimed_id:
        raise InvalidKeyError("key ID does not match the name and public key")
    try:
        public_key = Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise InvalidKeyError("not an Ed25519 public key") from exc
    return Verifier(name=name, key_id=claimed_id, public_key=public_key)


def signer_key(name: str, private_key: Ed25519PrivateKey) -> str:
    """The skey text form: ``PRIVATE+KEY+name+hex(key ID)+base64(0x01 || seed)``."""
    _check_name(name)
    seed = private_key.private_bytes_raw()
    ident = key_id(name, private_key.public_key())
    return f"{SIGNER_KEY_PREFIX}{name}+{ident.hex()}+{_b64encode(ED25519_TYPE + seed)}"


def parse_signer_key(text: str) -> Signer:
    if not text.startswith(SIGNER_KEY_PREFIX):
        raise InvalidKeyError(f"signer key must start with {SIGNER_KEY_PREFIX}")
    name, claimed_id, seed = _split_key_text(text.removeprefix(SIGNER_KEY_PREFIX))
    private_key = Ed25519PrivateKey.from_private_bytes(seed)
    if key_id(name, private_key.public_key()) != claimed_id:
        raise InvalidKeyError("key ID does not match the name and key")
    return Signer(name=name, key_id=claimed_id, private_key=private_key)


def _check_text(text: str) -> bytes:
    """Encode note text as UTF-8, enforcing the character rules both text and note share."""
    try:
        encoded = text.encode("utf-8")  # rejects lone surrogates
    except UnicodeEncodeError as exc:
        raise MalformedNoteError("note is not valid UTF-8") from exc
    if _CONTROL_CHARS.search(text):
        raise MalformedNoteError("note contains a control character other than newline")
    return encoded


def sign_note(body: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """Sign ``body`` (the note text, ending in a newline) as key ``name``."""
    if not body.endswith("\n"):
        raise MalformedNoteError("note text must end with a newline")
    _check_name(name)
    signature = private_key.sign(_check_text(body))
    ident = key_id(name, private_key.public_key())
    return f"{body}\n{SIGNATURE_PREFIX}{name} {_b64encode(ident + signature)}\n"


def _trusted_keys(verifiers: Iterable[Verifier]) -> dict[tuple[str, bytes], Verifier]:
    trusted: dict[tuple[str, bytes], Verifier] = {}
    for verifier in verifiers:
        slot = (verifier.name, verifier.key_id)
        known = trusted.setdefault(slot, verifier)
        if _raw_public(known.public_key) != _raw_public(verifier.public_key):
            # Two keys share name and ID: a signature line could not say which one it means.
            raise InvalidKeyError(f"ambiguous trusted keys for {verifier.name!r}")
    return trusted


def _parse_signature_line(line: str) -> tuple[str, bytes, bytes]:
    if not line.startswith(SIGNATURE_PREFIX):
        raise MalformedNoteError("signature line must start with an em dash and a space")
    name, space, encoded = line.removeprefix(SIGNATURE_PREFIX).partition(" ")
    if not space or not is_valid_key_name(name):
        raise MalformedNoteError("signature line must be '\u2014 name signature'")
    decoded = _b64decode(encoded)
    if decoded is None or len(decoded) <= _KEY_ID_SIZE:
        raise MalformedNoteError(f"signature by {name!r} is not base64 of key ID and signature")
    return name, decoded[:_KEY_ID_SIZE], decoded[_KEY_ID_SIZE:]


def open_note(note_text: str | bytes, verifiers: Iterable[Verifier]) -> tuple[str, list[str]]:
    """Check a signed note; return its text and the names of the trusted keys that signed it.

    Raises ``MalformedNoteError``, ``InvalidSignatureError`` or ``UnverifiedNoteError``.
    """
    if isinstance(note_text, bytes):
        try:
            note_text = note_text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedNoteError("note is not valid UTF-8") from exc
    _check_text(note_text)
    trusted = _trusted_keys(verifiers)

    # The text may contain blank lines itself; the last blank line starts the signatures.
    split = note_text.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("note has no blank line before its signatures")
    body, signature_block = note_text[: split + 1], note_text[split + 2 :]
    if not signature_block.endswith("\n"):
        raise MalformedNoteError("signature block must end with a newline")
    lines = signature_block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(f"more than {MAX_SIGNATURES} signatures")

    signed = body.encode("utf-8")
    verified: list[str] = []
    for line in lines:
        name, ident, signature = _parse_signature_line(line)
        verifier = trusted.get((name, ident))
        if verifier is None:
            continue  # unknown keys are ignored, even if they share a name or ID
        try:
            if len(signature) != _ED25519_SIG_SIZE:
                raise InvalidSignature
            verifier.public_key.verify(signature, signed)
        except InvalidSignature as exc:
            raise InvalidSignatureError(f"signature by {name!r} does not verify") from exc
        if name not in verified:
            verified.append(name)
    if not verified:
        raise UnverifiedNoteError("note has no signature from a trusted key")
    return body, verified


def _check_line(line: str, what: str) -> None:
    if not line or "\n" in line:
        raise MalformedNoteError(f"checkpoint {what} must be one non-empty line")


def format_checkpoint(
    origin: str, size: int, root_hash: bytes, extra_lines: Sequence[str] = ()
) -> str:
    """The checkpoint note text: origin, tree size, base64 root, then extension lines."""
    _check_line(origin, "origin")
    if not 0 <= size <= _MAX_TREE_SIZE:
        raise MalformedNoteError("tree size must fit in an unsigned 64-bit integer")
    for line in extra_lines:
        _check_line(line, "extension line")
    lines = [origin, str(size), _b64encode(root_hash), *extra_lines]
    return "".join(line + "\n" for line in lines)


def parse_checkpoint(body: str, *, hash_size: int | None = HASH_SIZE) -> Checkpoint:
    """Parse checkpoint note text. ``hash_size=None`` accepts a root hash of any length."""
    _check_text(body)
    if not body.endswith("\n"):
        raise MalformedNoteError("checkpoint must end with a newline")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise MalformedNoteError("checkpoint needs origin, size and root hash lines")
    if not all(lines):
        raise MalformedNoteError("checkpoint lines must be non-empty")
    origin, size_text, hash_text, *extra = lines
    if not _TREE_SIZE.fullmatch(size_text) or int(size_text) > _MAX_TREE_SIZE:
        raise MalformedNoteError("tree size must be a decimal uint64 without leading zeroes")
    root_hash = _b64decode(hash_text)
    if root_hash is None:
        raise MalformedNoteError("root hash must be base64")
    if hash_size is not None and len(root_hash) != hash_size:
        raise MalformedNoteError(f"root hash must be {hash_size} bytes")
    return Checkpoint(origin=origin, size=int(size_text), root_hash=root_hash, extra=tuple(extra))
