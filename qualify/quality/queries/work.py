"""My work: what waits for one user, the one read behind the inbox page, the API's
GET /api/v1/me/work, the menu's count and the daily digest.

Each kind of work is a small function returning `WorkItem`s for the user; the inbox
is their concatenation, sorted by due date. Every source reads a bounded number of
queries whatever the number of items (the page pins it), and each applies the
client restriction (U2) through `qualify.org.scoping.restrict`, so a restricted user
never sees another client's work counted or listed.

What waits, and for whom:

- trainings to complete: the user's own open assignments (G7), due at their due date;
- reviews to sign: versions in review with no valid review, for whoever may sign
  "reviewed" and did not write them (S2);
- approvals to sign: versions in review with a valid review, for QA approvers who
  neither wrote nor reviewed them (S2);
- classroom and on-the-job sessions to hold: for a trainer, each classroom or
  on-the-job requirement with people waiting, due when the first of them is due;
- CAPA actions: open actions the user owns;
- effectiveness reviews due: actions awaiting a review of effectiveness, for QA;
- periodic reviews due: documents the user owns whose periodic review is due soon
  or overdue (qualify.documents.reviews says when);
- deviations to assess: open deviations with no CAPA raised yet, for QA;
- certificates: external certificates awaiting verification, for coordinators; the
  person's own verified certificate whose record awaits their signature; and for a
  trainer, their classroom sessions with signed attendees, to close with their
  signature.

Reviews, approvals and deviations carry no due date of their own in the records; the
inbox gives them one from settings (QUALIFY_DOCUMENT_REVIEW_DAYS after submission,
QUALIFY_DEVIATION_ASSESSMENT_DAYS after the deviation was recorded), named as a
target in the item's words.

Hazards: the menu count runs on every page a signed-in user sees; it reads the same
sources, so it is at most one query per kind of work the user's roles can receive.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import CharField, Count, Exists, Min, OuterRef, Q, Subquery
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from qualify.audit.registry import object_type_of
from qualify.documents import reviews
from qualify.documents.models import (
    Document,
    DocumentVersion,
    PeriodicReview,
    ReviewOutcome,
    VersionStatus,
)
from qualify.org.scoping import restrict
from qualify.quality.models import ActionStatus, Capa, CapaAction, Deviation
from qualify.quality.models.capa import EffectivenessCheck
from qualify.quality.models.deviation import DeviationStatus
from qualify.signatures.models import Signature
from qualify.signatures.services import content_hash
from qualify.training.models import (
    Assignment,
    AssignmentStatus,
    CertificateStatus,
    ClassSession,
    ExternalCertificate,
    Method,
    Requirement,
    SessionStatus,
    TrainingRecord,
)

TRAINING = "training"
DOCUMENT_REVIEW = "document_review"
DOCUMENT_APPROVAL = "document_approval"
SESSION = "session"
CAPA_ACTION = "capa_action"
EFFECTIVENESS_REVIEW = "effectiveness_review"
PERIODIC_REVIEW = "periodic_review"
DEVIATION = "deviation"
CERTIFICATE = "certificate"
SESSION_CLOSE = "session_close"

KIND_LABELS = {
    TRAINING: "Training to complete",
    DOCUMENT_REVIEW: "Document to review",
    DOCUMENT_APPROVAL: "Document to approve",
    SESSION: "Training session to hold",
    CAPA_ACTION: "CAPA action",
    EFFECTIVENESS_REVIEW: "Effectiveness review",
    PERIODIC_REVIEW: "Periodic review",
    DEVIATION: "Deviation to assess",
    CERTIFICATE: "External certificate",
    SESSION_CLOSE: "Classroom session to close",
}


def review_days() -> int:
    return int(getattr(settings, "QUALIFY_DOCUMENT_REVIEW_DAYS", 10))


def assessment_days() -> int:
    return int(getattr(settings, "QUALIFY_DEVIATION_ASSESSMENT_DAYS", 30))


@dataclass(frozen=True)
class WorkItem:
    """One thing waiting for the user: what, until when, and where it is done."""

    kind: str
    key: str  # "training.assignment:12": stable, for the API and for notices
    title: str
    detail: str
    due_at: dt.datetime | None
    url_name: str
    url_args: tuple = ()
    url_query: str = ""
    next_actor: str = ""  # who acts after the user has done it
    now: dt.datetime = field(default_factory=timezone.now, compare=False, repr=False)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def url(self) -> str:
        path = reverse(self.url_name, args=self.url_args)
        return f"{path}?{self.url_query}" if self.url_query else path

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and self.due_at < self.now


def _roles_perm(user: Any, perm: str) -> bool:
    return bool(user.has_perm(perm))


# --- the sources ----------------------------------------------------------------------


def _trainings(user: Any, at: dt.datetime) -> list[WorkItem]:
    person = getattr(user, "person", None)
    if person is None:
        return []
    rows = restrict(
        Assignment.objects.filter(person=person, status=AssignmentStatus.OPEN),
        user,
        "requirement__client",
    ).select_related("requirement")
    items = []
    for a in rows.order_by("due_at", "pk"):
        requirement = a.requirement
        trainer_needed = requirement.method in (Method.CLASSROOM, Method.ON_THE_JOB)
        items.append(
            WorkItem(
                kind=TRAINING,
                key=f"training.assignment:{a.pk}",
                title=f"{requirement.code} {requirement.title}",
                detail=a.get_reason_display(),
                due_at=a.due_at,
                url_name="web:employee_assignment",
                url_args=(a.pk,),
                next_actor=(
                    "A trainer records the session and signs it; then you sign."
                    if trainer_needed
                    else "Nobody: your signature completes it."
                ),
                now=at,
            )
        )
    return items


def _versions_in_review(user: Any):
    return (
        restrict(
            DocumentVersion.objects.filter(status=VersionStatus.IN_REVIEW),
            user,
            "document__client",
        )
        .exclude(author_id=user.pk)
        .select_related("document")
        .order_by("submitted_at", "pk")
    )


def _review_signatures(versions: list[DocumentVersion]) -> dict[str, list[Signature]]:
    found: dict[str, list[Signature]] = defaultdict(list)
    if versions:
        for s in Signature.objects.filter(
            object_type=object_type_of(DocumentVersion),
            object_id__in=[str(v.pk) for v in versions],
            meaning="reviewed",
        ):
            found[s.object_id].append(s)
    return found


def _approvers() -> dict[int, str]:
    """Active QA approvers by id, with their printed names: who approves next."""
    from django.contrib.auth import get_user_model

    from qualify.accounts.roles import QA_APPROVER

    rows = get_user_model().objects.filter(is_active=True, groups__name=QA_APPROVER)
    return dict(rows.order_by("printed_name", "pk").values_list("pk", "printed_name"))


def _approver_line(approvers: dict[int, str], excluded: set[int]) -> str:
    """S2: neither the reviewer nor the author approves."""
    names = [name for pk, name in approvers.items() if pk not in excluded]
    if not names:
        return "A QA approver approves it (not you, not its author); none is available yet."
    shown = ", ".join(names[:3]) + (f" or {len(names) - 3} more" if len(names) > 3 else "")
    return f"A QA approver approves it: {shown}."


def _documents_to_sign(user: Any, at: dt.datetime) -> list[WorkItem]:
    may_review = _roles_perm(user, "signatures.sign_reviewed")
    may_approve = _roles_perm(user, "documents.approve_version")
    if not (may_review or may_approve):
        return []
    versions = list(_versions_in_review(user))
    signatures = _review_signatures(versions)
    approvers = _approvers() if versions and may_review else {}
    items = []
    for v in versions:
        valid = [s for s in signatures[str(v.pk)] if s.content_hash == content_hash(v)]
        reviewed_by_me = any(s.signer_id == user.pk for s in valid)
        due = (v.submitted_at or v.created_at) + dt.timedelta(days=review_days())
        what = f"{v.document.number} revision {v.revision}"
        if not valid and may_review:
            items.append(
                WorkItem(
                    kind=DOCUMENT_REVIEW,
                    key=f"documents.documentversion:{v.pk}:review",
                    title=f"Review {what}",
                    detail=f"{v.document.title}. Review target: {review_days()} days "
                    "after submission.",
                    due_at=due,
                    url_name="web:document_version",
                    url_args=(v.pk,),
                    next_actor=_approver_line(approvers, {user.pk, v.author_id}),
                    now=at,
                )
            )
        elif valid and may_approve and not reviewed_by_me:
            items.append(
                WorkItem(
                    kind=DOCUMENT_APPROVAL,
                    key=f"documents.documentversion:{v.pk}:approve",
                    title=f"Approve {what}",
                    detail=f"{v.document.title}. Reviewed by "
                    f"{', '.join(sorted({s.printed_name for s in valid}))}.",
                    due_at=due,
                    url_name="web:document_version",
                    url_args=(v.pk,),
                    next_actor="The people who must train on it are assigned at approval; "
                    "they sign their reading.",
                    now=at,
                )
            )
    return items


def _sessions(user: Any, at: dt.datetime) -> list[WorkItem]:
    if not _roles_perm(user, "signatures.sign_trained_by"):
        return []
    waiting = restrict(
        Assignment.objects.filter(
            status=AssignmentStatus.OPEN,
            requirement__method__in=[Method.CLASSROOM, Method.ON_THE_JOB],
            requirement__active=True,
            person__active=True,
        ),
        user,
        "requirement__client",
    )
    person = getattr(user, "person", None)
    if person is not None:
        waiting = waiting.exclude(person=person)  # S2: nobody trains themselves
    rows = (
        waiting.values("requirement_id")
        .annotate(people=Count("person_id", distinct=True), first_due=Min("due_at"))
        .order_by("first_due", "requirement_id")
    )
    rows = list(rows)
    requirements = Requirement.objects.in_bulk([r["requirement_id"] for r in rows])
    # Only what the user may train: a requirement naming a trainer qualification is
    # offered to trainers holding a record of it (the sign-off checks it fully, Q4).
    held = set()
    if person is not None and any(r.trainer_requirement_id for r in requirements.values()):
        held = set(
            TrainingRecord.objects.filter(person=person).values_list("requirement_id", flat=True)
        )
    items = []
    for row in rows:
        requirement = requirements[row["requirement_id"]]
        if requirement.trainer_requirement_id and requirement.trainer_requirement_id not in held:
            continue
        classroom = requirement.method == Method.CLASSROOM
        noun = "a classroom session" if classroom else "an on-the-job qualification"
        people = row["people"]
        items.append(
            WorkItem(
                kind=SESSION,
                key=f"training.requirement:{requirement.pk}:session",
                title=f"Hold {noun}: {requirement.code} {requirement.title}",
                detail=f"{people} {'person is' if people == 1 else 'people are'} waiting.",
                due_at=row["first_due"],
                # Classroom: schedule a session (room, seats, enrolment, a signing
                # window); attendees sign on the kiosk or their own device (P40).
                url_name="web:trainer_sessions" if classroom else "web:trainer_ojt",
                url_query=f"requirement={requirement.pk}"
                if classroom
                else f"requirement={requirement.pk}&suggest=1",
                next_actor="Each trainee signs their record after you sign as trainer.",
                now=at,
            )
        )
    return items


def _capa_actions(user: Any, at: dt.datetime) -> list[WorkItem]:
    rows = restrict(
        CapaAction.objects.filter(owner_id=user.pk, status=ActionStatus.OPEN),
        user,
        "capa__client",
    ).select_related("capa")
    return [
        WorkItem(
            kind=CAPA_ACTION,
            key=f"quality.capaaction:{a.pk}",
            title=f"{a.capa.number}: {a.get_kind_display()} action",
            detail=a.description[:200],
            due_at=a.due_at,
            url_name="web:quality_detail",
            url_args=("capas", a.capa_id),
            next_actor="A QA approver closes the CAPA once every action is complete.",
            now=at,
        )
        for a in rows.order_by("due_at", "pk")
    ]


def _effectiveness_reviews(user: Any, at: dt.datetime) -> list[WorkItem]:
    if not _roles_perm(user, "quality.manage_capa"):
        return []
    rows = restrict(
        CapaAction.objects.filter(
            status=ActionStatus.AWAITING_VERIFICATION,
            effectiveness_check=EffectivenessCheck.REVIEW,
            review_on__isnull=False,
        ),
        user,
        "capa__client",
    ).select_related("capa")
    return [
        WorkItem(
            kind=EFFECTIVENESS_REVIEW,
            key=f"quality.capaaction:{a.pk}:effectiveness",
            title=f"{a.capa.number}: review the effectiveness of action {a.pk}",
            detail=a.description[:200]
            + ("" if a.review_on <= at else " (possible from the review date)"),
            due_at=a.review_on,
            url_name="web:quality_action_review",
            url_args=(a.pk,),
            next_actor="A QA approver closes the CAPA once every action is complete.",
            now=at,
        )
        for a in rows.order_by("review_on", "pk")
    ]


def _periodic_reviews(user: Any, at: dt.datetime) -> list[WorkItem]:
    """The owner's documents whose periodic review is due soon or overdue, computed
    from the same rows as qualify.documents.reviews, in one query for all of them."""
    current = DocumentVersion.objects.filter(
        document=OuterRef("pk"),
        status=VersionStatus.APPROVED,
        effective_from__isnull=False,
        effective_from__lte=at,
    ).exclude(effective_to__lte=at)
    last = PeriodicReview.objects.filter(document=OuterRef("pk"), reviewed_at__lte=at).order_by(
        "-reviewed_at", "-pk"
    )
    rows = (
        restrict(
            Document.objects.filter(
                owner_id=user.pk, review_interval_months__isnull=False, obsolete_from__isnull=True
            ).exclude(obsolete_from__lte=at),
            user,
        )
        .annotate(
            current_from=Subquery(
                current.order_by("-effective_from", "-sequence").values("effective_from")[:1]
            ),
            last_reviewed=Subquery(last.values("reviewed_at")[:1]),
            last_outcome=Subquery(last.values("outcome")[:1]),
            last_revision_status=Subquery(last.values("revision__status")[:1]),
        )
        .order_by("number")
    )
    soon = at + dt.timedelta(days=reviews.due_soon_days())
    items = []
    for d in rows:
        revision_open = d.last_outcome == ReviewOutcome.REVISION and d.last_revision_status in (
            VersionStatus.DRAFT,
            VersionStatus.IN_REVIEW,
        )
        if d.current_from is None or revision_open:
            continue
        since = max(d.current_from, d.last_reviewed or d.current_from)
        due = reviews.add_months(since, d.review_interval_months)
        if due > soon:
            continue
        items.append(
            WorkItem(
                kind=PERIODIC_REVIEW,
                key=f"documents.document:{d.pk}:periodic:{due.date().isoformat()}",
                title=f"Periodic review of {d.number}",
                detail=d.title,
                due_at=due,
                url_name="web:document_review",
                url_args=(d.number,),
                next_actor="Nobody when nothing changes; a new revision goes to review "
                "and approval.",
                now=at,
            )
        )
    return items


def _deviations(user: Any, at: dt.datetime) -> list[WorkItem]:
    if not _roles_perm(user, "quality.manage_capa"):
        return []
    has_capa = Capa.objects.filter(deviation=OuterRef("pk"))
    rows = restrict(
        Deviation.objects.filter(status=DeviationStatus.OPEN).exclude(Exists(has_capa)),
        user,
    )
    return [
        WorkItem(
            kind=DEVIATION,
            key=f"quality.deviation:{d.pk}",
            title=f"Assess deviation {d.number}",
            detail=d.description[:200]
            + f" Assessment target: {assessment_days()} days after it was recorded.",
            due_at=d.recorded_at + dt.timedelta(days=assessment_days()),
            url_name="web:quality_detail",
            url_args=("deviations", d.pk),
            next_actor="QA raises a CAPA or closes the deviation with its reason.",
            now=at,
        )
        for d in rows.order_by("recorded_at", "pk")
    ]


def _certificates(user: Any, at: dt.datetime) -> list[WorkItem]:
    """Certificates to verify (coordinators) and one's own verified certificate whose
    record awaits one's signature: at most two queries."""
    items = []
    if _roles_perm(user, "training.verify_certificate"):
        waiting = restrict(
            ExternalCertificate.objects.filter(status=CertificateStatus.SUBMITTED),
            user,
            "requirement__client",
        ).exclude(person__user_id=user.pk)
        items += [
            WorkItem(
                kind=CERTIFICATE,
                key=f"training.externalcertificate:{c.pk}:verify",
                title=f"Verify the certificate of {c.person.full_name}: {c.requirement.code}",
                detail=f"From {c.issuer}, submitted {c.submitted_at:%Y-%m-%d}.",
                due_at=None,
                url_name="web:coordinator_certificate",
                url_args=(c.pk,),
                next_actor="The person signs their training record after you verify it.",
                now=at,
            )
            for c in waiting.select_related("person", "requirement").order_by("submitted_at")[:100]
        ]
    signed = Signature.objects.filter(
        object_type=object_type_of(TrainingRecord),
        object_id=Cast(OuterRef("record_id"), CharField()),
        signer_id=user.pk,
        meaning="completed_training",
    )
    mine = (
        ExternalCertificate.objects.filter(
            status=CertificateStatus.VERIFIED, person__user_id=user.pk
        )
        .annotate(signed=Exists(signed))
        .filter(signed=False)
        .select_related("requirement")
    )
    items += [
        WorkItem(
            kind=CERTIFICATE,
            key=f"training.externalcertificate:{c.pk}:sign",
            title=f"Sign your training record: {c.requirement.code} {c.requirement.title}",
            detail=f"Your certificate from {c.issuer} was verified.",
            due_at=None,
            url_name="web:employee_certificate",
            url_args=(c.pk,),
            next_actor="Nobody: the training is complete once you sign.",
            now=at,
        )
        for c in mine
    ]
    return items


