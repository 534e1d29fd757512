"""C2SP signed notes and tlog checkpoints (A3).

Vectors: ``tests/vectors/signed-note-checkpoint/vectors.json``. Its strings
come from the C2SP signed-note specification (CC BY 4.0, "C2SP signed-note specification, The
C2SP Authors"), golang/mod ``sumdb/note`` tests (BSD-3-Clause) and transparency-dev/formats
``log`` tests (Apache-2.0); the README and LICENSE files beside it name commits and terms. The
private keys there are published TEST keys and are used for nothing else.
"""

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from qualify.audit.notes import (
    Checkpoint,
    InvalidKeyError,
    InvalidSignatureError,
    MalformedNoteError,
    NoteError,
    UnverifiedNoteError,
    format_checkpoint,
    key_id,
    open_note,
    parse_checkpoint,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
    signer_key,
    verifier_key,
)
from tests.vector_files import vector_path

pytestmark = pytest.mark.requirement("A3")

VECTORS = json.loads(
    vector_path("signed-note-checkpoint", "vectors.json").read_text(encoding="utf-8")
)
NOTE_CASES = [case for case in VECTORS["cases"] if "note" in case]
SIGN_CASES = [case for case in VECTORS["cases"] if "expected_signed_note" in case]
KEY_PAIRS = VECTORS["test_keypairs"]["pairs"]
VALID_BODIES = VECTORS["checkpoint_body_cases"]["valid"]
INVALID_BODIES = VECTORS["checkpoint_body_cases"]["invalid"]

# Which refusal each rejected vector should produce; anything unlisted must still be a NoteError.
EXPECTED_ERRORS: dict[str, type[NoteError]] = {
    "golang-note-no-trusted-key": UnverifiedNoteError,
    "sumdb-real-checkpoint-tampered-size": InvalidSignatureError,
    "sumdb-real-checkpoint-unknown-key-name": UnverifiedNoteError,
}


def _case_id(case: dict[str, Any]) -> str:
    return case["id"]


def _body_of(note: str) -> str:
    return note[: note.rindex("\n\n") + 1]


def _signed_example() -> tuple[str, Any]:
    private_key = Ed25519PrivateKey.generate()
    verifier = parse_verifier_key(verifier_key("example.org/log", private_key.public_key()))
    return sign_note("hello\n", "example.org/log", private_key), verifier


def test_vector_file_has_every_kind_of_case():
    assert len(NOTE_CASES) == 7
    assert len(SIGN_CASES) == 1
    assert len(KEY_PAIRS) == 4


@pytest.mark.parametrize("case", NOTE_CASES, ids=_case_id)
def test_note_vector_is_accepted_or_rejected_as_published(case: dict[str, Any]):
    verifiers = [parse_verifier_key(text) for text in case["vkeys"]]
    if case["expect"] == "accept":
        body, signers = open_note(case["note"], verifiers)
        assert body == _body_of(case["note"])
        assert signers == case["verified_signers"]
        assert not set(signers) & set(case.get("unverified_signers", []))
    else:
        with pytest.raises(EXPECTED_ERRORS.get(case["id"], NoteError)):
            open_note(case["note"], verifiers)


@pytest.mark.parametrize("case", [c for c in NOTE_CASES if "checkpoint" in c], ids=_case_id)
def test_checkpoint_in_a_published_note_parses_to_its_fields(case: dict[str, Any]):
    body, _ = open_note(case["note"], [parse_verifier_key(text) for text in case["vkeys"]])
    expected = case["checkpoint"]
    assert parse_checkpoint(body) == Checkpoint(
        origin=expected["origin"],
        size=expected["size"],
        root_hash=base64.b64decode(expected["root_hash_b64"]),
    )


@pytest.mark.parametrize("case", SIGN_CASES, ids=_case_id)
def test_signing_with_a_published_test_key_reproduces_the_published_note(case: dict[str, Any]):
    signer = parse_signer_key(case["skey"])
    assert sign_note(case["text"], signer.name, signer.private_key) == case["expected_signed_note"]


@pytest.mark.parametrize("pair", KEY_PAIRS, ids=lambda pair: pair["vkey"].split("+")[0])
def test_published_key_pairs_round_trip_through_their_text_forms(pair: dict[str, str]):
    signer = parse_signer_key(pair["skey"])
    verifier = parse_verifier_key(pair["vkey"])
    assert (signer.name, signer.key_id) == (verifier.name, verifier.key_id)
    assert key_id(signer.name, signer.private_key.public_key()).hex() == pair["vkey"].split("+")[1]
    assert verifier_key(signer.name, signer.private_key.public_key()) == pair["vkey"]
    assert signer_key(signer.name, signer.private_key) == pair["skey"]
    note = sign_note("checkpoint text\n", signer.name, signer.private_key)
    assert open_note(note, [verifier]) == ("checkpoint text\n", [signer.name])


