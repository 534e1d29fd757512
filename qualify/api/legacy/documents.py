"""Controlled documents with their past versions from a legacy DMS (Q1, T2, R2).

Columns, one row per version: number, title, doc_type (sop, wi, form, policy,
protocol, spec), owner (a document controller's or QA approver's user id), revision,
effective_from (an ISO time with its offset, or a local time with time_zone),
time_zone, file (its name in the --files folder or ZIP), change_summary,
review_interval_months.

A document's versions take effect one after the other: each ends where the next
begins (Q1, half-open intervals T2) and the last stays in force. Every version is
approved history with retraining required; it carries no signature of Qualify (it was
approved in the legacy system), and its change summary says where it came from: the
source system, file and row (R2). Files are checked by their content exactly as an
upload on the pages (qualify.documents.uploads: PDF, images, plain text or Markdown;
no markup, no active PDF content), and their SHA-256 is kept.

A document the installation already holds is skipped when the file lists the same
revisions, and refused when it lists others: later revisions go through review and
approval in Qualify.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from qualify.api.csv_import import Refused
from qualify.api.legacy.common import Outcome, Progress, store_report
from qualify.api.legacy.reading import attested_time, read_table
from qualify.audit import services as audit
from qualify.documents.models import Document, DocumentType, DocumentVersion, VersionStatus
from qualify.documents.numbering import unfit_for_address
from qualify.documents.queries import possible_owners
from qualify.documents.uploads import check_upload
from qualify.edge import whole_number
from qualify.guards import require_perm
from qualify.training.models import LegacyKind

COLUMNS = [
    "number",
    "title",
    "doc_type",
    "owner",
    "revision",
    "effective_from",
    "time_zone",
    "file",
    "change_summary",
    "review_interval_months",
]
REQUIRED = {"number", "title", "doc_type", "owner", "revision", "effective_from"}
TYPES = {t.value: t.value for t in DocumentType} | {t.label.lower(): t.value for t in DocumentType}


class _Files:
    """The version files: a folder or a ZIP archive, by name."""

    def __init__(self, where: str) -> None:
        self.folder: Path | None = None
        self.archive: zipfile.ZipFile | None = None
        if not where:
            return
        path = Path(where)
        if path.is_dir():
            self.folder = path
        elif zipfile.is_zipfile(path):
            self.archive = zipfile.ZipFile(path)
        else:
            raise Refused(f"--files {where!r} is neither a folder nor a ZIP archive.")

    def read(self, name: str) -> bytes | None:
        if self.folder is not None:
            target = (self.folder / name).resolve()
            if self.folder.resolve() not in target.parents or not target.is_file():
                return None
            return target.read_bytes()
        if self.archive is not None:
            try:
                return self.archive.read(name)
            except KeyError:
                return None
        return None


def _check(actor, table, files: _Files, now):
    owners = {u.username.lower(): u for u in possible_owners()}
    known = {
        d.number.lower(): {v.revision.lower() for v in d.versions.all()}
        for d in Document.objects.prefetch_related("versions")
    }
    documents: dict[str, dict] = {}
    refusals: list[tuple[int, str]] = []
    for line, row in table.rows:
        try:
            if "\x00" in row:
                raise ValueError("more values than there are columns.")
            number = row.get("number", "")
            if not number or len(number) > 40:
                raise ValueError("number: give the document number (at most 40 characters).")
            unfit = unfit_for_address(number)
            if unfit:
                raise ValueError(f"number: {unfit}")
            revision = row.get("revision", "")
            if not revision or len(revision) > 20:
                raise ValueError("revision: give the revision (at most 20 characters).")
            doc_type = TYPES.get(row.get("doc_type", "").lower())
            if doc_type is None:
                raise ValueError(
                    f"doc_type: {row.get('doc_type', '')[:20]!r} is not one of "
                    f"{', '.join(t.value for t in DocumentType)}."
                )
            owner = owners.get(row.get("owner", "").lower())
            if owner is None:
                raise ValueError(
                    f"owner: no document controller or QA approver {row.get('owner', '')!r}."
                )
            try:
                effective = attested_time(
                    row.get("effective_from", ""), row.get("time_zone", "")
                ).astimezone(dt.UTC)
            except ValueError as exc:
                raise ValueError(f"effective_from: {exc}") from None
            if effective > now:
                raise ValueError(
                    "effective_from: in the future; a version yet to take effect is approved "
                    "in Qualify."
                )
            interval = row.get("review_interval_months", "")
            if interval and not 1 <= (whole_number(interval) or 0) <= 120:
                raise ValueError("review_interval_months: a whole number from 1 to 120.")
            content, checked = b"", None
            name = row.get("file", "")
            if name:
                content = files.read(name)
                if content is None:
                    raise ValueError(f"file: {name!r} is not among the files given (--files).")
                upload = ContentFile(content, name=Path(name).name)
                try:
                    checked = check_upload(upload)
                except ValidationError as exc:
                    raise ValueError(f"file: {name}: {' '.join(exc.messages)}") from None
            key = number.lower()
            entry = documents.setdefault(
                key,
                {
                    "number": number,
                    "title": row.get("title", "")[:300],
                    "doc_type": doc_type,
                    "owner": owner,
                    "interval": int(interval) if interval else None,
                    "versions": [],
                    "lines": [],
                },
            )
            if any(v["revision"].lower() == revision.lower() for v in entry["versions"]):
                raise ValueError(f"revision: {number} revision {revision} is listed twice.")
            entry["lines"].append(line)
            entry["versions"].append(
                {
                    "line": line,
                    "revision": revision,
                    "effective_from": effective,
                    "content": content,
                    "checked": checked,
                    "summary": row.get("change_summary", ""),
                }
            )
        except ValueError as exc:
            refusals.append((line, str(exc)))
    ready, skipped = [], 0
    for key, entry in documents.items():
        entry["versions"].sort(key=lambda v: v["effective_from"])
        times = [v["effective_from"] for v in entry["versions"]]
        if len(set(times)) != len(times):
            for line in entry["lines"]:
                refusals.append((line, f"{entry['number']}: two versions take effect at once."))
            continue
        if key in known:
            listed = {v["revision"].lower() for v in entry["versions"]}
            if listed <= known[key]:
                skipped += len(entry["versions"])
                continue
            for line in entry["lines"]:
                refusals.append(
                    (
                        line,
                        f"number: {entry['number']} is already in Qualify; new revisions go "
                        "through review and approval there.",
                    )
                )
            continue
        ready.append(entry)
    return ready, refusals, skipped


def _write(actor, entry, outcome, table) -> int:
    now = timezone.now()
    document = Document.objects.create(
        number=entry["number"],
        title=entry["title"],
        doc_type=entry["doc_type"],
        owner=entry["owner"],
        created_at=now,
        review_interval_months=entry["interval"],
    )
    audit.record("document.created", document, actor=actor)
    versions = entry["versions"]
    for n, v in enumerate(versions, start=1):
        following = versions[n] if n < len(versions) else None
        marker = (
            f"Migrated from {outcome.source_system} ({table.name}, row {v['line']}, "
            f"file SHA-256 {table.sha256[:16]}…); approved in the legacy system"
        )
        version = DocumentVersion(
            document=document,
            revision=v["revision"],
            sequence=n,
            status=VersionStatus.APPROVED,
            change_summary=f"{v['summary']} ({marker})" if v["summary"] else marker,
            retraining_required=True,
            author=entry["owner"],
            created_at=now,
            approved_at=now,
            effective_from=v["effective_from"],
            effective_to=following["effective_from"] if following else None,
        )
        if v["checked"] is not None:
            version.file_sha256 = v["checked"].sha256
            if v["checked"].content_type.startswith("text/"):
                version.content_text = v["content"].decode("utf-8")
            version.file.save(v["checked"].name, ContentFile(v["content"]), save=False)
        version.save()
        version.baseline = version
        version.save(update_fields=["baseline"])
        audit.record(
            "document.version.approved",
            version,
            actor=actor,
            detail={
                "migrated_from": outcome.source_system,
                "file": table.name,
                "row": v["line"],
                "sha256": table.sha256,
            },
        )
    return len(versions)


def import_documents(
    *,
    actor: Any,
    path: str,
    source_system: str = "",
    dry_run: bool = False,
    all_or_nothing: bool = False,
    progress: Progress | None = None,
    encoding: str = "",
    files: str = "",
) -> Outcome:
    say = progress or (lambda message, **counts: None)
    outcome = Outcome(
        kind=LegacyKind.DOCUMENTS,
        source_system=source_system or "legacy DMS",
        dry_run=dry_run,
        all_or_nothing=all_or_nothing,
    )
    try:
        require_perm(
            actor,
            "documents.manage_documents",
            message="Only a document controller can import documents.",
        )
        table = read_table(path, columns=COLUMNS, required=REQUIRED, encoding=encoding)
        folder = _Files(files)
    except (Refused, PermissionDenied) as exc:
        outcome.problem = str(exc)
        return outcome
    outcome.file_name, outcome.sha256, outcome.encoding = table.name, table.sha256, table.encoding
    outcome.rows_read = len(table.rows)
    ready, refusals, outcome.skipped = _check(actor, table, folder, timezone.now())
    outcome.refusals.extend(refusals)
    outcome.created = sum(len(e["versions"]) for e in ready)
    if dry_run:
        return outcome
    with transaction.atomic():
        outcome.applied = outcome.writes
        if outcome.applied:
            for n, entry in enumerate(ready, start=1):
                _write(actor, entry, outcome, table)
                if n % 500 == 0:
                    say(f"wrote {n} of {len(ready)} documents", done=n, total=len(ready))
        store_report(outcome, actor=actor)
    return outcome
