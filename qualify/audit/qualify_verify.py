#!/usr/bin/env python3
"""qualify-verify: check a Qualify audit export offline, with no database and no Django.

One file, Python 3.11+ standard library plus `cryptography`. It is shipped in the
Qualify package and embedded in every audit export bundle, so an inspector can run it
on a machine where Qualify is not installed:

    python3 qualify-verify.py BUNDLE.zip --key VERIFIER_KEY [--witness WITNESS_KEY]...
    python3 qualify-verify.py --events EXPORT.jsonl --checkpoint FILE [--log FILE] --key VKEY
    python3 qualify-verify.py ... --proof PROOF.json          (from `qualify audit proof`)

It recomputes every leaf hash from the exact entry bytes, the hash chain and the RFC 6962
tree; checks that format 2 entries are RFC 8785 canonical JSON; checks each checkpoint's
signature (by the key given, or a key it rotated to by a statement in the checkpoint log
signed by both), the witnesses' cosignatures, and inclusion and consistency proofs; and
prints a verdict. Exit status 0: verified; 1: not verified; 2: the input cannot be read.

It cannot check event MACs (their key stays on the application host): events after the
newest checkpoint are therefore reported as not covered. The format is defined in
docs/audit-format.md; this file follows it and nothing else.
"""

import argparse
import base64
import contextlib
import hashlib
import json
import math
import struct
import sys
import zipfile
from decimal import Decimal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

EM_DASH = "\u2014 "

# -- RFC 8785 JSON Canonicalization Scheme (inlined: strings, numbers, key order) ------


