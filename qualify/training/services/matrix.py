"""The training matrix: job function J requires requirement R (or curriculum C) over
[valid_from, valid_to) (T2). Adding an entry is a controlled change: a coordinator
proposes it and a QA approver other than the proposer signs it "approved" (S2); G1
assigns the training in the same transaction. Ending one is controlled the same way
(a QA approver other than the proposer signs it) and cancels what it made (G6).
"""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from qualify.audit import services as audit
from qualify.guards import require_aware, require_perm
from qualify.org.models import JobFunction
from qualify.org.scoping import check_client
from qualify.signatures.services import Credentials, authenticate_signer, sign
from qualify.training.models import Assignment, Curriculum, MatrixEntry, Requirement
from qualify.training.services import rules

# The meaning of QA's signature on ending an entry (see matrix_entry_end).
ENDING = "closed"


def _change_matrix(actor: Any) -> None:
    require_perm(
        actor,
        "training.change_matrix",
        message="Only a training coordinator can change the matrix.",
    )


@transaction.atomic
def _add(
    *,
    actor: Any,
    proof: Any,
    job_function: JobFunction,
    requirement: Requirement | None,
    curriculum: Curriculum | None,
    valid_from: dt.datetime,
    window_days: int,
    reason: str,
) -> tuple[MatrixEntry, list[Assignment]]:
    # Re-read under lock so two coordinators cannot add the same entry twice.
    job_function = JobFunction.objects.select_for_update().get(pk=job_function.pk)
    target = Q(requirement=requirement) if requirement else Q(curriculum=curriculum)
    clash = (
        MatrixEntry.objects.filter(target, job_function=job_function)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=valid_from))
        .first()
    )
    if clash is not None:
        raise ValidationError(
            f"{job_function.code} already requires {requirement or curriculum} from "
            f"{clash.valid_from:%Y-%m-%d}; end that entry first."
        )
    now = timezone.now()
    entry = MatrixEntry(
        job_function=job_function,
        requirement=requirement,
        curriculum=curriculum,
        valid_from=valid_from,
        window_days=window_days,
        reason=reason,
        recorded_at=now,
        created_by=actor,
    )
    entry.full_clean()
    entry.save()
    audit.record("training.matrix.entry_added", entry, actor=actor, reason=reason)
    sign(proof=proof, obj=entry, meaning="approved", comment=reason)
    return entry, rules.assign_for_matrix_entry(actor=actor, entry=entry)


def matrix_entry_add(
    *,
    actor: Any,
    job_function: JobFunction,
    requirement: Requirement | None = None,
    curriculum: Curriculum | None = None,
    valid_from: dt.datetime | None = None,
    window_days: int = 30,
    reason: str,
    qa_actor: Any,
    qa_credentials: Credentials,
) -> MatrixEntry:
    """Add a matrix entry approved by QA's signature; G1 assigns its training.

    Returns the entry; `entry.created_assignments` lists the assignments G1 made."""
    _change_matrix(actor)
    check_client(actor, job_function.client_id)
    errors: dict[str, str] = {}
    if (requirement is None) == (curriculum is None):
        raise ValidationError("A matrix entry names either one requirement or one curriculum.")
    if requirement is not None:
        requirement = Requirement.objects.filter(pk=requirement.pk).first()
        if requirement is None or not requirement.active:
            errors["requirement"] = "Unknown or inactive training requirement."
        else:
            check_client(actor, requirement.client_id)
    if curriculum is not None:
        if not Curriculum.objects.filter(pk=curriculum.pk).exists():
            errors["curriculum"] = "Unknown curriculum."
        elif not curriculum.items.filter(requirement__active=True).exists():
            errors["curriculum"] = f"{curriculum.code} has no active requirement."
    if not job_function.active:
        errors["job_function"] = f"{job_function} is no longer in use."
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "A matrix change needs a reason."
    if not isinstance(window_days, int) or window_days < 1:
        errors["window_days"] = "The training window is at least one day."
    valid_from = require_aware(valid_from or timezone.now(), "valid_from")
    if qa_actor is None or qa_actor.pk == actor.pk:
        errors["qa_actor"] = "A QA approver other than the proposer must approve the change."
    if errors:
        raise ValidationError(errors)
    # S1: credentials are checked before the transaction, so a refusal is kept.
    proof = authenticate_signer(actor=qa_actor, credentials=qa_credentials, meaning="approved")
    entry, created = _add(
        actor=actor,
        proof=proof,
        job_function=job_function,
        requirement=requirement,
        curriculum=curriculum,
        valid_from=valid_from,
        window_days=window_days,
        reason=reason,
    )
    entry.created_assignments = created
    return entry


def matrix_entry_end(
    *,
    actor: Any,
    entry: MatrixEntry,
    reason: str,
    valid_to: dt.datetime | None = None,
    qa_actor: Any,
    qa_credentials: Credentials,
) -> MatrixEntry:
    """End an entry at valid_to (default now), approved like adding one: a QA approver
    other than the proposer signs it, with their own credentials checked before the
    transaction (S1, S2). Open assignments it caused are cancelled unless another rule
    still requires them (G6); for a future end the daily clean-up cancels them once it
    has passed.

    The QA signature carries the meaning "closed": the entry's "approved" signature
    vouches for the entry as proposed, and one approver may have signed both. The
    end itself (valid_to, end_recorded_at) is held by the audited state (A4)."""
    _change_matrix(actor)
    check_client(actor, entry.job_function.client_id)
    errors: dict[str, str] = {}
    if not (reason or "").strip():
        errors["reason"] = "Ending a matrix entry needs a reason."
    if valid_to is not None:
        require_aware(valid_to, "valid_to")
    if qa_actor is None or qa_actor.pk == actor.pk:
        errors["qa_actor"] = "A QA approver other than the proposer must approve the change."
    if errors:
        raise ValidationError(errors)
    # S1: credentials are checked before the transaction, so a refusal is kept.
    proof = authenticate_signer(actor=qa_actor, credentials=qa_credentials, meaning=ENDING)
    return _end(actor=actor, proof=proof, entry=entry, reason=reason.strip(), valid_to=valid_to)


@transaction.atomic
def _end(
    *, actor: Any, proof: Any, entry: MatrixEntry, reason: str, valid_to: dt.datetime | None
) -> MatrixEntry:
    entry = MatrixEntry.objects.select_for_update().get(pk=entry.pk)
    now = timezone.now()
    valid_to = valid_to or now
    if entry.valid_to is not None:
        raise ValidationError(
            {"valid_to": f"This entry already ended at {entry.valid_to:%Y-%m-%d}."}
        )
    if valid_to <= entry.valid_from:
        raise ValidationError(
            {"valid_to": f"The end must be after the start ({entry.valid_from:%Y-%m-%d})."}
        )
    before = audit.state_of(entry)
    entry.valid_to = valid_to
    entry.end_recorded_at = now
    entry.full_clean()
    entry.save()
    audit.record("training.matrix.entry_ended", entry, actor=actor, before=before, reason=reason)
    sign(proof=proof, obj=entry, meaning=ENDING, comment=f"Ended: {reason}")
    rules.cancel_for_ended_entry(actor=actor, entry=entry, reason=reason)
    return entry
