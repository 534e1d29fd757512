"""Writes of the content app: unpacking a package version, attempts, SCORM commits,
and the learner's signature on completion (issue 15).

Hazards:
- Unpacking writes files outside the database transaction. It happens when the draft's
  file is stored (documents.events.version_file_stored), into a folder named by the
  version id and replaced whole, so a rolled-back draft leaves at most a folder that
  the next unpack of that id replaces; nothing reads a folder without its row.
- A commit is kept as received (RuntimeCommit, accepted or refused) before anything
  else, so a refused or stale commit loses nothing. Stale commits (a lower
  capture time than one already applied: an offline replay arriving late) are kept
  but do not overwrite newer data.
- The learner signs outside any transaction (signatures.authenticate_signer), so the
  attempt is re-read and locked inside the training service's transaction (`bind`).
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from qualify.audit import services as audit
from qualify.audit.canonical import sha256_hex
from qualify.content import archive, runtime
from qualify.content.manifest import CMI5, Item, Manifest, PackageError
from qualify.content.models import (
    Attempt,
    AttemptStatus,
    ContentPackage,
    RuntimeCommit,
    ScoState,
)
from qualify.documents.models import DocumentType, DocumentVersion
from qualify.guards import AlreadyDone
from qualify.signatures.services import Credentials
from qualify.training.models import Assignment, AssignmentStatus, Method
from qualify.training.services.paths import check_prerequisites
from qualify.training.services.records import elearning_version, record_elearning

CENT = Decimal("0.01")


# --- packages -------------------------------------------------------------------------


def package_folder(version: DocumentVersion) -> Path:
    return Path(settings.MEDIA_ROOT) / "content" / f"v{version.pk}"


def check_package(upload: Any) -> None:
    """The check documents.uploads runs on a package ZIP (registered in apps.py)."""
    try:
        archive.inspect(upload)
    except PackageError as error:
        raise ValidationError(error.problems) from None


def on_version_file_stored(*, actor: Any, version: DocumentVersion) -> None:
    """Hook: a draft's file was stored; unpack a package and describe it."""
    if version.document.doc_type != DocumentType.CONTENT_PACKAGE:
        return
    existing = ContentPackage.objects.filter(version=version).first()
    if not version.file:
        # A draft's file removed: its description stays until a new file replaces it;
        # nothing launches a version without its file (attempt_open).
        return
    target = package_folder(version)
    with version.file.open("rb") as handle:
        try:
            manifest = archive.unpack(handle, target)
        except PackageError as error:
            raise ValidationError({"file": error.problems}) from None
    before = audit.state_of(existing) if existing is not None else None
    package = existing or ContentPackage(version=version)
    package.kind = manifest.kind
    package.edition = manifest.edition
    package.title = manifest.title[:300]
    package.manifest = manifest.as_json()
    package.folder = target.relative_to(Path(settings.MEDIA_ROOT)).as_posix()
    package.zip_sha256 = version.file_sha256
    package.unpacked_at = timezone.now()
    package.full_clean()
    package.save()
    audit.record(
        "content.package.unpacked",
        package,
        actor=actor,
        before=before,
        reason="The draft's package file was replaced" if before is not None else "",
        detail={"items": len(manifest.items), "warnings": manifest.warnings},
    )


def manifest_of(package: ContentPackage) -> Manifest:
    return Manifest.from_json(package.manifest)


def item_of(package: ContentPackage, identifier: str) -> Item:
    for item in manifest_of(package).items:
        if item.identifier == identifier:
            return item
    raise ValidationError({"item": f"The package has no item {identifier!r}."})


# --- attempts -------------------------------------------------------------------------


def _learner_of(attempt: Attempt, actor: Any) -> None:
    if actor is None or attempt.person.user_id != getattr(actor, "pk", None):
        raise PermissionDenied("Only the learner plays and commits their own attempt.")


def attempt_open(*, actor: Any, assignment: Assignment) -> Attempt:
    """The learner opens (or resumes) their attempt on the package version their
    assignment is due on. A new package version retrains like a revised SOP: the
    assignment then names the new version and a new attempt starts on it.

    L4 (P72): opening is starting (or resuming) the item; a locked item (its
    prerequisite not complete and valid now) is refused by the one prerequisite
    check, audited, before the transaction opens so that the refusal's event survives.
    Its completion is checked again when the learner signs."""
    assignment = Assignment.objects.select_related("person", "requirement").get(pk=assignment.pk)
    person = assignment.person
    if (
        actor is not None
        and person.user_id == actor.pk
        and assignment.status == AssignmentStatus.OPEN
    ):
        check_prerequisites(actor=actor, person=person, requirement=assignment.requirement)
    return _attempt_open(actor=actor, assignment=assignment)