def _jcs_number(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if abs(value) > 2**53 - 1:
            raise ValueError("integer outside the I-JSON range")
        return str(value)
    if math.isnan(value) or math.isinf(value):
        raise ValueError("NaN and infinity have no JSON form")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    value = abs(value)
    digits_tuple = Decimal(repr(value)).as_tuple()
    digits = "".join(map(str, digits_tuple.digits)).rstrip("0") or "0"
    stripped = len("".join(map(str, digits_tuple.digits))) - len(digits)
    k = len(digits)
    n = k + digits_tuple.exponent + stripped
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        exponent = n - 1
        mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
        text = f"{mantissa}e{'+' if exponent >= 0 else '-'}{abs(exponent)}"
    return sign + text


def _utf16_key(text):
    return text.encode("utf-16-be")


def jcs(value):
    """RFC 8785 canonical JSON text of a parsed JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool | int | float):
        return _jcs_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(jcs(item) for item in value) + "]"
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda item: _utf16_key(item[0]))
        return (
            "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + jcs(v) for k, v in items) + "}"
        )
    raise ValueError(f"{type(value).__name__} is not JSON")


# -- RFC 6962 tree ------------------------------------------------------------------------


def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def roots_at(leaves, sizes):
    """{size: root} for the wanted sizes, one streaming pass (a stack of subtrees)."""
    wanted = set(sizes)
    found = {}
    if 0 in wanted:
        found[0] = hashlib.sha256(b"").digest()
    stack = []  # (height, hash)
    for count, leaf in enumerate(leaves, 1):
        height, node = 0, leaf
        while stack and stack[-1][0] == height:
            node = node_hash(stack.pop()[1], node)
            height += 1
        stack.append((height, node))
        if count in wanted:
            root = stack[-1][1]
            for _, left in reversed(stack[:-1]):
                root = node_hash(left, root)
            found[count] = root
    return found


def verify_inclusion(index, size, leaf, proof, root):
    if not 0 <= index < size or len(leaf) != 32 or len(root) != 32:
        return False
    if any(len(node) != 32 for node in proof):
        return False
    fn, sn, computed = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            computed = node_hash(sibling, computed)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            computed = node_hash(computed, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and computed == root


def verify_consistency(old_size, new_size, old_root, new_root, proof):
    if not 0 < old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    old_c = new_c = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            old_c = node_hash(node, old_c)
            new_c = node_hash(node, new_c)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            new_c = node_hash(new_c, node)
        fn >>= 1
        sn >>= 1
    return sn == 0 and old_c == old_root and new_c == new_root


# -- C2SP signed notes, checkpoints, cosignatures -----------------------------------------


class NoteError(ValueError):
    pass


def _b64(text):
    try:
        data = base64.b64decode(text, validate=True)
    except ValueError:
        return None
    return data if base64.b64encode(data).decode() == text else None


def parse_vkey(text):
    """(name, key ID, key type, public key) of a verifier key (0x01) or witness key (0x04)."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise NoteError(f"not a verifier key: {text!r}")
    name, hex_id, encoded = parts
    raw = _b64(encoded)
    if raw is None or len(raw) != 33 or raw[:1] not in (b"\x01", b"\x04"):
        raise NoteError(f"not an Ed25519 verifier key: {text!r}")
    key_id = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    if key_id.hex() != hex_id.lower():
        raise NoteError(f"key ID of {name!r} does not match its key")
    return name, key_id, raw[:1], Ed25519PublicKey.from_public_bytes(raw[1:])


def split_note(text):
    """(body, signature lines); strict: UTF-8 text, \\n line ends only."""
    if "\r" in text:
        raise NoteError("note contains a carriage return")
    split = text.rfind("\n\n")
    if split < 0 or not text.endswith("\n"):
        raise NoteError("note has no signature block")
    body, block = text[: split + 1], text[split + 2 : -1]
    lines = block.split("\n")
    if not all(line.startswith(EM_DASH) for line in lines):
        raise NoteError("malformed signature line")
    return body, lines


def signed_by(text, vkey):
    """True when the note carries a valid signature by vkey (type 0x01)."""
    name, key_id, _, public_key = parse_vkey(vkey)
    body, lines = split_note(text)
    for line in lines:
        who, _, encoded = line[len(EM_DASH) :].partition(" ")
        blob = _b64(encoded)
        if who != name or blob is None or blob[:4] != key_id:
            continue
        try:
            public_key.verify(blob[4:], body.encode("utf-8"))
            return True
        except InvalidSignature:
            raise NoteError(f"signature by {name!r} does not verify") from None
    return False


def cosigned_by(text, witness_vkey):
    """The cosignature time when the note carries witness_vkey's valid cosignature."""
    name, key_id, _, public_key = parse_vkey(witness_vkey)
    body, lines = split_note(text)
    for line in lines:
        who, _, encoded = line[len(EM_DASH) :].partition(" ")
        blob = _b64(encoded)
        if who != name or blob is None or len(blob) != 76 or blob[:4] != key_id:
            continue
        (timestamp,) = struct.unpack(">Q", blob[4:12])
        message = f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode("utf-8")
        try:
            public_key.verify(blob[12:], message)
            return timestamp
        except InvalidSignature:
            raise NoteError(f"cosignature by {name!r} does not verify") from None
    return None


def parse_checkpoint(body):
    """(origin, size, root) of checkpoint text (C2SP tlog-checkpoint, SHA-256 roots)."""
    if not body.endswith("\n"):
        raise NoteError("a checkpoint ends with a newline")
    lines = body[:-1].split("\n")
    if len(lines) < 3 or not all(lines):
        raise NoteError("a checkpoint has origin, size and root lines")
    size = lines[1]
    if not (size.isascii() and size.isdigit()) or (size != "0" and size.startswith("0")):
        raise NoteError("malformed tree size")
    if int(size) >= 2**64:
        raise NoteError("tree size exceeds 64 bits")
    root = _b64(lines[2])
    if root is None or len(root) != 32:
        raise NoteError("malformed root hash")
    return lines[0], int(lines[1]), root


def split_log(text):
    """The notes of a checkpoint log: each note followed by one empty line."""
    if "\r" in text:
        raise NoteError("the checkpoint log contains a carriage return")
    if not text:
        return []
    if not text.endswith("\n\n"):
        raise NoteError("the checkpoint log ends in the middle of an entry")
    found, current, in_signatures = [], [], False
    for line in text[:-1].split("\n"):
        if not line:
            if in_signatures:
                found.append("\n".join(current) + "\n")
                current, in_signatures = [], False
            elif current:
                current.append("")
                in_signatures = True
            else:
                raise NoteError("empty entry in the checkpoint log")
            continue
        current.append(line)
    if current:
        raise NoteError("the checkpoint log ends in the middle of an entry")
    return found


KEY_STATEMENT = "qualify-audit-key/v1"


def trusted_keys(pinned, log_notes):
    """The pinned key and the keys it rotated to, by statements signed by old and new."""
    chain = [pinned]
    for note in log_notes:
        body, _ = split_note(note)
        lines = body[:-1].split("\n")
        if len(lines) != 4 or lines[0] != KEY_STATEMENT:
            continue
        new, previous = lines[2].removeprefix("key "), lines[3].removeprefix("previous ")
        if previous != chain[-1]:
            continue
        try:
            if signed_by(note, chain[-1]) and signed_by(note, new):
                chain.append(new)
        except NoteError:
            continue
    return chain


# -- the verification ---------------------------------------------------------------------


class Verdict:
    def __init__(self):
        self.problems, self.facts = [], []

    def bad(self, message):
        self.problems.append(message)

    def fact(self, message):
        self.facts.append(message)


def check_events(lines, verdict):
    """Leaves of the exported events, checking sequence, entries, chain and MAC presence."""
    leaves, chain = [], bytes(32)
    macs_seen = False
    for number, line in enumerate(lines, 1):
        try:
            row = json.loads(line)
            seq, entry = row["seq"], row["entry"]
        except (ValueError, KeyError, TypeError):
            verdict.bad(f"line {number} of the events is not an exported event")
            return leaves
        if seq != len(leaves) + 1:
            verdict.bad(f"event #{len(leaves) + 1} is missing (next line is #{seq})")
            return leaves
        data = entry.encode("utf-8")
        try:
            parsed = json.loads(entry)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict) or parsed.get("seq") != seq:
            verdict.bad(f"event #{seq}: entry is not this event's JSON object")
        elif parsed.get("v") == 2 and jcs(parsed) != entry:
            verdict.bad(f"event #{seq}: format 2 entry is not RFC 8785 canonical JSON")
        has_mac = bool(row.get("mac"))
        if parsed and (parsed.get("v") == 2) != has_mac:
            verdict.bad(
                f"event #{seq}: format {parsed.get('v', 1)} with{'' if has_mac else 'out'} a MAC"
            )
        if macs_seen and not has_mac:
            verdict.bad(f"event #{seq}: no MAC after events that have one")
        macs_seen = macs_seen or has_mac
        leaf = leaf_hash(data)
        chain = hashlib.sha256(chain + leaf).digest()
        if row.get("chain_hash") is not None and row["chain_hash"] != chain.hex():
            verdict.bad(f"event #{seq}: chain hash does not match its entry and the event before")
            with contextlib.suppress(ValueError):
                chain = bytes.fromhex(row["chain_hash"])
        leaves.append(leaf)
    return leaves


