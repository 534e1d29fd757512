"""Executions and the batch gate (E1, T1)."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from qualify.audit import services as audit
from qualify.documents.models import Document
from qualify.org.models import GatePolicy, Person
from qualify.quality.models import Execution, ExecutionDocument
from qualify.quality.models.execution import ExecutionOutcome
from qualify.quality.queries.gate import (
    GateAnswer,
    fresh,
    gate_check,
    signer_gate,
    version_in_force,
)
from qualify.quality.services import deviation as deviations
from qualify.quality.services.clients import record_client
from qualify.quality.services.common import QualityRefused, now, refuse_future, require

RECORD = "quality.record_execution"


class GateRefused(QualityRefused):
    """E1 with gate_policy 'refuse': the work is not recorded."""


def execution_record(
    *,
    actor: Any,
    person: Person,
    batch: str,
    documents: Iterable[Document],
    step: str = "",
    claimed_at: dt.datetime | None = None,
) -> Execution:
    """Record that `person` performs work under `documents` on `batch` now (server time).

    Not qualified: refused, or recorded with an automatic deviation, per the site's
    gate policy (E1). A time claimed by an integration is stored beside the server's.
    """
    require(actor, RECORD, "record work on a batch")
    documents = list(documents)
    if not batch.strip():
        raise ValidationError({"batch": "Name the batch or lot."})
    if not documents:
        raise ValidationError({"documents": "Name the documents the work is performed under."})
    refuse_future(claimed_at, "claimed_at")
    # U2: the execution (and its batch) concerns its documents' client.
    client = record_client(actor=actor, involved=documents, field="documents")
    site = person.site
    with transaction.atomic():
        at = now()
        documents = fresh(documents)
        versions = {}
        for document in documents:
            version = version_in_force(document, at)
            if version is None:
                state = (
                    f"obsolete since {document.obsolete_from:%Y-%m-%d}"
                    if document.obsolete_from and document.obsolete_from <= at
                    else "not effective"
                )
                raise ValidationError(
                    f"{document.number} is {state}: no work can be performed under it."
                )
            versions[document.pk] = version
        gate = gate_check(person, documents, at=at)
        if not gate.qualified and site.gate_policy == GatePolicy.REFUSE:
            raise GateRefused(
                f"{person.full_name} ({person.employee_number}) is not qualified for this work.",
                gate.reasons,
            )
        late = claimed_at is not None and (at - claimed_at) > dt.timedelta(
            hours=site.late_entry_hours
        )
        execution = Execution(
            client=client,
            site=site,
            batch=batch.strip(),
            step=step,
            person=person,
            performed_at=at,
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
                execution=execution, document=d, version=versions[d.pk]
            )
            for d in documents
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
                occurred_at=at,
                description=(
                    f"{person.full_name} performed {step or 'work'} on batch {batch} while not "
                    "qualified: " + "; ".join(gate.reasons)
                ),
                batch=batch.strip(),
                people=[person],
                documents=documents,
                execution=execution,
            )
    return execution


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
