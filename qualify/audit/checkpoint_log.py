"""The checkpoint log on disk (A6): every checkpoint, outside the database.

An append-only text file (settings.QUALIFY_CHECKPOINT_LOG, by default beside the
signing key) holding one C2SP signed note per entry, each entry followed by one empty
line. Its first entry is the key statement that pins the site's verifier key; a key
rotation appends a statement signed by the old and the new key. Each append is
fsync'd before the caller goes on, so a checkpoint that was signed survives a crash.

A database-write attacker cannot touch this file: a trail truncated or rewritten
behind the application is caught against it by `qualify audit verify`.

Parsing is strict (docs/audit-format.md): UTF-8, "\\n" line ends only (a carriage
return anywhere rejects the log), no empty line inside a note's text.
"""

import os
from pathlib import Path

from django.conf import settings

from qualify.audit import notes

SIGNATURE_PREFIX = notes.SIGNATURE_PREFIX


class LogError(ValueError):
    """The checkpoint log cannot be read as a sequence of notes."""


def log_path() -> Path:
    configured = getattr(settings, "QUALIFY_CHECKPOINT_LOG", "")
    if configured:
        return Path(configured)
    key = Path(settings.QUALIFY_SIGNING_KEY)
    return key.with_name("audit-checkpoints.log")


def append(note: str, path: Path | None = None) -> None:
    """Append one signed note and fsync it (and the directory when the file is new)."""
    if "\r" in note or not note.endswith("\n"):
        raise LogError("a note in the checkpoint log uses \\n line ends and ends with one")
    path = path or log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (note + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    if new:
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def split_notes(text: str) -> list[str]:
    """The notes of a checkpoint log's text, strictly."""
    if "\r" in text:
        raise LogError("the checkpoint log contains a carriage return (CRLF line ends?)")
    if not text:
        return []
    if not text.endswith("\n\n"):
        raise LogError("the checkpoint log does not end with a complete entry")
    found: list[str] = []
    lines = text[:-1].split("\n")
    position = 0
    while position < len(lines):
        start = position
        while position < len(lines) and lines[position]:
            if lines[position].startswith(SIGNATURE_PREFIX):
                raise LogError(f"line {position + 1}: a signature line inside a note's text")
            position += 1
        if position == start or position >= len(lines):
            raise LogError(f"line {start + 1}: an entry without text or without signatures")
        position += 1  # the empty line before the signatures
        signatures = position
        while position < len(lines) and lines[position]:
            if not lines[position].startswith(SIGNATURE_PREFIX):
                raise LogError(f"line {position + 1}: expected a signature line")
            position += 1
        if position == signatures or position >= len(lines):
            raise LogError(f"line {signatures + 1}: an entry without signatures")
        found.append("\n".join(lines[start:position]) + "\n")
        position += 1  # the empty line ending the entry
    return found


def read_notes(path: Path | None = None) -> list[str]:
    path = path or log_path()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LogError("the checkpoint log is not UTF-8") from exc
    return split_notes(text)


def _body(note: str) -> str:
    return note[: note.rfind("\n\n") + 1]


def trusted_verifiers(pinned: str, all_notes: list[str]) -> list[notes.Verifier]:
    """The pinned key and every key it handed over to, in order, by rotation statements
    (signed by the old and the new key) found in the log."""
    from qualify.audit.keys import parse_key_statement

    chain = [notes.parse_verifier_key(pinned)]
    for note in all_notes:
        statement = parse_key_statement(_body(note))
        if statement is None or statement[2] is None:
            continue
        _, new_vkey, previous = statement
        current = chain[-1]
        if previous != notes.verifier_key(current.name, current.public_key):
            continue
        try:
            new = notes.parse_verifier_key(new_vkey)
            _, _signers = notes.open_note(note, [current])
            notes.open_note(note, [new])
        except notes.NoteError:
            continue
        chain.append(new)
    return chain


def pinned_key(all_notes: list[str]) -> str | None:
    """The verifier key pinned by the log's first entry (its key statement), if any."""
    from qualify.audit.keys import parse_key_statement

    if not all_notes:
        return None
    statement = parse_key_statement(_body(all_notes[0]))
    if statement is None:
        return None
    try:
        notes.open_note(all_notes[0], [notes.parse_verifier_key(statement[1])])
    except notes.NoteError:
        return None
    return statement[1]