@pytest.mark.parametrize("case", VALID_BODIES, ids=lambda case: repr(case["text"][:24]))
def test_published_checkpoint_bodies_parse_and_format_back(case: dict[str, Any]):
    # These Go vectors use short, arbitrary root hashes, so only the lenient mode takes them.
    checkpoint = parse_checkpoint(case["text"], hash_size=None)
    assert "".join(line + "\n" for line in checkpoint.extra) == case["rest"]
    assert checkpoint.origin == case.get("origin", checkpoint.origin)
    assert checkpoint.size == case.get("size", checkpoint.size)
    if "hash_b64" in case:
        assert checkpoint.root_hash == base64.b64decode(case["hash_b64"])
    formatted = format_checkpoint(
        checkpoint.origin, checkpoint.size, checkpoint.root_hash, checkpoint.extra
    )
    assert formatted == case["text"]
    with pytest.raises(MalformedNoteError, match="32 bytes"):
        parse_checkpoint(case["text"])


@pytest.mark.parametrize("case", INVALID_BODIES, ids=lambda case: case["why"])
def test_published_invalid_checkpoint_bodies_are_rejected(case: dict[str, Any]):
    with pytest.raises(MalformedNoteError):
        parse_checkpoint(case["text"], hash_size=None)


def test_checkpoint_with_empty_extension_lines_is_rejected():
    # Go's parser accepts this; tlog-checkpoint says extension lines MUST be non-empty.
    with pytest.raises(MalformedNoteError, match="non-empty"):
        parse_checkpoint("Log\n123\nYmFuYW5hcw==\n\n\n\n", hash_size=None)


@pytest.mark.parametrize(
    "size_text", ["0123", "+5", " 5", "5 ", "1_000", "\u0665", "18446744073709551616"]
)
def test_checkpoint_size_must_be_a_canonical_uint64(size_text: str):
    root = base64.b64encode(bytes(32)).decode()
    with pytest.raises(MalformedNoteError, match="tree size"):
        parse_checkpoint(f"Log\n{size_text}\n{root}\n")


def test_checkpoint_for_the_empty_tree_and_the_largest_size_parse():
    root = bytes(32)
    for size in (0, 2**64 - 1):
        text = format_checkpoint("example.org/log", size, root)
        assert parse_checkpoint(text) == Checkpoint("example.org/log", size, root)


def test_signed_checkpoint_round_trips():
    private_key = Ed25519PrivateKey.generate()
    verifier = parse_verifier_key(verifier_key("example.org/log", private_key.public_key()))
    body = format_checkpoint("example.org/log", 42, bytes(range(32)), ["ext"])
    body_back, signers = open_note(sign_note(body, "example.org/log", private_key), [verifier])
    assert signers == ["example.org/log"]
    assert parse_checkpoint(body_back) == Checkpoint(
        "example.org/log", 42, bytes(range(32)), ("ext",)
    )


@pytest.mark.parametrize(
    ("origin", "extra"), [("", ()), ("two\nlines", ()), ("Log", ("",)), ("Log", ("a\nb",))]
)
def test_format_checkpoint_refuses_lines_that_would_not_parse(origin: str, extra: tuple[str, ...]):
    with pytest.raises(MalformedNoteError):
        format_checkpoint(origin, 1, bytes(32), extra)


def test_note_text_may_contain_blank_lines():
    private_key = Ed25519PrivateKey.generate()
    verifier = parse_verifier_key(verifier_key("poet", private_key.public_key()))
    body = "stanza one\n\nstanza two\n"
    assert open_note(sign_note(body, "poet", private_key), [verifier]) == (body, ["poet"])


def test_note_given_as_bytes_is_opened_like_text():
    note, verifier = _signed_example()
    assert open_note(note.encode("utf-8"), [verifier]) == ("hello\n", ["example.org/log"])


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        pytest.param(lambda note: note[:-1], "end with a newline", id="missing-final-newline"),
        pytest.param(lambda note: note.replace("\n\n", "\n"), "no blank line", id="no-blank-line"),
        pytest.param(lambda note: note.replace("\u2014", "-"), "em dash", id="hyphen-not-em-dash"),
        pytest.param(lambda note: note.replace("\u2014", "\u2013"), "em dash", id="en-dash"),
        pytest.param(lambda note: note.replace("\u2014 ", "\u2014"), "em dash", id="no-space"),
        pytest.param(lambda note: note.replace(" ", "  ", 1), "name signature", id="two-spaces"),
        pytest.param(
            lambda note: note.replace("hello", "hel\rlo"), "control", id="carriage-return"
        ),
        pytest.param(lambda note: note.replace("=\n", "!\n"), "base64", id="not-base64"),
        pytest.param(lambda note: note + "\n", "end with a newline", id="trailing-blank-line"),
        pytest.param(lambda note: note + "\u2014 x AAAA\n", "base64", id="signature-too-short"),
        pytest.param(lambda note: note + "\u2014 x+y AAAAAAA=\n", "name", id="plus-in-name"),
        pytest.param(lambda note: note + 100 * "\u2014 x AAAAAAA=\n", "more than", id="too-many"),
        pytest.param(lambda note: note.encode()[:-3] + b"\xff=\n", "UTF-8", id="invalid-utf8"),
    ],
)
def test_malformed_notes_are_rejected(mangle, reason: str):
    note, verifier = _signed_example()
    with pytest.raises(MalformedNoteError, match=reason):
        open_note(mangle(note), [verifier])


