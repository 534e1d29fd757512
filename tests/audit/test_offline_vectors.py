"""The offline verifier (qualify-verify) against the public RFC 6962 vectors, the C2SP
signed-note and tlog-checkpoint vectors, and RFC 8785 (A3, A6). Loaded from its file, as
an inspector runs it: it imports no Django."""

import base64
import hashlib
import importlib.util
import json
import math
import random

import pytest
import rfc8785

from qualify.audit import keys
from tests.audit.test_merkle import CONSISTENCY_FILES, INCLUSION_FILES, _load, _vector_id
from tests.vector_files import vector_path

pytestmark = pytest.mark.engine_free

_SPEC = importlib.util.spec_from_file_location(
    "offline_verifier", keys.__file__.replace("keys.py", "qualify_verify.py")
)
offline = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(offline)


@pytest.mark.requirement("A6")
@pytest.mark.parametrize("path", INCLUSION_FILES, ids=_vector_id)
def test_offline_inclusion_matches_the_vector(path):
    v = _load(path)
    accepted = v["treeSize"] > 0 and offline.verify_inclusion(
        v["leafIdx"], v["treeSize"], v["leafHash"], v["proof"], v["root"]
    )
    assert accepted is not v["wantErr"]


@pytest.mark.requirement("A6")
@pytest.mark.parametrize("path", CONSISTENCY_FILES, ids=_vector_id)
def test_offline_consistency_matches_the_vector(path):
    v = _load(path)
    try:
        accepted = offline.verify_consistency(
            v["size1"], v["size2"], v["root1"], v["root2"], v["proof"]
        )
    except (IndexError, TypeError):
        accepted = False
    assert accepted is not v["wantErr"]


@pytest.mark.requirement("A6")
def test_inlined_canonicaliser_agrees_with_rfc8785():
    rng = random.Random(8785)
    values = [0.1, 1e21, 1e-7, 123456789012.5, -0.0, 5e-324, 1.7976931348623157e308, 2**53 - 1]
    values += [rng.uniform(-1e30, 1e30) for _ in range(300)]
    values += [rng.random() * 10 ** rng.randint(-30, 30) for _ in range(300)]
    document = {
        "numbers": values,
        "text": 'é\u2028\x01"\\ \U0001f600',
        "\U0001f600": 1,
        "\ue000": 2,
        "nested": [None, True, False, {"b": [], "a": {}}],
    }
    assert offline.jcs(document) == rfc8785.dumps(document).decode()
    assert all(not math.isnan(v) for v in values)


# -- C2SP signed-note and tlog-checkpoint vectors (tests/vectors/signed-note-checkpoint) --
#
# The same published strings qualify.audit.notes is tested against (tests/audit/
# test_notes.py, which names their sources and licences), here through the offline
# verifier's own parsing, as an inspector's copy runs it.

NOTE_VECTORS = json.loads(
    vector_path("signed-note-checkpoint", "vectors.json").read_text(encoding="utf-8")
)
NOTE_CASES = [case for case in NOTE_VECTORS["cases"] if "note" in case]
SIGNED_CASES = [case for case in NOTE_VECTORS["cases"] if "expected_signed_note" in case]
SHA256_ROOT = base64.b64encode(hashlib.sha256(b"root").digest()).decode()


def _case_id(case):
    return case["id"]


def _offline_accepts(note, vkeys):
    """As the verifier judges a checkpoint: signed by one of the keys it trusts."""
    try:
        return any(offline.signed_by(note, vkey) for vkey in vkeys)
    except offline.NoteError:
        return False


@pytest.mark.requirement("A6")
@pytest.mark.parametrize("case", NOTE_CASES, ids=_case_id)
def test_offline_verifier_accepts_or_rejects_each_published_note(case):
    assert _offline_accepts(case["note"], case["vkeys"]) is (case["expect"] == "accept")
    if case["expect"] == "accept":
        body, lines = offline.split_note(case["note"])
        assert body == case["note"][: case["note"].rindex("\n\n") + 1]
        trusted = {offline.parse_vkey(vkey)[0]: vkey for vkey in case["vkeys"]}
        for name in case["verified_signers"]:
            assert offline.signed_by(case["note"], trusted[name]) is True
        named = [line.removeprefix("\u2014 ").split(" ")[0] for line in lines]
        assert set(case.get("unverified_signers", [])) <= set(named) - set(trusted)


