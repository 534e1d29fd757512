"""`qualify audit`: verify, checkpoint, export and prove the audit trail (A1, A3, A4).

    qualify audit verify [--checkpoint FILE]... [--key VERIFIER_KEY]
    qualify audit checkpoint [--out FILE] [--every SECONDS]
    qualify audit key
    qualify audit keygen [--origin NAME]
    qualify audit rotate-key --reason TEXT
    qualify audit baseline --reason TEXT
    qualify audit export [--from ISO] [--to ISO] [--object TYPE:ID] --format csv|jsonl [--out FILE]
    qualify audit export --format bundle --out FILE.zip
    qualify audit proof --seq N [--size M]
    qualify audit consistency --old M [--new N]

`verify` prints every problem and exits 1 when the trail is not intact. It does so by
raising ``CommandError(returncode=1)``: the command line turns that into exit status 1,
and ``call_command`` callers (tests) receive the exception, whose message names the
first bad place. Proofs and checkpoints are printed so that they can be checked offline
with the verifier key that `key` prints.
"""

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.db import transaction
from django.utils.dateparse import parse_date, parse_datetime

from qualify import spreadsheet
from qualify.audit import bundle, checkpoints, keys, notes
from qualify.audit.context import audit_context
from qualify.audit.models import AuditEvent, Checkpoint
from qualify.audit.services import record
from qualify.audit.verify import verify_trail
from qualify.progress import Bar, stream_of

EXPORT_COLUMNS = (
    "seq",
    "recorded_at",
    "actor_id",
    "actor_username",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "changes",
    "reason",
    "request_id",
    "record_hash",
    "detail",
    "chain_hash",
)