def verify(events_text, checkpoint_texts, log_text, pinned, witnesses, proofs):
    verdict = Verdict()
    lines = [line for line in events_text.split("\n") if line.strip()]
    leaves = check_events(lines, verdict)
    size = len(leaves)
    try:
        log_notes = split_log(log_text or "")
    except NoteError as exc:
        verdict.bad(f"checkpoint log: {exc}")
        log_notes = []
    try:
        keys = trusted_keys(pinned, log_notes)
        origin = parse_vkey(pinned)[0]
    except NoteError as exc:
        verdict.bad(f"verifier key: {exc}")
        return verdict, size
    if len(keys) > 1:
        verdict.fact(
            f"the key was rotated {len(keys) - 1} time(s); each rotation signed by both keys"
        )
    candidates = list(checkpoint_texts)
    candidates += [(f"checkpoint log entry {i}", n) for i, n in enumerate(log_notes, 1)]
    claims = []
    for label, text in candidates:
        try:
            body, _ = split_note(text)
            if body.startswith(KEY_STATEMENT + "\n"):
                continue
            if not any(signed_by(text, key) for key in keys):
                verdict.bad(f"{label}: not signed by the verifier key")
                continue
            claim_origin, claim_size, root = parse_checkpoint(body)
        except NoteError as exc:
            verdict.bad(f"{label}: {exc}")
            continue
        if claim_origin != origin:
            verdict.bad(f"{label}: origin {claim_origin!r} is not the key's ({origin!r})")
            continue
        claims.append((label, claim_size, root, text))
        for witness in witnesses:
            try:
                when = cosigned_by(text, witness)
            except NoteError as exc:
                verdict.bad(f"{label}: {exc}")
                continue
            if when is not None:
                verdict.fact(f"{label}: cosigned by witness {parse_vkey(witness)[0]} at {when}")
    roots = roots_at(leaves, [c[1] for c in claims if c[1] <= size])
    covered = 0
    for label, claim_size, root, _ in claims:
        if claim_size > size:
            verdict.bad(
                f"{label}: signed for {claim_size} events but the export has {size}:"
                f" events removed, first missing #{size + 1}"
            )
        elif roots.get(claim_size) != root:
            verdict.bad(
                f"{label}: the tree of the first {claim_size} events differs from the signed root"
            )
        else:
            covered = max(covered, claim_size)
    if not claims:
        verdict.bad("no checkpoint signed by the verifier key: nothing vouches for these events")
    elif covered < size:
        verdict.bad(
            f"events #{covered + 1}..#{size} are not covered by a signed checkpoint (they"
            " can be vouched for only on the application host, by their MACs)"
        )
    for label, proof in proofs:
        check_proof(label, proof, leaves, claims, verdict)
    verdict.fact(f"{size} events, {len(claims)} signed checkpoint(s), covered up to #{covered}")
    return verdict, size