@transaction.atomic
def _attempt_open(*, actor: Any, assignment: Assignment) -> Attempt:
    assignment = Assignment.objects.select_related("person", "requirement__document").get(
        pk=assignment.pk
    )
    person = assignment.person
    if actor is None or person.user_id != actor.pk:
        raise PermissionDenied("Only the learner can launch their e-learning.")
    if assignment.status != AssignmentStatus.OPEN:
        raise ValidationError(f"This assignment is {assignment.get_status_display().lower()}.")
    requirement = assignment.requirement
    if requirement.method != Method.ELEARNING or requirement.document is None:
        raise ValidationError(f"{requirement.code} is not e-learning training.")
    if requirement.document.doc_type != DocumentType.CONTENT_PACKAGE:
        raise ValidationError(f"{requirement.document.number} is not an e-learning package.")
    version = elearning_version(person=person, requirement=requirement)
    package = ContentPackage.objects.filter(version=version).first()
    if package is None or not version.file:
        raise ValidationError(f"{version} has no playable package file.")
    live = (
        Attempt.objects.select_for_update()
        .filter(
            person=person, package=package, status__in=[AttemptStatus.OPEN, AttemptStatus.COMPLETED]
        )
        .first()
    )
    if live is not None:
        return live
    last = Attempt.objects.filter(person=person, package=package).aggregate(n=Max("number"))["n"]
    attempt = Attempt(
        person=person,
        package=package,
        requirement=requirement,
        assignment=assignment,
        number=(last or 0) + 1,
        started_at=timezone.now(),
    )
    attempt.full_clean()
    attempt.save()
    audit.record("content.attempt.started", attempt, actor=actor)
    return attempt


def launch_data(attempt: Attempt, item: Item) -> dict:
    """The flattened CMI the adapter is loaded with for `item` (resume on any device)."""
    state = ScoState.objects.filter(attempt=attempt, item=item.identifier).first()
    person = attempt.person
    return runtime.restore(
        attempt.package.kind,
        state.cmi if state else {},
        learner_id=person.employee_number,
        learner_name=person.full_name,
        item=item,
        terminated=state.terminated if state else False,
    )


def runtime_commit(
    *, actor: Any, attempt: Attempt, item: str, body: Any, final: bool = False
) -> tuple[bool, list[str]]:
    """Keep one commit of the SCORM adapter; apply it when it conforms and is not
    stale. Answers (accepted, problems)."""
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update()
            .select_related("package", "person")
            .get(pk=attempt.pk)
        )
        _learner_of(attempt, actor)
        package = attempt.package
        if package.kind == CMI5:
            raise ValidationError("A cmi5 package reports through xAPI, not SCORM commits.")
        sco = item_of(package, item)
        problems: list[str] = []
        data: dict = {}
        sequence = None
        if not isinstance(body, dict) or not isinstance(body.get("cmi"), dict):
            problems.append("The commit is not a JSON object with the cmi data model.")
        else:
            data = runtime.flatten(body["cmi"])
            # The player stamps each commit with the browser's time when the SCO made
            # it (capturedAt, ms); an offline replay keeps its stamp, so a late replay
            # never overwrites data committed after it.
            sequence = body.get("capturedAt")
            if sequence is not None and (
                not isinstance(sequence, int) or isinstance(sequence, bool)
            ):
                problems.append("capturedAt is not a whole number.")
                sequence = None
        if attempt.status not in (AttemptStatus.OPEN, AttemptStatus.COMPLETED):
            problems.append(
                f"This attempt is {attempt.get_status_display().lower()}; nothing more is recorded."
            )
        if not problems:
            problems = runtime.check_commit(package.kind, data)
        state = ScoState.objects.select_for_update().filter(attempt=attempt, item=item).first()
        stale = state is not None and sequence is not None and sequence < state.last_sequence
        now = timezone.now()
        RuntimeCommit.objects.create(
            attempt=attempt,
            item=item,
            sequence=sequence,
            received_at=now,
            body=body if isinstance(body, dict | list) else {"raw": str(body)[:10000]},
            accepted=not problems and not stale,
            problems=problems or (["stale: a newer commit was already applied"] if stale else []),
        )
        if problems or stale:
            return False, problems
        if state is None:
            state = ScoState(attempt=attempt, item=item, updated_at=now)
        merged = {**state.cmi, **data}
        completion, success, scaled = runtime.statuses(package.kind, sco, merged)
        if final:
            state.total_seconds += round(runtime.session_seconds(package.kind, data))
        state.cmi = merged
        state.completion_status = completion
        state.success_status = success
        state.score_scaled = scaled.quantize(Decimal("0.00001")) if scaled is not None else None
        state.last_sequence = sequence if sequence is not None else state.last_sequence
        state.terminated = final
        state.updated_at = now
        state.save()
        _judge(attempt, actor=actor, now=now)
    return True, []


