"""CAPA services: raise, QA review (E4), close (signed, E2)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from qualify.audit import services as audit
from qualify.guards import AlreadyDone
from qualify.org.models import Client
from qualify.quality import events
from qualify.quality.models import Capa, CapaSource, CapaStatus, Deviation
from qualify.quality.queries.open_items import capa_open_items
from qualify.quality.services.capa_actions import (
    capa_action_add,
    capa_action_cancel,
    capa_action_complete,
    capa_action_review,
)
from qualify.quality.services.clients import record_client, require_client_access
from qualify.quality.services.common import now, refuse_closure, require
from qualify.signatures.services import Credentials, authenticate_signer, sign

MANAGE = "quality.manage_capa"
CLOSE = "quality.close_quality_event"

__all__ = [
    "capa_action_add",
    "capa_action_cancel",
    "capa_action_complete",
    "capa_action_review",
    "capa_close",
    "capa_create",
    "capa_qa_review",
]


def capa_create(
    *,
    actor: Any,
    number: str,
    source: str,
    problem_statement: str,
    root_cause_category: str,
    root_cause: str = "",
    source_reference: str = "",
    deviation: Deviation | None = None,
    client: Client | None = None,
) -> Capa:
    """Raise a CAPA. Its client (U2) is `client` when given, else its deviation's, else
    the actor's only client, else none (in-house); see quality.services.clients. A
    client-restricted actor cannot raise an in-house CAPA or another client's."""
    require(actor, MANAGE, "raise a CAPA")
    if source == CapaSource.DEVIATION and deviation is None:
        raise ValidationError({"deviation": "A CAPA from a deviation names the deviation."})
    if deviation is not None:
        require_client_access(actor, deviation)
    client = record_client(
        actor=actor, client=client, involved=[deviation] if deviation is not None else []
    )
    with transaction.atomic():
        capa = Capa(
            client=client,
            number=number.strip(),
            source=source,
            source_reference=source_reference or (deviation.number if deviation else ""),
            deviation=deviation,
            problem_statement=problem_statement,
            root_cause_category=root_cause_category,
            root_cause=root_cause,
            created_at=now(),
            created_by=actor,
        )
        capa.full_clean()
        capa.save()
        audit.record("quality.capa.created", capa, actor=actor)
    return capa


def capa_qa_review(*, actor: Any, capa: Capa, comment: str, credentials: Credentials) -> Capa:
    """E4: QA records, signed, why retraining alone is (or is made) an effective correction."""
    require(actor, MANAGE, "review a CAPA")
    require_client_access(actor, capa)
    if not comment.strip():
        raise ValidationError({"comment": "Say why retraining alone is an effective correction."})
    proof = authenticate_signer(actor=actor, credentials=credentials, meaning="reviewed")
    with transaction.atomic():
        capa = Capa.objects.select_for_update().get(pk=capa.pk)
        if not capa.qa_review_required:
            raise ValidationError(f"{capa.number} is not flagged for QA review.")
        before = audit.state_of(capa)
        capa.qa_reviewed_at = now()
        capa.qa_reviewed_by = actor
        capa.qa_review_comment = comment
        capa.save(update_fields=["qa_reviewed_at", "qa_reviewed_by", "qa_review_comment"])
        sign(proof=proof, obj=capa, meaning="reviewed", comment=comment)
        audit.record("quality.capa.qa_reviewed", capa, actor=actor, before=before, reason=comment)
    return capa


def capa_close(*, actor: Any, capa: Capa, credentials: Credentials, comment: str = "") -> Capa:
    """E2: refused, with what is open, until every action is complete and verified."""
    require(actor, CLOSE, "close a CAPA")
    require_client_access(actor, capa)
    _refuse_if_open(Capa.objects.get(pk=capa.pk), actor)  # before asking for a signature
    proof = authenticate_signer(actor=actor, credentials=credentials, meaning="closed")
    with transaction.atomic():
        capa = Capa.objects.select_for_update().get(pk=capa.pk)
        _refuse_if_open(capa, actor)
        before = audit.state_of(capa)
        capa.status = CapaStatus.CLOSED
        capa.closed_at = now()
        capa.closed_by = actor
        capa.save(update_fields=["status", "closed_at", "closed_by"])
        sign(proof=proof, obj=capa, meaning="closed", comment=comment)
        audit.record(
            "quality.capa.closed",
            capa,
            actor=actor,
            before=before,
            reason=comment or "Closed: every action complete and verified.",
        )
        events.capa_closed.fire(actor=actor, capa=capa)
    return capa


def _refuse_if_open(capa: Capa, actor: Any) -> None:
    if capa.status == CapaStatus.CLOSED:
        # P21: a second submission (double click, second tab) writes nothing.
        raise AlreadyDone(
            f"{capa.number} is already closed; nothing new was written.", existing=capa
        )
    items = capa_open_items(capa)
    if items:
        refuse_closure(actor, capa, "quality.capa.close_refused", items)