@pytest.mark.requirement("A6")
@pytest.mark.parametrize("case", NOTE_CASES[:1] + SIGNED_CASES, ids=_case_id)
def test_offline_verifier_rejects_a_published_note_with_crlf_line_ends(case):
    note = case.get("note") or case["expected_signed_note"]
    crlf = note.replace("\n", "\r\n")
    with pytest.raises(offline.NoteError, match="carriage return"):
        offline.split_note(crlf)
    assert not _offline_accepts(crlf, case.get("vkeys", []))


@pytest.mark.requirement("A6")
@pytest.mark.parametrize("case", SIGNED_CASES, ids=_case_id)
def test_offline_verifier_accepts_the_published_deterministic_signature(case):
    name = case["skey"].split("+")[2]
    [vkey] = {v for c in NOTE_CASES for v in c["vkeys"] if v.startswith(name + "+")}
    assert offline.signed_by(case["expected_signed_note"], vkey) is True
    tampered = case["expected_signed_note"].replace("cryptography", "cryptographY", 1)
    with pytest.raises(offline.NoteError, match="does not verify"):
        offline.signed_by(tampered, vkey)


@pytest.mark.requirement("A6")
@pytest.mark.parametrize(
    "pair", NOTE_VECTORS["test_keypairs"]["pairs"], ids=lambda pair: pair["vkey"].split("+")[0]
)
def test_offline_verifier_reads_each_published_verifier_key(pair):
    name, key_id, key_type, _ = offline.parse_vkey(pair["vkey"])
    assert name == pair["vkey"].split("+")[0]
    assert key_id.hex() == pair["vkey"].split("+")[1]
    assert key_type == b"\x01"
    wrong_id = pair["vkey"].replace(pair["vkey"].split("+")[1], "00000000")
    with pytest.raises(offline.NoteError, match="key ID"):
        offline.parse_vkey(wrong_id)


@pytest.mark.requirement("A6")
@pytest.mark.parametrize("case", [c for c in NOTE_CASES if "checkpoint" in c], ids=_case_id)
def test_offline_verifier_reads_the_checkpoint_of_a_published_note(case):
    body, _ = offline.split_note(case["note"])
    expected = case["checkpoint"]
    assert offline.parse_checkpoint(body) == (
        expected["origin"],
        expected["size"],
        base64.b64decode(expected["root_hash_b64"]),
    )


def _with_sha256_root(text):
    """The published body with its (short, arbitrary) root replaced by a SHA-256-sized
    one, so that only what the case is about can make the verifier refuse it."""
    lines = text.split("\n")
    if len(lines) >= 3:
        lines[2] = SHA256_ROOT
    return "\n".join(lines)


@pytest.mark.requirement("A6")
@pytest.mark.parametrize(
    "case",
    NOTE_VECTORS["checkpoint_body_cases"]["invalid"],
    ids=lambda case: case["why"],
)
def test_offline_verifier_rejects_each_published_invalid_checkpoint(case):
    with pytest.raises(offline.NoteError):
        offline.parse_checkpoint(case["text"])
    if case["why"] != "root hash not base64":
        with pytest.raises(offline.NoteError):
            offline.parse_checkpoint(_with_sha256_root(case["text"]))


@pytest.mark.requirement("A6")
@pytest.mark.parametrize(
    "case", NOTE_VECTORS["checkpoint_body_cases"]["valid"], ids=lambda case: case["text"][:12]
)
def test_offline_verifier_reads_each_published_valid_checkpoint_with_a_sha256_root(case):
    origin, size, root = offline.parse_checkpoint(_with_sha256_root(case["text"]))
    assert origin == case.get("origin", origin)
    assert size == case.get("size", size)
    assert root == base64.b64decode(SHA256_ROOT)
    # This log's roots are SHA-256: the published short roots are refused as such.
    with pytest.raises(offline.NoteError, match="root hash"):
        offline.parse_checkpoint(case["text"])
