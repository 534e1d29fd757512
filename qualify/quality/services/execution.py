"""Executions and the batch gate (E1, E5, T1)."""

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from qualify.audit import services as audit
from qualify.documents.models import Document
from qualify.org.models import GatePolicy, Person
from qualify.quality.models import Execution, ExecutionDocument
from qualify.quality.models.execution import ExecutionOutcome
from qualify.quality.queries.gate import GateAnswer, gate_check, signer_gate
from qualify.quality.services import deviation as deviations
from qualify.quality.services.clients import record_client
from qualify.quality.services.common import QualityRefused, now, require

RECORD = "quality.record_execution"


class GateRefused(QualityRefused):
    """E1 with gate_policy 'refuse': the work is not recorded."""

    actor: Any = None
    person: Person | None = None
    detail: dict | None = None


def execution_record(
    *,
    actor: Any,
    person: Person,
    batch: str,
    documents: Iterable[Document],
    step: str = "",
    claimed_at: dt.datetime | None = None,
) -> Execution:
    """Record that `person` performed work under `documents` on `batch`.

    E5: the work is judged at the instant it was performed: `claimed_at`, the time
    the reporting system attests (T1), else the server's time of arrival; and as the
    system knew it then (Q7), so training completed or recorded between the work and
    its report does not count. `performed_at` keeps the server's time of arrival
    beside the claimed time; an arrival later than the site's delay is a late entry.
    A claimed time in the future (beyond the clock-skew allowance) or outside the
    person's employment is refused.

    Not qualified: refused (the refusal audited, A5), or recorded with an automatic
    deviation, per the site's gate policy (E1).
    """
    require(actor, RECORD, "record work on a batch")
    documents = list(documents)
    if not batch.strip():
        raise ValidationError({"batch": "Name the batch or lot."})
    if not documents:
        raise ValidationError({"documents": "Name the documents the work is performed under."})
    # U2: the execution (and its batch) concerns its documents' client.
    client = record_client(actor=actor, involved=documents, field="documents")
    if claimed_at is not None and timezone.is_naive(claimed_at):
        raise ValidationError({"claimed_at": "The time must carry its time zone."})
    person = Person.objects.select_related("site").get(pk=person.pk)  # as stored now
    site = person.site
    try:
        with transaction.atomic():
            received = now()
            performed = claimed_at if claimed_at is not None else received
            _refuse_impossible_instant(person, performed, received, site.time_zone)
            gate = gate_check(person, documents, at=performed, as_known_at=performed)
            for line in gate.documents:
                if line.version is None:
                    raise ValidationError(_not_in_force(line.document, performed, site.time_zone))
            if not gate.qualified and site.gate_policy == GatePolicy.REFUSE:
                raise GateRefused(
                    f"{person.full_name} ({person.employee_number}) was not qualified for "
                    f"this work at {_local(performed, site.time_zone)}.",
                    gate.reasons,
                )
            return _record(
                actor, person, site, batch, step, gate, claimed_at, received, client=client
            )
    except GateRefused as refused:
        # A5: the refusal is on the record although the work is not. Inside a caller's
        # transaction this event joins it; a caller that rolls back on the refusal (an
        # API request) records it again after its rollback with audit_refusal().
        refused.actor, refused.person = actor, person
        refused.detail = {
            "batch": batch.strip(),
            "step": step,
            "performed_at": performed,
            "received_at": received,
            "documents": [d.document.number for d in gate.documents],
            "reasons": gate.reasons,
        }
        audit_refusal(refused)
        raise


def audit_refusal(refused: GateRefused) -> int:
    """A5: the audit event of a gate refusal (actor, time, person, documents, reasons)."""
    return audit.record_refusal(
        "quality.execution.refused",
        actor=refused.actor,
        why=str(refused.message),
        obj=refused.person,
        detail=refused.detail,
    )


