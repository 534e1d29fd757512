"""Change control services: raise, approve (signed), link revisions, close (signed, E2)."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from qualify.audit import services as audit
from qualify.documents.models import Document, DocumentVersion, VersionStatus
from qualify.guards import AlreadyDone
from qualify.org.models import Client, JobFunction, Site
from qualify.quality import events
from qualify.quality.models import ChangeControl, ChangeControlRevision, ChangeControlStatus
from qualify.quality.queries.open_items import change_control_open_items
from qualify.quality.services.clients import record_client, require_client_access
from qualify.quality.services.common import now, refuse_closure, require
from qualify.signatures.services import Credentials, authenticate_signer, sign

MANAGE = "quality.manage_change_control"
CLOSE = "quality.close_quality_event"


def change_control_create(
    *,
    actor: Any,
    number: str,
    title: str,
    description: str,
    reason: str,
    risk: str,
    planned_effective_date: dt.date,
    affected_documents: Iterable[Document] = (),
    affected_job_functions: Iterable[JobFunction] = (),
    site: Site | None = None,
    risk_assessment: str = "",
    client: Client | None = None,
) -> ChangeControl:
    """Raise a change control. Its client (U2) is `client` when given, else the one
    client of its affected documents and job functions, else the actor's only client,
    else none (in-house); see quality.services.clients. Affected things of two clients
    are refused, and a client-restricted actor cannot raise an in-house change or
    another client's."""
    require(actor, MANAGE, "raise a change control")
    documents, job_functions = list(affected_documents), list(affected_job_functions)
    client = record_client(actor=actor, client=client, involved=[*documents, *job_functions])
    with transaction.atomic():
        cc = ChangeControl(
            client=client,
            number=number.strip(),
            title=title,
            description=description,
            reason=reason,
            risk=risk,
            risk_assessment=risk_assessment,
            site=site,
            planned_effective_date=planned_effective_date,
            created_at=now(),
            created_by=actor,
        )
        cc.full_clean()
        cc.save()
        cc.affected_documents.set(documents)
        cc.affected_job_functions.set(job_functions)
        audit.record(
            "quality.change_control.created",
            cc,
            actor=actor,
            detail={
                "affected_documents": [d.number for d in documents],
                "affected_job_functions": [j.code for j in job_functions],
            },
        )
    return cc


def change_control_approve(
    *, actor: Any, change_control: ChangeControl, credentials: Credentials, comment: str = ""
) -> ChangeControl:
    require(actor, MANAGE, "approve a change control")
    require_client_access(actor, change_control)
    if actor.pk == change_control.created_by_id:
        raise ValidationError(
            "The person who raised a change control cannot approve it; someone else must."
        )
    proof = authenticate_signer(actor=actor, credentials=credentials, meaning="approved")
    with transaction.atomic():
        cc = ChangeControl.objects.select_for_update().get(pk=change_control.pk)
        if cc.status != ChangeControlStatus.DRAFT:
            raise ValidationError(f"{cc.number} is {cc.get_status_display().lower()}, not a draft.")
        before = audit.state_of(cc)
        cc.status = ChangeControlStatus.APPROVED
        cc.approved_at = now()
        cc.save(update_fields=["status", "approved_at"])
        sign(proof=proof, obj=cc, meaning="approved", comment=comment)
        audit.record(
            "quality.change_control.approved",
            cc,
            actor=actor,
            before=before,
            reason=comment or "Change control approved by e-signature.",
        )
    return cc


def change_control_link_revision(
    *, actor: Any, change_control: ChangeControl, version: DocumentVersion
) -> ChangeControlRevision:
    """Record that `version` is made under this change; its training follows G3."""
    require(actor, MANAGE, "link revisions to a change control")
    require_client_access(actor, change_control)
    with transaction.atomic():
        cc = ChangeControl.objects.select_for_update().get(pk=change_control.pk)
        if cc.status in (ChangeControlStatus.CLOSED, ChangeControlStatus.CANCELLED):
            raise ValidationError(f"{cc.number} is {cc.get_status_display().lower()}.")
        if version.status == VersionStatus.WITHDRAWN:
            raise ValidationError(f"{version} is withdrawn.")
        if not cc.affected_documents.filter(pk=version.document_id).exists():
            raise ValidationError(
                f"{version.document.number} is not among the documents affected by {cc.number}."
            )
        existing = ChangeControlRevision.objects.filter(version=version).first()
        if existing is not None:
            raise ValidationError(
                f"{version} is already linked to {existing.change_control.number}."
            )
        link = ChangeControlRevision(
            change_control=cc, version=version, linked_at=now(), linked_by=actor
        )
        link.full_clean()
        link.save()
        audit.record(
            "quality.change_control.revision_linked",
            link,
            actor=actor,
            detail={"change_control": cc.number, "version": str(version)},
        )
    return link


def change_control_close(
    *, actor: Any, change_control: ChangeControl, credentials: Credentials, comment: str = ""
) -> ChangeControl:
    """E2: refused, with what is open, until every linked revision is effective and every
    assignment the change caused is completed or cancelled with a reason."""
    require(actor, CLOSE, "close a change control")
    require_client_access(actor, change_control)
    _refuse_if_open(
        ChangeControl.objects.get(pk=change_control.pk), actor
    )  # before asking for a signature
    proof = authenticate_signer(actor=actor, credentials=credentials, meaning="closed")
    with transaction.atomic():
        cc = ChangeControl.objects.select_for_update().get(pk=change_control.pk)
        _refuse_if_open(cc, actor)
        before = audit.state_of(cc)
        cc.status = ChangeControlStatus.CLOSED
        cc.closed_at = now()
        cc.closed_by = actor
        cc.save(update_fields=["status", "closed_at", "closed_by"])
        sign(proof=proof, obj=cc, meaning="closed", comment=comment)
        audit.record(
            "quality.change_control.closed",
            cc,
            actor=actor,
            before=before,
            reason=comment or "Closed: every revision effective, all training complete.",
        )
        events.change_control_closed.fire(actor=actor, change_control=cc)
    return cc


def _refuse_if_open(cc: ChangeControl, actor: Any) -> None:
    if cc.status == ChangeControlStatus.CLOSED:
        # P21: a second submission (double click, second tab) writes nothing.
        raise AlreadyDone(f"{cc.number} is already closed; nothing new was written.", existing=cc)
    items = change_control_open_items(cc)
    if items:
        refuse_closure(actor, cc, "quality.change_control.close_refused", items)