def _sessions_to_close(user: Any, at: dt.datetime) -> list[WorkItem]:
    """The trainer's scheduled sessions with attendees who signed: one query."""
    if not _roles_perm(user, "signatures.sign_trained_by"):
        return []
    rows = (
        ClassSession.objects.filter(status=SessionStatus.SCHEDULED, trainer__user_id=user.pk)
        .annotate(signed=Count("enrolments", filter=Q(enrolments__record__isnull=False)))
        .filter(signed__gt=0)
        .select_related("requirement")
        .order_by("starts_at")
    )
    return [
        WorkItem(
            kind=SESSION_CLOSE,
            key=f"training.classsession:{s.pk}:close",
            title=f"Close the session: {s.requirement.code} in {s.room}",
            detail=f"{s.signed} attendee(s) signed; their training counts once you sign.",
            due_at=s.ends_at,
            url_name="web:trainer_session",
            url_args=(s.pk,),
            next_actor="Nobody: your signature completes the attendees' training.",
            now=at,
        )
        for s in rows
    ]


SOURCES: dict[str, Callable[[Any, dt.datetime], list[WorkItem]]] = {
    TRAINING: _trainings,
    DOCUMENT_REVIEW: _documents_to_sign,  # and approvals: one read of the versions
    SESSION: _sessions,
    CAPA_ACTION: _capa_actions,
    EFFECTIVENESS_REVIEW: _effectiveness_reviews,
    PERIODIC_REVIEW: _periodic_reviews,
    DEVIATION: _deviations,
    CERTIFICATE: _certificates,
    SESSION_CLOSE: _sessions_to_close,
}


