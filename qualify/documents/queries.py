"""Document reads. "Effective" is always answered from the dates by the one Q1
definition in qualify.documents.timeline, never from stored state."""

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from qualify.accounts.roles import DOCUMENT_CONTROLLER, QA_APPROVER
from qualify.audit.registry import object_type_of
from qualify.documents import reviews, timeline
from qualify.documents.models import (
    Document,
    DocumentType,
    DocumentVersion,
    PeriodicReview,
    VersionStatus,
)
from qualify.org.scoping import restrict
from qualify.signatures.models import Signature


def effective_version(
    document: Document, *, at: dt.datetime, as_known_at: dt.datetime | None = None
) -> DocumentVersion | None:
    """Q1/Q7: the version of `document` effective at `at`, as known at as_known_at.

    The versions and the obsolescence are both read from the database now, so a
    stale `document` instance cannot mix an old obsolete date with new versions."""
    obsolete_from, obsolete_recorded_at = (
        Document.objects.filter(pk=document.pk)
        .values_list("obsolete_from", "obsolete_recorded_at")
        .get()
    )
    return timeline.effective_version(
        DocumentVersion.objects.filter(document_id=document.pk, status=VersionStatus.APPROVED),
        at=at,
        as_known_at=as_known_at,
        obsolete_from=obsolete_from,
        obsolete_recorded_at=obsolete_recorded_at,
    )


def version_state(version: DocumentVersion, at: dt.datetime) -> str:
    """Lifecycle label at an instant: Draft, In review, Withdrawn, Approved (not yet
    effective), Effective, Superseded or Obsolete."""
    return version.state_at(at)


def documents(user: Any) -> QuerySet[Document]:
    """Documents `user` may see (U2 client restriction)."""
    return restrict(Document.objects.select_related("site", "client", "owner"), user)


def versions(user: Any) -> QuerySet[DocumentVersion]:
    """Document versions `user` may see (U2 client restriction)."""
    return restrict(
        DocumentVersion.objects.select_related("document", "author"), user, "document__client"
    )


LIST_PAGE_SIZE = 50


def document_list_page(
    user: Any, *, text: str = "", kind: str = "", number=1, at: dt.datetime
) -> tuple[Page, list[dict]]:
    """One page of the documents `user` may see, searched by number or title and of
    type `kind`, each row with the version effective at `at` and the one being worked
    on. Issue 18: only the versions that can be either are read (not the superseded
    ones, most of a long-lived document's), and only the columns the list shows;
    which one is effective is still `state_at`'s answer. The page's versions are one
    read grouped here, not Django's prefetch (whose per-document work and join to
    the documents for their order cost more than the read itself)."""
    rows = (
        restrict(Document.objects.select_related("client"), user)
        .only("number", "title", "doc_type", "obsolete_from", "client")
        .order_by("number")
    )
    if text:
        rows = rows.filter(Q(number__icontains=text) | Q(title__icontains=text))
    if kind in DocumentType.values:
        rows = rows.filter(doc_type=kind)
    page = Paginator(rows, LIST_PAGE_SIZE).get_page(number)
    documents_shown = list(page.object_list)
    versions = (
        DocumentVersion.objects.filter(
            Q(status=VersionStatus.APPROVED)
            & (Q(effective_to__isnull=True) | Q(effective_to__gt=at))
            | Q(status__in=(VersionStatus.DRAFT, VersionStatus.IN_REVIEW)),
            document_id__in=[document.pk for document in documents_shown],
        )
        .only("document_id", "revision", "sequence", "status", "effective_from", "effective_to")
        .order_by("document_id", "sequence")
    )
    by_document: dict[int, list[DocumentVersion]] = {}
    for version in versions if documents_shown else ():
        by_document.setdefault(version.document_id, []).append(version)
    table = []
    for document in documents_shown:
        shown = by_document.get(document.pk, [])
        for version in shown:
            version.document = document
        effective = next((v for v in shown if v.state_at(at) == "Effective"), None)
        worked_on = (VersionStatus.DRAFT, VersionStatus.IN_REVIEW)
        pending = next((v for v in shown if v.status in worked_on), None)
        table.append({"document": document, "effective": effective, "pending": pending})
    return page, table


def document_by_number(number: str, user: Any = None) -> Document | None:
    """The document with this number; with a user, None also when it belongs to a
    client the user may not see (indistinguishable from a missing one, U2)."""
    rows = Document.objects.all() if user is None else documents(user)
    return rows.filter(number=(number or "").strip()).first()


def versions_with_signatures(document: Document) -> list[DocumentVersion]:
    """The document's versions in sequence order, each with `.signature_list` (its
    signatures in signing order), in two queries."""
    rows = list(document.versions.select_related("author", "baseline").order_by("sequence"))
    by_version: dict[str, list[Signature]] = {str(v.pk): [] for v in rows}
    if rows:
        signatures = Signature.objects.filter(
            object_type=object_type_of(DocumentVersion), object_id__in=list(by_version)
        ).order_by("signed_at", "pk")
        for signature in signatures:
            by_version[signature.object_id].append(signature)
    for version in rows:
        version.signature_list = by_version[str(version.pk)]
    return rows


def possible_owners() -> QuerySet:
    """Active accounts that may own a document: document controllers and QA approvers."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[DOCUMENT_CONTROLLER, QA_APPROVER])
        .distinct()
        .order_by("printed_name", "username")
    )


def periodic_reviews(document: Document) -> list:
    """The document's periodic reviews, oldest first, each with `.signature_list`."""
    rows = list(
        document.periodic_reviews.select_related("version", "revision", "reviewed_by").order_by(
            "reviewed_at", "pk"
        )
    )
    by_review: dict[str, list[Signature]] = {str(r.pk): [] for r in rows}
    if rows:
        for signature in Signature.objects.filter(
            object_type=object_type_of(PeriodicReview), object_id__in=list(by_review)
        ).order_by("signed_at", "pk"):
            by_review[signature.object_id].append(signature)
    for review in rows:
        review.signature_list = by_review[str(review.pk)]
    return rows


def reviews_due(user: Any, *, at: dt.datetime, within_days: int | None = None) -> list:
    """(document, ReviewStatus) of the documents `user` may see whose periodic review
    is due soon or overdue at `at`, soonest first: for inboxes and lists."""
    found = []
    rows = documents(user).filter(review_interval_months__isnull=False, obsolete_from__isnull=True)
    for document in rows:
        status = reviews.review_status(document, at=at)
        if status.needs_review or (
            within_days is not None
            and status.due_at is not None
            and status.due_at <= at + dt.timedelta(days=within_days)
        ):
            found.append((document, status))
    return sorted(found, key=lambda pair: pair[1].due_at)