def _judge(attempt: Attempt, *, actor: Any, now) -> None:
    """When every SCO is satisfied the attempt is completed (awaiting the signature)."""
    if attempt.status != AttemptStatus.OPEN:
        return
    manifest = manifest_of(attempt.package)
    states = {s.item: s for s in attempt.scos.all()}
    scores = []
    for item in manifest.items:
        state = states.get(item.identifier)
        if item.scorm_type == "asset":
            continue
        if state is None or not runtime.satisfied(
            manifest.kind, item, state.completion_status, state.success_status
        ):
            return
        if state.score_scaled is not None:
            scores.append(state.score_scaled)
    _complete(
        attempt,
        actor=actor,
        now=now,
        scores=scores,
        seconds=sum(s.total_seconds for s in states.values()),
    )


def _complete(attempt: Attempt, *, actor: Any, now, scores: list, seconds: int) -> None:
    before = audit.state_of(attempt)
    attempt.status = AttemptStatus.COMPLETED
    attempt.completed_at = now
    if scores:
        mean = sum(scores) / len(scores) * 100
        attempt.score = max(Decimal(0), min(Decimal(100), Decimal(mean))).quantize(CENT)
    attempt.session_seconds = seconds
    attempt.save(update_fields=["status", "completed_at", "score", "session_seconds"])
    audit.record(
        "content.attempt.completed",
        attempt,
        actor=actor,
        before=before,
        reason="The package reported completion (every SCO or AU satisfied)",
    )


def evidence_of(attempt: Attempt) -> dict:
    """The runtime data kept as evidence of the attempt, in canonical form: every SCO's
    final data, and the count and digest of the commits or statements received."""
    commits = list(attempt.commits.order_by("pk").values_list("pk", "accepted", "body"))
    statements = list(attempt.statements.order_by("pk").values_list("statement_id", flat=True))
    return {
        "attempt": attempt.pk,
        "package_version": attempt.package.version_id,
        "zip_sha256": attempt.package.zip_sha256,
        "number": attempt.number,
        "registration": str(attempt.registration),
        "scos": {
            s.item: {
                "completion": s.completion_status,
                "success": s.success_status,
                "score_scaled": str(s.score_scaled) if s.score_scaled is not None else None,
                "total_seconds": s.total_seconds,
                "cmi": s.cmi,
            }
            for s in attempt.scos.order_by("item")
        },
        "commits": len(commits),
        "commits_sha256": hashlib.sha256(
            json.dumps(commits, sort_keys=True, default=str).encode()
        ).hexdigest(),
        "statements": [str(s) for s in statements],
    }


def attempt_sign(*, actor: Any, attempt: Attempt, credentials: Credentials):
    """The learner signs the completed attempt (meaning completed_training): a training
    record bound to the package version, with score, session time and attempt number,
    whose evidence digest is that of the attempt's runtime data."""
    attempt = Attempt.objects.select_related("package__version", "person", "requirement").get(
        pk=attempt.pk
    )
    _learner_of(attempt, actor)
    if attempt.status == AttemptStatus.SIGNED:
        raise AlreadyDone(
            "You already signed this completion; nothing new was written.", existing=attempt.record
        )
    if attempt.status != AttemptStatus.COMPLETED:
        raise ValidationError("The package has not reported completion yet; finish it first.")
    evidence = evidence_of(attempt)
    digest = sha256_hex(evidence)
    minutes = attempt.session_seconds // 60
    notes = (
        f"{attempt.package.get_kind_display()} package {attempt.package.version}, attempt "
        f"{attempt.number}, session time {minutes} min, registration {attempt.registration}"
    )

    def bind(record) -> None:
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.status != AttemptStatus.COMPLETED:
            raise AlreadyDone("This completion was already signed.", existing=locked.record)
        if sha256_hex(evidence_of(locked)) != digest:
            raise ValidationError("The runtime data changed while signing; sign again.")
        before = audit.state_of(locked)
        locked.status = AttemptStatus.SIGNED
        locked.record = record
        locked.save(update_fields=["status", "record"])
        audit.record(
            "content.attempt.signed",
            locked,
            actor=actor,
            before=before,
            reason="The learner signed the completion",
            detail={"record": record.pk, "evidence_sha256": digest},
        )

    return record_elearning(
        actor=actor,
        person=attempt.person,
        requirement=attempt.requirement,
        version=attempt.package.version,
        credentials=credentials,
        score=attempt.score,
        evidence_sha256=digest,
        notes=notes,
        bind=bind,
    )