def check_proof(label, proof, leaves, claims, verdict):
    hexes = lambda items: [bytes.fromhex(item) for item in items]  # noqa: E731
    try:
        if "leaf_index" in proof:
            root = bytes.fromhex(proof["root_hash"])
            ok = verify_inclusion(
                proof["leaf_index"],
                proof["tree_size"],
                bytes.fromhex(proof["leaf_hash"]),
                hexes(proof["proof"]),
                root,
            )
            signed = any(c[1] == proof["tree_size"] and c[2] == root for c in claims)
            index = proof["leaf_index"]
            if index < len(leaves) and leaves[index].hex() != proof["leaf_hash"]:
                ok = False
        else:
            ok = verify_consistency(
                proof["old_size"],
                proof["new_size"],
                bytes.fromhex(proof["old_root"]),
                bytes.fromhex(proof["new_root"]),
                hexes(proof["proof"]),
            )
            signed = any(
                c[1] == proof["new_size"] and c[2].hex() == proof["new_root"] for c in claims
            )
    except (KeyError, TypeError, ValueError):
        verdict.bad(f"{label}: not a proof exported by `qualify audit proof` or `consistency`")
        return
    if not ok:
        verdict.bad(f"{label}: the proof does not verify")
    elif not signed:
        verdict.bad(f"{label}: the proof verifies but its root is not a signed checkpoint's")
    else:
        verdict.fact(f"{label}: proof verified against a signed checkpoint")


def _read_bundle(path):
    with zipfile.ZipFile(path) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
        files = {}
        for name, digest in manifest["files"].items():
            data = bundle.read(name)
            if hashlib.sha256(data).hexdigest() != digest:
                raise NoteError(f"{name} in the bundle does not match its manifest hash")
            files[name] = data.decode("utf-8")
    return manifest, files


def main(argv=None):
    parser = argparse.ArgumentParser(prog="qualify-verify", description=__doc__.split("\n")[0])
    parser.add_argument("bundle", nargs="?", help="an audit export bundle (ZIP)")
    parser.add_argument("--events", help="events exported as JSON lines")
    parser.add_argument("--checkpoint", action="append", default=[], help="a signed checkpoint")
    parser.add_argument("--log", help="the checkpoint log")
    parser.add_argument("--key", help="the verifier key you were given (name+id+key)")
    parser.add_argument("--witness", action="append", default=[], help="a witness's key")
    parser.add_argument("--proof", action="append", default=[], help="a proof (JSON)")
    args = parser.parse_args(argv)
    try:
        checkpoints, log_text, events_text, pinned = [], "", "", args.key
        if args.bundle:
            manifest, files = _read_bundle(args.bundle)
            events_text = files[manifest["events"]]
            checkpoints.append((f"bundle {manifest['checkpoint']}", files[manifest["checkpoint"]]))
            log_text = files.get(manifest.get("checkpoint_log") or "", "")
            if not pinned:
                pinned = files[manifest["verifier_key"]].strip()
                print(
                    "NOTE no --key given: using the key inside the bundle; compare it with"
                    " the key the site gave you"
                )
        if args.events:
            with open(args.events, encoding="utf-8", newline="") as handle:
                events_text = handle.read()
        for name in args.checkpoint:
            with open(name, encoding="utf-8", newline="") as handle:
                checkpoints.append((name, handle.read()))
        if args.log:
            with open(args.log, encoding="utf-8", newline="") as handle:
                log_text = handle.read()
        proofs = []
        for name in args.proof:
            with open(name, encoding="utf-8") as handle:
                proofs.append((name, json.load(handle)))
        if not pinned:
            parser.error("give the verifier key (--key) or a bundle")
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        print(f"ERROR cannot read the input: {exc}", file=sys.stderr)
        return 2
    verdict, _ = verify(events_text, checkpoints, log_text, pinned, args.witness, proofs)
    for fact in verdict.facts:
        print(f"OK {fact}")
    for problem in verdict.problems:
        print(f"PROBLEM {problem}")
    print(
        "VERIFIED" if not verdict.problems else f"NOT VERIFIED: {len(verdict.problems)} problem(s)"
    )
    return 0 if not verdict.problems else 1


if __name__ == "__main__":
    sys.exit(main())
