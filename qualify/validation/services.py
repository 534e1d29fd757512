"""Writes of validation runs (P63): recorded (and signed "validation executed" by the
person who ran them), their pack PDF's hash noted, approved by QA (signed
"approved").

Hazards: authenticate_signer() runs before each transaction so a refused signature
is audited and counted (S1); the executor cannot approve their own run
(ValidationRun.signature_conflict, checked by the signing service); a failed run is
never approved: its deviations are resolved and the validation run again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from qualify.audit import services as audit
from qualify.guards import require_perm
from qualify.signatures.services import Credentials, authenticate_signer, sign
from qualify.validation.models import RunOutcome, RunStatus, ValidationRun

EXECUTED = "executed"
APPROVED = "approved"


def validation_run_record(
    *,
    actor: Any,
    credentials: Credentials | None,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    version: str,
    commit: str,
    lock_sha256: str,
    selection: str,
    passed: bool,
    counts: dict[str, tuple[int, int]],
    deviations: list[str],
    results_sha256: str,
    pack_path: str,
) -> ValidationRun:
    """Record a run; with a signer, their "validation executed" signature in the same
    transaction. Without one (a CI run) the run is recorded unsigned and cannot be
    approved."""
    proof = None
    if actor is not None:
        require_perm(
            actor, "signatures.sign_executed", message="Only a QA approver executes a validation."
        )
        proof = authenticate_signer(
            actor=actor, credentials=credentials or Credentials(password=""), meaning=EXECUTED
        )
    with transaction.atomic():
        run = ValidationRun(
            started_at=started_at,
            finished_at=finished_at,
            version=version,
            commit=commit[:80],
            lock_sha256=lock_sha256 or "",
            selection=selection[:200],
            outcome=RunOutcome.PASS if passed else RunOutcome.FAIL,
            iq_failed=counts["iq"][0],
            iq_total=counts["iq"][1],
            oq_failed=counts["oq"][0],
            oq_total=counts["oq"][1],
            pq_failed=counts["pq"][0],
            pq_total=counts["pq"][1],
            deviations=deviations[:200],
            results_sha256=results_sha256,
            pack_path=pack_path[:500],
            executed_by=actor,
        )
        run.full_clean()
        run.save()
        audit.record("validation.run.recorded", run, actor=actor)
        if proof is not None:
            sign(proof=proof, obj=run, meaning=EXECUTED, comment="Validation executed")
    return run


def validation_run_pack_signed(*, run: ValidationRun, pdf_sha256: str) -> ValidationRun:
    """Note the SHA-256 of the signed PDF handed over with the pack."""
    with transaction.atomic():
        run = ValidationRun.objects.select_for_update().get(pk=run.pk)
        before = audit.state_of(run)
        run.pdf_sha256 = pdf_sha256
        run.save(update_fields=["pdf_sha256"])
        audit.record(
            "validation.run.pack_signed",
            run,
            actor=run.executed_by,
            before=before,
            reason="The pack's PDF was signed (PAdES) after the run was recorded.",
        )
    return run


def validation_run_approve(
    *, actor: Any, run: ValidationRun, credentials: Credentials, comment: str = ""
) -> ValidationRun:
    """QA approves an executed, passing run with a Part 11 signature ("approved")."""
    require_perm(actor, "signatures.sign_approved", message="Only a QA approver approves a run.")
    current = ValidationRun.objects.get(pk=run.pk)
    _check_approvable(current)
    proof = authenticate_signer(actor=actor, credentials=credentials, meaning=APPROVED)
    with transaction.atomic():
        run = ValidationRun.objects.select_for_update().get(pk=run.pk)
        _check_approvable(run)
        before = audit.state_of(run)
        comment = (comment or "").strip()
        # Signed first: the signing service refuses the executor's approval (S2) before
        # anything is written, and the database would refuse that update anyway (P90).
        # The signature vouches for signed_content(), which the approval does not change.
        sign(proof=proof, obj=run, meaning=APPROVED, comment=comment)
        run.status = RunStatus.APPROVED
        run.approved_by = actor
        run.approved_at = timezone.now()
        run.approval_comment = comment
        run.save(update_fields=["status", "approved_by", "approved_at", "approval_comment"])
        audit.record(
            "validation.run.approved",
            run,
            actor=actor,
            before=before,
            reason=run.approval_comment or "Validation approved by QA.",
        )
    return run


def _check_approvable(run: ValidationRun) -> None:
    if run.status == RunStatus.APPROVED:
        raise ValidationError("This validation run is already approved.")
    if run.outcome != RunOutcome.PASS:
        raise ValidationError(
            "A failed validation run cannot be approved: resolve its deviations and run "
            "the validation again."
        )
    if run.executed_by_id is None:
        raise ValidationError(
            "This run was recorded without the signature of the person who executed it "
            "(qualify validate --signer); it cannot be approved."
        )
