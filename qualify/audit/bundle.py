"""The audit export bundle (A6): a ZIP an inspector verifies offline.

Files: ``events.jsonl`` (every event up to the checkpoint: seq, exact entry, chain hash,
MAC), ``checkpoint.txt`` (the signed checkpoint made for this export, with witnesses'
cosignatures), ``checkpoint-log.txt`` (the checkpoint log on disk, with the key
statements that pin and rotate the key), ``verifier-key.txt``, ``qualify-verify.py``
(the offline verifier) and ``manifest.json`` naming the checkpoint the bundle rests on
and the SHA-256 of every other file.
"""

import hashlib
import json
import zipfile
from pathlib import Path

from django.db import connections

from qualify.audit import checkpoint_log, keys
from qualify.audit.models import Checkpoint, Cosignature

VERIFIER = Path(__file__).with_name("qualify_verify.py")
FORMAT = "qualify-audit-bundle/1"


def events_jsonl(tree_size: int, *, using: str = "default") -> str:
    parts = []
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT seq, entry, chain_hash, mac FROM audit_event WHERE seq <= %s ORDER BY seq",
            [tree_size],
        )
        while rows := cursor.fetchmany(10_000):
            for seq, entry, chain_hash, mac in rows:
                row = {"seq": seq, "entry": entry, "chain_hash": chain_hash, "mac": mac}
                parts.append(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    return "".join(parts)


def cosigned_note(checkpoint: Checkpoint) -> str:
    lines = Cosignature.objects.filter(checkpoint=checkpoint).values_list("line", flat=True)
    return checkpoint.note + "".join(line + "\n" for line in lines)


def write_bundle(path: Path, checkpoint: Checkpoint) -> dict:
    log = checkpoint_log.log_path()
    files = {
        "events.jsonl": events_jsonl(checkpoint.tree_size),
        "checkpoint.txt": cosigned_note(checkpoint),
        "checkpoint-log.txt": log.read_text(encoding="utf-8") if log.exists() else "",
        "verifier-key.txt": keys.verifier_key_text() + "\n",
        "qualify-verify.py": VERIFIER.read_text(encoding="utf-8"),
    }
    manifest = {
        "format": FORMAT,
        "origin": keys.key_name(),
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "events": "events.jsonl",
        "checkpoint": "checkpoint.txt",
        "checkpoint_log": "checkpoint-log.txt",
        "verifier_key": "verifier-key.txt",
        "verifier": "qualify-verify.py",
        "files": {
            name: hashlib.sha256(text.encode("utf-8")).hexdigest() for name, text in files.items()
        },
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, text in files.items():
            bundle.writestr(name, text.encode("utf-8"))
        bundle.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest
