"""Deviation services: report (with the Q4/Q7 snapshot), order requalification (G5),
close (signed, E2)."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from qualify.audit import services as audit
from qualify.documents.models import Document
from qualify.edge import whole_number
from qualify.guards import AlreadyDone
from qualify.org.models import Client, Person, Site
from qualify.quality import events
from qualify.quality.models import (
    Deviation,
    DeviationCategory,
    DeviationSnapshot,
    DeviationStatus,
    Execution,
)
from qualify.quality.queries.open_items import deviation_open_items
from qualify.quality.services.clients import record_client, require_client_access
from qualify.quality.services.common import (
    is_qualified,
    now,
    plain,
    reasons_of,
    refuse_closure,
    refuse_future,
    require,
)
from qualify.signatures.services import Credentials, authenticate_signer, sign
from qualify.training import engine
from qualify.training.models import Requirement

REPORT = "quality.report_deviation"
REQUALIFY = "quality.order_requalification"
CLOSE = "quality.close_quality_event"


def deviation_create(
    *,
    actor: Any,
    number: str,
    site: Site,
    occurred_at: dt.datetime,
    description: str,
    batch: str = "",
    people: Iterable[Person] = (),
    documents: Iterable[Document] = (),
    client: Client | None = None,
    category: str = "",
) -> Deviation:
    """Report a deviation with its qualification snapshot. Its client (U2) is `client`
    when given, else the one client of the documents involved, else the actor's only
    client, else none (in-house); see quality.services.clients. A client-restricted
    actor cannot report an in-house deviation or another client's."""
    require(actor, REPORT, "report a deviation")
    refuse_future(occurred_at, "occurred_at")
    documents = list(documents)
    client = record_client(actor=actor, client=client, involved=documents)
    with transaction.atomic():
        return _create(
            client=client,
            actor=actor,
            number=number.strip(),
            site=site,
            occurred_at=occurred_at,
            description=description,
            batch=batch,
            people=list(people),
            documents=documents,
            category=category,
        )


def next_number(at: dt.datetime) -> str:
    prefix = f"DEV-{at:%Y}-"
    taken = Deviation.objects.filter(number__startswith=prefix).values_list("number", flat=True)
    numbers = (whole_number(n[len(prefix) :]) for n in taken)
    last = max((n for n in numbers if n is not None), default=0)
    return f"{prefix}{last + 1:04d}"


def _create(
    *,
    actor,
    number,
    site,
    occurred_at,
    description,
    batch,
    people,
    documents,
    execution: Execution | None = None,
    client: Client | None = None,
    category: str = "",
) -> Deviation:
    """Inside the caller's transaction; the gate calls this for automatic deviations,
    which concern the execution's client."""
    if execution is not None and client is None:
        client = execution.client
    deviation = Deviation(
        client=client,
        number=number or next_number(occurred_at),
        site=site,
        occurred_at=occurred_at,
        recorded_at=now(),
        description=description,
        batch=batch,
        category=category or DeviationCategory.OTHER,
        automatic=execution is not None,
        execution=execution,
        created_by=actor,
    )
    deviation.full_clean()
    deviation.save()
    deviation.people.set(people)
    deviation.documents.set(documents)
    audit.record(
        "quality.deviation.created",
        deviation,
        actor=actor,
        detail={
            "people": [p.employee_number for p in people],
            "documents": [d.number for d in documents],
        },
    )
    _snapshot(actor, deviation, people, documents)
    events.deviation_created.fire(actor=actor, deviation=deviation)
    return deviation


def _snapshot(actor, deviation: Deviation, people, documents) -> None:
    """Q4 at occurred_at, with all known now and as known then (Q7); stored once."""
    at, taken = deviation.occurred_at, deviation.recorded_at
    pairs = [(p, d) for p in people for d in documents]
    if not pairs:
        return
    known_now = engine.check_many(pairs, at=at)
    known_then = engine.check_many(pairs, at=at, as_known_at=at)
    rows = []
    for (person, document), now_answer, then_answer in zip(
        pairs, known_now, known_then, strict=True
    ):
        rows.append(
            DeviationSnapshot(
                deviation=deviation,
                person=person,
                document=document,
                taken_at=taken,
                qualified_known_now=is_qualified(now_answer),
                qualified_as_known_then=is_qualified(then_answer),
                answer={
                    "at": plain(at),
                    "taken_at": plain(taken),
                    "known_now": {
                        "qualified": is_qualified(now_answer),
                        "reasons": reasons_of(now_answer),
                        "answer": plain(now_answer),
                    },
                    "as_known_then": {
                        "qualified": is_qualified(then_answer),
                        "reasons": reasons_of(then_answer),
                        "answer": plain(then_answer),
                    },
                },
            )
        )
    for row in rows:
        row.full_clean(exclude=["deviation"])
        row.save()
    audit.record_many(
        audit.pending("quality.deviation.snapshot_taken", row, actor=actor) for row in rows
    )


def deviation_order_requalification(
    *, actor: Any, deviation: Deviation, person: Person, requirement: Requirement, reason: str
):
    """G5: revokes the person's qualification on the requirement until they complete it."""
    from qualify.training.services.assignments import requalification_order

    require(actor, REQUALIFY, "order requalification")
    require_client_access(actor, deviation)
    if not reason.strip():
        raise ValidationError({"reason": "Say why requalification is ordered."})
    if not person.active:
        raise ValidationError(f"{person.full_name} ({person.employee_number}) has left.")
    with transaction.atomic():
        if deviation.status != DeviationStatus.OPEN:
            raise ValidationError(f"{deviation.number} is closed.")
        result = requalification_order(
            actor=actor,
            person=person,
            requirement=requirement,
            reason=f"{deviation.number}: {reason}",
            source=deviation.source_key,
        )
        audit.record(
            "quality.deviation.requalification_ordered",
            deviation,
            actor=actor,
            detail={
                "person": person.employee_number,
                "requirement": requirement.code,
                "reason": reason,
            },
        )
        # The person is told at once, after commit, by the qualification_lost handler.
    return result


def deviation_close(
    *, actor: Any, deviation: Deviation, credentials: Credentials, comment: str = ""
) -> Deviation:
    require(actor, CLOSE, "close a deviation")
    require_client_access(actor, deviation)
    _refuse_if_open(Deviation.objects.get(pk=deviation.pk), actor)  # before asking for a signature
    proof = authenticate_signer(actor=actor, credentials=credentials, meaning="closed")
    with transaction.atomic():
        deviation = Deviation.objects.select_for_update().get(pk=deviation.pk)
        _refuse_if_open(deviation, actor)
        before = audit.state_of(deviation)
        deviation.status = DeviationStatus.CLOSED
        deviation.closed_at = now()
        deviation.closed_by = actor
        deviation.save(update_fields=["status", "closed_at", "closed_by"])
        sign(proof=proof, obj=deviation, meaning="closed", comment=comment)
        audit.record(
            "quality.deviation.closed",
            deviation,
            actor=actor,
            before=before,
            reason=comment or "Closed: the training it caused is complete.",
        )
    return deviation


def _refuse_if_open(deviation: Deviation, actor: Any) -> None:
    if deviation.status == DeviationStatus.CLOSED:
        # P21: a second submission (double click, second tab) writes nothing.
        raise AlreadyDone(
            f"{deviation.number} is already closed; nothing new was written.", existing=deviation
        )
    items = deviation_open_items(deviation)
    if items:
        refuse_closure(actor, deviation, "quality.deviation.close_refused", items)