def test_non_canonical_base64_signature_is_rejected():
    note = NOTE_CASES[0]["note"]
    assert note.endswith("aQM=\n")
    # 'M' -> 'N' changes only the unused low bits: same bytes, second spelling.
    verifiers = [parse_verifier_key(text) for text in NOTE_CASES[0]["vkeys"]]
    with pytest.raises(MalformedNoteError):
        open_note(note[:-3] + "N=\n", verifiers)


def test_tampered_text_fails_verification():
    note, verifier = _signed_example()
    with pytest.raises(InvalidSignatureError):
        open_note(note.replace("hello", "jello"), [verifier])


def test_truncated_signature_from_a_known_key_fails_verification():
    note, verifier = _signed_example()
    body, line = note.rsplit("\n\n", 1)
    prefix, encoded = line.rstrip("\n").rsplit(" ", 1)
    short = base64.b64encode(base64.b64decode(encoded)[:-1]).decode()
    with pytest.raises(InvalidSignatureError):
        open_note(f"{body}\n\n{prefix} {short}\n", [verifier])


def test_bad_signature_from_a_known_key_rejects_even_alongside_a_good_one():
    note, verifier = _signed_example()
    prefix, encoded = note.rsplit("\n\n", 1)[1].rstrip("\n").rsplit(" ", 1)
    signature = bytearray(base64.b64decode(encoded))
    signature[-1] ^= 1
    forged = f"{prefix} {base64.b64encode(bytes(signature)).decode()}\n"
    with pytest.raises(InvalidSignatureError):
        open_note(note + forged, [verifier])


def test_signature_from_same_name_but_other_key_is_ignored():
    note, _ = _signed_example()
    impostor = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(UnverifiedNoteError):
        open_note(note, [parse_verifier_key(verifier_key("example.org/log", impostor))])


def test_unknown_signatures_are_ignored_when_a_known_one_verifies():
    note, verifier = _signed_example()
    stranger = Ed25519PrivateKey.generate()
    cosigned = note + sign_note("hello\n", "stranger", stranger).split("\n\n", 1)[1]
    assert open_note(cosigned, [verifier]) == ("hello\n", ["example.org/log"])


def test_each_verifying_name_is_reported_once_in_signature_order():
    first, second = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    lines = [
        sign_note("text\n", name, key).split("\n\n", 1)[1]
        for name, key in (("b.example", first), ("a.example", second), ("b.example", first))
    ]
    verifiers = [
        parse_verifier_key(verifier_key("a.example", second.public_key())),
        parse_verifier_key(verifier_key("b.example", first.public_key())),
    ]
    assert open_note("text\n\n" + "".join(lines), verifiers) == (
        "text\n",
        ["b.example", "a.example"],
    )


@pytest.mark.parametrize("body", ["no newline", "tab\there\n", "lone \ud800 surrogate\n"])
def test_sign_note_refuses_text_that_could_not_be_opened(body: str):
    with pytest.raises(MalformedNoteError):
        sign_note(body, "example.org/log", Ed25519PrivateKey.generate())


@pytest.mark.parametrize("name", ["", "has space", "has+plus", "nbsp\u00a0name"])
def test_invalid_key_names_are_refused(name: str):
    with pytest.raises(InvalidKeyError):
        verifier_key(name, Ed25519PrivateKey.generate().public_key())
    with pytest.raises(InvalidKeyError):
        sign_note("text\n", name, Ed25519PrivateKey.generate())


@pytest.mark.parametrize(
    "text",
    [
        # wrong key ID
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        # name differs, so the ID no longer matches
        "PeterNeuman+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        # signature type 0x02 instead of 0x01
        "PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
        "",
    ],
)
def test_malformed_verifier_keys_are_refused(text: str):
    with pytest.raises(InvalidKeyError):
        parse_verifier_key(text)


def test_signer_key_without_its_prefix_is_refused():
    skey = KEY_PAIRS[0]["skey"]
    with pytest.raises(InvalidKeyError):
        parse_signer_key(skey.removeprefix("PRIVATE+KEY+"))


def test_colliding_trusted_keys_are_refused():
    note, verifier = _signed_example()
    other = Ed25519PrivateKey.generate().public_key()
    collision = type(verifier)(verifier.name, verifier.key_id, other)
    with pytest.raises(InvalidKeyError, match="ambiguous"):
        open_note(note, [verifier, collision])