def _record(
    actor, person, site, batch, step, gate: GateAnswer, claimed_at, received, *, client=None
):
    late = claimed_at is not None and (received - claimed_at) > dt.timedelta(
        hours=site.late_entry_hours
    )
    execution = Execution(
        client=client,
        site=site,
        batch=batch.strip(),
        step=step,
        person=person,
        performed_at=received,  # T1: the server's time of entry
        claimed_at=claimed_at,
        late_entry=late,
        qualified=gate.qualified,
        outcome=ExecutionOutcome.QUALIFIED if gate.qualified else ExecutionOutcome.DEVIATION,
        gate_answer=gate.as_json(),
        recorded_by=actor,
    )
    execution.full_clean()
    execution.save()
    lines = [
        ExecutionDocument.objects.create(
            execution=execution, document=d.document, version=d.version
        )
        for d in gate.documents
    ]
    audit.record_many(
        [audit.pending("quality.execution.recorded", execution, actor=actor)]
        + [audit.pending("quality.execution.recorded", line, actor=actor) for line in lines]
    )
    if not gate.qualified:
        deviations._create(
            actor=actor,
            number="",
            site=site,
            occurred_at=gate.at,
            description=(
                f"{person.full_name} performed {step or 'work'} on batch {batch} while not "
                "qualified: " + "; ".join(gate.reasons)
            ),
            batch=batch.strip(),
            people=[person],
            documents=[d.document for d in gate.documents],
            execution=execution,
        )
    return execution


def _local(moment: dt.datetime, zone: str) -> str:
    local = moment.astimezone(zoneinfo.ZoneInfo(zone))
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()} ({zone})"


def _refuse_impossible_instant(
    person: Person, performed: dt.datetime, received: dt.datetime, zone: str
) -> None:
    """E5: no work is attested in the future (beyond the clock-skew allowance) or
    outside the person's employment [employed_from, left_at), as known now."""
    skew = dt.timedelta(seconds=settings.QUALIFY_CLOCK_SKEW_SECONDS)
    if performed > received + skew:
        raise ValidationError(
            {
                "claimed_at": f"{_local(performed, zone)} is in the future (the server's time "
                f"is {_local(received, zone)}); work cannot be reported before it is done."
            }
        )
    who = f"{person.full_name} ({person.employee_number})"
    if performed < person.employed_from:
        raise ValidationError(
            {
                "claimed_at": f"{who} was employed only from "
                f"{_local(person.employed_from, zone)}; they cannot have performed work at "
                f"{_local(performed, zone)}."
            }
        )
    if person.left_at is not None and performed >= person.left_at:
        raise ValidationError(
            {
                "claimed_at": f"{who} left at {_local(person.left_at, zone)}; they cannot have "
                f"performed work at {_local(performed, zone)}."
            }
        )


def _not_in_force(document: Document, at: dt.datetime, zone: str) -> str:
    if document.obsolete_from is not None and document.obsolete_from <= at:
        state = f"obsolete since {_local(document.obsolete_from, zone)}"
    else:
        state = "not effective"
    return f"{document.number} is {state}: no work can be performed under it at {_local(at, zone)}."


def require_qualified_signer(
    *, signer: Any, procedure: Document, meaning: str, at: dt.datetime | None = None
) -> GateAnswer:
    """E1 for signatures: a signature whose meaning is bound to a procedure (a step
    verified under SOP-X) checks the signer's qualification on the version effective
    at that instant (Q4, as known then). Refused with the reasons when not qualified,
    whatever the site's gate policy: a signature, unlike work already done, can simply
    not be given. Call it inside the transaction of the signature, before sign()."""
    answer = signer_gate(signer, procedure, at=at)
    if not answer.qualified:
        raise GateRefused(
            f"{signer.printed_name or signer.username} may not sign '{meaning}' under "
            f"{procedure.number}: not qualified on the version in force.",
            answer.reasons,
        )
    return answer
