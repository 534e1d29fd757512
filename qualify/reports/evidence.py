"""What every export carries (issue 13): the header, the audit checkpoint it rests on,
the audit event each fact cites and the inclusion proofs of those events, so that the
figures can be tied to the trail offline (A3).

The checkpoint: the latest signed one when it covers every event written before the
export started, else a new one is signed (qualify.audit.checkpoints.checkpoint_create,
which verifies the trail first). A fact cites the latest audit event of the record it
rests on; the proof shows that event is leaf seq-1 of the checkpoint's tree (RFC 6962).
A trail that does not verify gets no checkpoint: the header says so in words.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import logging
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max

from qualify.audit import checkpoints, merkle
from qualify.audit.models import AuditEvent, Checkpoint
from qualify.reports.registry import CITE, ReportRequest

log = logging.getLogger(__name__)
# Events that record a reading of the trail, not a change of a record.
READS = ("audit.checkpoint.signed", "report.exported", "report.export_failed")


def software_version() -> str:
    try:
        return importlib.metadata.version("qualify")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - source checkout
        return "unknown"


def iso_utc(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def local(value: dt.datetime | None, zone: str) -> str:
    """The local time with its zone named (T3): 2026-03-01 15:00 Europe/Dublin (GMT)."""
    if value is None:
        return ""
    here = value.astimezone(zoneinfo.ZoneInfo(zone or "UTC"))
    if (zone or "UTC") == "UTC":
        return f"{here:%Y-%m-%d %H:%M:%S} UTC"
    return f"{here:%Y-%m-%d %H:%M:%S} {zone} ({here.tzname()})"


def user_label(user: Any) -> str:
    if user is None:
        return "the system (command line)"
    name = getattr(user, "printed_name", "") or user.get_username()
    return f"{name} ({user.get_username()})"


@dataclass
class Header:
    report: str
    title: str
    parameters: dict[str, str]
    user: str
    generated_utc: str
    generated_local: str
    zone: str
    software_version: str
    checkpoint: Checkpoint | None
    checkpoint_note: str = ""  # why there is none, in words
    lines: list[tuple[str, str]] = field(default_factory=list)

    def pairs(self) -> list[tuple[str, str]]:
        """The header as (label, value) lines, the same in every format."""
        params = "; ".join(f"{k} = {v}" for k, v in self.parameters.items() if v) or "none"
        cp = self.checkpoint
        pairs = [
            ("Report", f"{self.title} [{self.report}]"),
            ("Parameters", params),
            ("Run by", self.user),
            ("Generated (UTC)", self.generated_utc),
            ("Generated (site time)", self.generated_local),
            ("Software version", f"Qualify {self.software_version}"),
        ]
        if cp is not None:
            pairs += [
                ("Audit checkpoint tree size", str(cp.tree_size)),
                ("Audit checkpoint root (SHA-256)", cp.root_hash),
                ("Audit checkpoint signed (UTC)", iso_utc(cp.signed_at)),
            ]
        else:
            pairs.append(("Audit checkpoint", self.checkpoint_note or "none"))
        return pairs + self.lines


def checkpoint_for_export() -> tuple[Checkpoint | None, str]:
    """A signed checkpoint covering every event written so far, and a note in words
    when there can be none."""
    latest = checkpoints.latest_checkpoint()
    # Signing a checkpoint appends its own event, which no checkpoint can cover, and
    # every export appends "report.exported": counting those as news made every export
    # sign a checkpoint again, verifying the whole trail each time. They change no
    # record a report reads, so the latest checkpoint serves while nothing else came
    # after it (an audit-trail report still lists them, beyond the checkpoint's size).
    if (
        latest is not None
        and not AuditEvent.objects.filter(seq__gt=latest.tree_size)
        .exclude(action__in=READS)
        .exists()
    ):
        return latest, ""
    try:
        return checkpoints.checkpoint_create(actor=None), ""
    except checkpoints.TrailBroken as exc:
        log.error("report export: the audit trail does not verify: %s", exc)
        return latest, (
            "the audit trail does not verify, so no new checkpoint was signed "
            f"({exc}); run `qualify audit verify`"
        )


def build_header(request: ReportRequest) -> Header:
    checkpoint, note = checkpoint_for_export()
    raw = {p.name: str(request.raw.get(p.name) or "") for p in request.report.params}
    if "at" in raw and not raw["at"]:
        raw["at"] = f"now ({iso_utc(request.generated_at)})"
    if "as_known_at" in raw and not raw["as_known_at"]:
        raw["as_known_at"] = "everything known now"
    return Header(
        report=request.report.name,
        title=request.report.title,
        parameters=raw,
        user=user_label(request.user),
        generated_utc=iso_utc(request.generated_at),
        generated_local=local(request.generated_at, request.zone),
        zone=request.zone,
        software_version=software_version(),
        checkpoint=checkpoint,
        checkpoint_note=note,
    )


class Citations:
    """The audit event each row cites, looked up a batch of rows at a time."""

    BATCH = 500

    def __init__(self, checkpoint: Checkpoint | None) -> None:
        self.size = checkpoint.tree_size if checkpoint is not None else 0
        self.cited: set[int] = set()

    def annotate(self, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= self.BATCH:
                yield from self._flush(batch)
                batch = []
        yield from self._flush(batch)

    def _flush(self, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        wanted: dict[str, set[str]] = {}
        for row in batch:
            cite = row.get(CITE)
            if cite:
                wanted.setdefault(cite[0], set()).add(str(cite[1]))
        found: dict[tuple[str, str], int] = {}
        for object_type, ids in wanted.items():
            for object_id, seq in (
                AuditEvent.objects.filter(object_type=object_type, object_id__in=ids)
                .values("object_id")
                .annotate(seq=Max("seq"))
                .values_list("object_id", "seq")
            ):
                found[(object_type, object_id)] = seq
        for row in batch:
            cite = row.get(CITE)
            seq = found.get((cite[0], str(cite[1]))) if cite else None
            row["audit_event"] = seq or ""
            if seq:
                self.cited.add(seq)
        return batch

    def proofs(self) -> Iterator[tuple[int, str, list[str]]]:
        """(seq, leaf hash, audit path) of each cited event in the checkpoint's tree;
        events written after the checkpoint have no proof in it and are left out."""
        inside = sorted(s for s in self.cited if s <= self.size)
        if not inside:
            return
        # One pass over the trail, then each proof in O(log² n): an export citing
        # thousands of events (the whole plant's compliance) must not rebuild the tree
        # per proof, as checkpoints.inclusion_proof_for does.
        leaves = checkpoints.leaf_hashes(self.size)
        tree = merkle.ProofTree(leaves)
        for seq in inside:
            yield seq, leaves[seq - 1].hex(), [node.hex() for node in tree.proof(seq - 1)]