def _due_key(item: WorkItem) -> tuple:
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return (item.due_at or far, item.kind, item.key)


def my_work(user: Any, *, at: dt.datetime | None = None) -> list[WorkItem]:
    """Everything waiting for `user` at `at` (now), soonest due first."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    at = at or timezone.now()
    items: list[WorkItem] = []
    for source in SOURCES.values():
        items.extend(source(user, at))
    return sorted(items, key=_due_key)


def counts(items: list[WorkItem]) -> dict[str, int]:
    """Items per kind, in the order of KIND_LABELS, only kinds present."""
    found: dict[str, int] = defaultdict(int)
    for item in items:
        found[item.kind] += 1
    return {kind: found[kind] for kind in KIND_LABELS if found[kind]}


def work_count(user: Any, *, at: dt.datetime | None = None) -> int:
    """How many things wait for `user`: the menu's badge."""
    return len(my_work(user, at=at))


# --- who acts next -------------------------------------------------------------------


def candidates(perm: str | None = None, user_ids: list[int] | None = None):
    """Active users holding `perm` (through a role or directly), or among `user_ids`."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    rows = get_user_model().objects.filter(is_active=True)
    if user_ids is not None:
        rows = rows.filter(pk__in=user_ids)
    if perm is not None:
        app_label, codename = perm.split(".")
        rows = rows.filter(
            Q(
                groups__permissions__codename=codename,
                groups__permissions__content_type__app_label=app_label,
            )
            | Q(
                user_permissions__codename=codename,
                user_permissions__content_type__app_label=app_label,
            )
        ).distinct()
    return rows.order_by("printed_name", "pk")


def holders(kind: str, key: str, *, perm=None, user_ids=None, at=None) -> list:
    """The users whose inbox (source `kind`) now holds the item `key`: who acts next, by
    the inbox's own rules (S2, U2). Also who is mailed (qualify.quality.work_notices)."""
    at = at or timezone.now()
    return [
        user
        for user in candidates(perm, user_ids)
        if any(item.key == key for item in SOURCES[kind](user, at))
    ]