def _instant(text: str) -> dt.datetime:
    """ISO 8601 date or date-time; a time without an offset is taken as UTC."""
    value = parse_datetime(text)
    if value is None:
        day = parse_date(text)
        if day is None:
            raise CommandError(f"not an ISO 8601 date or time: {text!r}")
        value = dt.datetime.combine(day, dt.time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


class _HashingSink:
    """Writes text through to a file or the command's stdout, hashing what it writes,
    so the export event can name the SHA-256 of exactly what was exported."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.digest = hashlib.sha256()

    def write(self, text: str) -> None:
        self.digest.update(text.encode("utf-8"))
        if isinstance(self.target, OutputWrapper):
            self.target.write(text, ending="")
        else:
            self.target.write(text)


def _write_events(events: Any, fmt: str, sink: _HashingSink) -> tuple[int, Any, Any]:
    rows = 0
    first = last = None
    # Cells that would start a spreadsheet formula are escaped (qualify.spreadsheet).
    writer = spreadsheet.dict_writer(sink, EXPORT_COLUMNS) if fmt == "csv" else None
    if writer:
        writer.writeheader()
    for seq, entry, chain_hash in events.values_list("seq", "entry", "chain_hash").iterator(
        chunk_size=2000
    ):
        data = json.loads(entry)
        # Times come from the entry: already UTC ISO 8601 with a Z (T3).
        row = {name: data.get(name) for name in EXPORT_COLUMNS}
        row.update(recorded_at=data.get("at"), chain_hash=chain_hash)
        if writer:
            for name in ("changes", "detail"):
                row[name] = json.dumps(row[name], sort_keys=True, ensure_ascii=False)
            writer.writerow(row)
        else:
            sink.write(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n")
        rows += 1
        first = first or seq
        last = seq
    return rows, first, last


class Command(BaseCommand):
    help = "Verify, checkpoint, export and prove the audit trail."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="subcommand")

        verify = sub.add_parser("verify", help="check chain, tree, checkpoints and records")
        verify.add_argument(
            "--checkpoint",
            action="append",
            default=[],
            metavar="FILE",
            help="a signed checkpoint exported earlier (repeatable)",
        )
        verify.add_argument(
            "--key",
            metavar="VERIFIER_KEY",
            help="the pinned public key (name+id+key) to trust; no private key needed",
        )

        sub.add_parser(
            "access-verify", help="check the access log's chain and MACs (who opened what)"
        )

        checkpoint = sub.add_parser("checkpoint", help="sign and store a checkpoint")
        checkpoint.add_argument("--out", metavar="FILE", help="write the signed note here")
        checkpoint.add_argument(
            "--every",
            type=int,
            metavar="SECONDS",
            help="keep running: sign whenever new events exist, at this interval",
        )

        sub.add_parser("key", help="print the verifier key for offline checks")
        keygen = sub.add_parser("keygen", help="create the site key of a new installation")
        keygen.add_argument("--origin", help="checkpoint origin (default: unique per site)")
        rotate = sub.add_parser("rotate-key", help="replace the site key (audited)")
        rotate.add_argument("--reason", required=True)
        baseline = sub.add_parser(
            "baseline", help="record the security state of every user (after an upgrade)"
        )
        baseline.add_argument("--reason", required=True)

        export = sub.add_parser("export", help="export events as CSV or JSON lines")
        export.add_argument("--from", dest="start", metavar="ISO", help="events at or after")
        export.add_argument("--to", dest="end", metavar="ISO", help="events before")
        export.add_argument(
            "--object", dest="object_ref", metavar="TYPE:ID", help="only events about one record"
        )
        export.add_argument(
            "--format", dest="fmt", choices=["csv", "jsonl", "bundle"], required=True
        )
        export.add_argument("--out", metavar="FILE", help="write here instead of stdout")

        proof = sub.add_parser("proof", help="inclusion proof of one event, as JSON")
        proof.add_argument("--seq", type=int, required=True)
        proof.add_argument(
            "--size", type=int, help="tree size (default: the latest signed checkpoint's)"
        )

        consistency = sub.add_parser("consistency", help="consistency proof, as JSON")
        consistency.add_argument("--old", type=int, required=True)
        consistency.add_argument("--new", type=int, help="tree size (default: the whole trail)")

    def handle(self, *args, subcommand: str, **options):
        with audit_context(source="cli"):
            getattr(self, f"_{subcommand.replace('-', '_')}")(**options)

    # -- subcommands -----------------------------------------------------------------

    def _verify(self, *, checkpoint: list[str], key: str | None, **_: Any) -> None:
        texts = {}
        for name in checkpoint:
            try:
                texts[name] = Path(name).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"cannot read checkpoint {name}: {exc}") from exc
        if key is not None:
            try:
                notes.parse_verifier_key(key)
            except notes.NoteError as exc:
                raise CommandError(f"--key is not a verifier key: {exc}") from exc
        with Bar("audit verify", stream=stream_of(self)) as bar:
            report = verify_trail(texts, verifier_key=key, progress=bar.follow)
        for notice in report.notices:
            self.stdout.write(f"NOTE {notice}")
        for problem in report.problems:
            self.stdout.write(f"PROBLEM {problem}")
        self.stdout.write(report.summary())
        if not report.ok:
            raise CommandError(
                f"audit trail NOT intact; first problem: {report.problems[0]}", returncode=1
            )

    def _access_verify(self, **_: Any) -> None:
        from qualify.audit.access import verify_access_log
        from qualify.audit.models import AccessEvent

        problems = verify_access_log()
        for problem in problems:
            self.stdout.write(f"PROBLEM #{problem.seq}: {problem.message}")
        if problems:
            raise CommandError(f"access log NOT intact: {problems[0].message}", returncode=1)
        self.stdout.write(f"access log intact: {AccessEvent.objects.count()} openings")

    def _checkpoint(self, *, out: str | None, every: int | None, **_: Any) -> None:
        if every:
            self._checkpoint_every(every)
            return
        created = self._sign()
        if out:
            Path(out).write_text(created.note, encoding="utf-8")
            self.stderr.write(f"checkpoint of {created.tree_size} events written to {out}")
        else:
            self.stdout.write(created.note, ending="")

    def _sign(self) -> Checkpoint:
        try:
            return checkpoints.checkpoint_create(actor=None)
        except checkpoints.TrailBroken as exc:
            raise CommandError(f"refusing to sign a broken trail: {exc}", returncode=1) from exc
        except keys.SigningKeyMissing as exc:
            raise CommandError(str(exc)) from exc

    def _checkpoint_every(self, every: int) -> None:
        """A checkpoint whenever events arrived, every ``every`` seconds, as `qualify
        worker` signs them (for sites that run no worker); never of a broken trail."""
        import threading

        checkpoints.sign_periodically(
            every,
            threading.Event(),
            on_signed=lambda c: self.stderr.write(f"checkpoint of {c.tree_size} events signed"),
        )

    def _key(self, **_: Any) -> None:
        try:
            self.stdout.write(keys.verifier_key_text())
        except keys.SigningKeyMissing as exc:
            raise CommandError(str(exc)) from exc

    def _keygen(self, *, origin: str | None, **_: Any) -> None:
        try:
            text = keys.key_create(origin=origin)
        except FileExistsError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(
            f"site key written to {keys.key_path()}; pin this verifier key in the"
            " configuration (QUALIFY_VERIFIER_KEY) and give it to your inspectors:"
        )
        self.stdout.write(text)

    def _rotate_key(self, *, reason: str, **_: Any) -> None:
        if not reason.strip():
            raise CommandError("a reason is required to rotate the key")
        try:
            old, new, statement = keys.key_rotate()
        except keys.SigningKeyMissing as exc:
            raise CommandError(str(exc)) from exc
        with transaction.atomic():
            record(
                "audit.key.rotated",
                object_type="audit.key",
                object_id=new.split("+")[1],
                actor=None,
                reason=reason,
                detail={"old_key": old, "new_key": new, "statement": statement},
            )
        self.stderr.write("key rotated; pin the new verifier key (QUALIFY_VERIFIER_KEY):")
        self.stdout.write(new)

    def _baseline(self, *, reason: str, **_: Any) -> None:
        from qualify.audit.services import baseline_security_state

        count = baseline_security_state(reason=reason)
        self.stderr.write(f"security state of {count} record(s) recorded")

    def _export(
        self,
        *,
        start: str | None,
        end: str | None,
        object_ref: str | None,
        fmt: str,
        out: str | None,
        **_: Any,
    ) -> None:
        if fmt == "bundle":
            self._bundle(out, start, end, object_ref)
            return
        events = AuditEvent.objects.order_by("seq")
        if start:
            events = events.filter(recorded_at__gte=_instant(start))
        if end:
            events = events.filter(recorded_at__lt=_instant(end))
        if object_ref:
            object_type, colon, object_id = object_ref.partition(":")
            if not (colon and object_type and object_id):
                raise CommandError("--object must be TYPE:ID, e.g. accounts.user:7")
            events = events.filter(object_type=object_type.lower(), object_id=object_id)

        # Every export signs a checkpoint first (A6), unless the trail does not verify:
        # then the events are still exported, for the investigation, but nothing is signed.
        signed = self._sign_for_export()
        handle = open(out, "w", encoding="utf-8", newline="") if out else None  # noqa: SIM115
        sink = _HashingSink(handle or self.stdout)
        try:
            rows, first, last = _write_events(events, fmt, sink)
        finally:
            if handle:
                handle.close()
        with transaction.atomic():
            record(
                "audit.exported",
                object_type="audit.trail",
                object_id="export",
                actor=None,
                detail={
                    "format": fmt,
                    "from": start,
                    "to": end,
                    "object": object_ref,
                    "rows": rows,
                    "first_seq": first,
                    "last_seq": last,
                    "sha256": sink.digest.hexdigest(),
                    "checkpoint": signed.tree_size if signed else None,
                },
            )
        if out:
            self.stderr.write(f"{rows} event(s) written to {out}")

    def _sign_for_export(self) -> Checkpoint | None:
        try:
            return checkpoints.checkpoint_create(actor=None)
        except checkpoints.TrailBroken as exc:
            self.stderr.write(
                "WARNING the audit trail does not verify, so no checkpoint was signed for"
                f" this export; run `qualify audit verify`. First problem: {exc.problems[0]}"
            )
        except keys.SigningKeyMissing as exc:
            raise CommandError(str(exc)) from exc
        return None

    def _bundle(self, out: str | None, start: Any, end: Any, object_ref: Any) -> None:
        if not out:
            raise CommandError("a bundle is a ZIP file: name it with --out FILE.zip")
        if start or end or object_ref:
            raise CommandError(
                "a bundle holds the whole trail up to a new checkpoint, so that it can be"
                " verified offline; filter a CSV or JSON lines export instead"
            )
        checkpoint = self._sign()
        manifest = bundle.write_bundle(Path(out), checkpoint)
        with transaction.atomic():
            record(
                "audit.exported",
                object_type="audit.trail",
                object_id="export",
                actor=None,
                detail={
                    "format": "bundle",
                    "rows": checkpoint.tree_size,
                    "first_seq": 1 if checkpoint.tree_size else None,
                    "last_seq": checkpoint.tree_size,
                    "sha256": hashlib.sha256(Path(out).read_bytes()).hexdigest(),
                    "files": manifest["files"],
                },
            )
        self.stderr.write(f"bundle of {checkpoint.tree_size} event(s) written to {out}")

    def _proof(self, *, seq: int, size: int | None, **_: Any) -> None:
        if size is None:
            latest = checkpoints.latest_checkpoint()
            if latest is None or latest.tree_size < seq:
                raise CommandError(
                    f"no signed checkpoint covers event #{seq} yet: sign one"
                    " (`qualify audit checkpoint`) or give --size"
                )
            size = latest.tree_size
        try:
            leaves = checkpoints.leaf_hashes(size)
            proof = checkpoints.inclusion_proof_for(seq, leaves=leaves)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        tree_size = len(leaves)
        self._print_json(
            {
                "seq": seq,
                "leaf_index": seq - 1,
                "tree_size": tree_size,
                "leaf_hash": leaves[seq - 1].hex(),
                "root_hash": checkpoints.root_at(leaves=leaves),
                "proof": proof,
                "checkpoint": self._stored_note(tree_size),
            }
        )

    def _consistency(self, *, old: int, new: int | None, **_: Any) -> None:
        try:
            leaves = checkpoints.leaf_hashes(new)
            proof = checkpoints.consistency_proof_between(old, leaves=leaves)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self._print_json(
            {
                "old_size": old,
                "new_size": len(leaves),
                "old_root": checkpoints.root_at(leaves=leaves[:old]),
                "new_root": checkpoints.root_at(leaves=leaves),
                "proof": proof,
                "old_checkpoint": self._stored_note(old),
                "new_checkpoint": self._stored_note(len(leaves)),
            }
        )

    # -- helpers ---------------------------------------------------------------------

    def _stored_note(self, tree_size: int) -> str | None:
        found = Checkpoint.objects.filter(tree_size=tree_size).first()
        return found.note if found else None

    def _print_json(self, value: dict) -> None:
        self.stdout.write(json.dumps(value, indent=2))