def _names(users: list) -> str:
    names = [u.printed_name or u.username for u in users]
    return ", ".join(names[:3]) + (", …" if len(names) > 3 else "")


SUBMITTED = "submitted"
REVIEWED = "reviewed"
APPROVED = "approved"
READ = "read"
ACTION_ADDED = "action_added"
ACTION_COMPLETED = "action_completed"
CAPA_RAISED = "capa_raised"
PRACTICAL_SIGNED = "practical_signed"
CLOSED = "closed"


def next_actor(step: str, obj: Any = None) -> str:
    """The sentence a page shows after `step` on `obj`: who acts next, named from the
    inboxes that now hold the work."""
    if step == SUBMITTED:
        who = holders(
            DOCUMENT_REVIEW,
            f"documents.documentversion:{obj.pk}:review",
            perm="signatures.sign_reviewed",
        )
        if not who:
            return "Next: review, but nobody else may review it yet."
        return f"Next: review by a reviewer ({_names(who)})."
    if step == REVIEWED:
        who = holders(
            DOCUMENT_REVIEW,
            f"documents.documentversion:{obj.pk}:approve",
            perm="documents.approve_version",
        )
        if not who:
            return (
                "Next: approval by a QA approver, but none other than its author and "
                "reviewer is available yet."
            )
        return f"Next: approval by a QA approver ({_names(who)})."
    if step == APPROVED:
        return "Next: the people who must train on it sign their reading."
    if step == READ:
        return "Next: nobody; your signature completes it."
    if step == ACTION_ADDED:
        who = holders(CAPA_ACTION, f"quality.capaaction:{obj.pk}", user_ids=[obj.owner_id])
        if not who:
            return "Next: the action's owner, who cannot see it yet."
        return f"Next: {_names(who)} carries out the action."
    if step == ACTION_COMPLETED:
        return "Next: a QA approver closes the CAPA once every action is complete."
    if step == CAPA_RAISED:
        return "Next: add its actions; each owner is told."
    if step == PRACTICAL_SIGNED:
        return "Next: nobody; the trainee's and your signatures complete it."
    if step == CLOSED:
        return "Next: nobody; the record is closed and its training picture is final."
    raise ValueError(f"Unknown step {step!r}")
