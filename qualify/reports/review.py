"""Audit-trail review (EU GMP Annex 11 §9; data-integrity guidance): services and
queries.

Who reviews: QA approvers. The auditor reads the trail but is read-only and never
signs (U2), and the administrator may not sign GxP records, so the signed review is
QA's; auditors may read the reviews.

- `review_open()` fixes what a review covers: the events of its scope after the
  previous review of that scope, up to the trail's end when opened. A second open of
  the same scope returns the open review (one at a time).
- `review_note()` records a finding on one covered entry.
- `review_sign()` signs it ("reviewed"): credentials are checked before the
  transaction (authenticate_signer), the signature is applied inside it.
- `send_overdue_reminders()` is a daily job: a scope whose last signed review is older
  than QUALIFY_AUDIT_REVIEW_DAYS (default 30; per scope in
  QUALIFY_AUDIT_REVIEW_DAYS_BY_SCOPE, keyed "type@SITE" with "*" for all) mails the
  QA approvers, at most once per scope and day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import CharField, Max, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from qualify.accounts.policy import AUDIT_REVIEW, holds
from qualify.accounts.roles import QA_APPROVER
from qualify.audit import services as audit
from qualify.audit.models import AuditEvent
from qualify.org.models import Person, Site
from qualify.reports.review_models import (
    AuditReview,
    AuditReviewFinding,
    AuditReviewReminder,
    ReviewStatus,
)
from qualify.signatures.services import Credentials, authenticate_signer, sign

MEANING = "reviewed"
# Records that belong to a person, and so to the person's site.
PERSONAL = {
    "training.trainingrecord": "training.TrainingRecord",
    "training.assignment": "training.Assignment",
}


def scope_key(object_type: str, site: Site | None) -> str:
    return f"{object_type.strip().lower() or '*'}@{site.code if site else '*'}"


def _require_reviewer(actor: Any) -> None:
    if not holds(actor, AUDIT_REVIEW.write):
        raise PermissionDenied("Only a QA approver reviews and signs the audit trail.")


def _ids(rows: QuerySet) -> QuerySet:
    return rows.annotate(key=Cast("pk", CharField())).values("key")


def _scope_filter(object_type: str, site: Site | None) -> Q:
    q = Q()
    if object_type:
        q &= Q(object_type=object_type)
    if site is not None:
        from django.apps import apps

        people = Person.objects.filter(site=site)
        at_site = Q(actor_id__in=people.filter(user__isnull=False).values("user_id"))
        at_site |= Q(object_type="org.person", object_id__in=_ids(people))
        at_site |= Q(object_type="org.site", object_id=str(site.pk))
        for object_type_name, model_name in PERSONAL.items():
            model = apps.get_model(model_name)
            at_site |= Q(
                object_type=object_type_name,
                object_id__in=_ids(model.objects.filter(person__site=site)),
            )
        q &= at_site
    return q


def scope_events(object_type: str, site: Site | None) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(_scope_filter(object_type, site)).order_by("seq")


def covered_events(review: AuditReview) -> QuerySet[AuditEvent]:
    """Exactly the entries the review covers."""
    return scope_events(review.object_type, review.site).filter(
        seq__gt=review.first_seq, seq__lte=review.last_seq
    )


def last_signed(key: str) -> AuditReview | None:
    return (
        AuditReview.objects.filter(scope_key=key, status=ReviewStatus.SIGNED)
        .order_by("-last_seq", "-pk")
        .first()
    )


def reviews() -> QuerySet[AuditReview]:
    return AuditReview.objects.select_related("site", "opened_by", "signed_by").order_by(
        "-opened_at", "-pk"
    )


def review_open(*, actor: Any, object_type: str = "", site: Site | None = None) -> AuditReview:
    """Open the review of a scope: the entries since the previous review of it."""
    _require_reviewer(actor)
    object_type = (object_type or "").strip().lower()
    if object_type and "." not in object_type:
        raise ValidationError(
            {"object_type": "Name the record type as app.model, e.g. training.trainingrecord."}
        )
    key = scope_key(object_type, site)
    with transaction.atomic():
        existing = AuditReview.objects.filter(scope_key=key, status=ReviewStatus.OPEN).first()
        if existing is not None:
            return existing
        previous = last_signed(key)
        first_seq = previous.last_seq if previous else 0
        last_seq = AuditEvent.objects.aggregate(m=Max("seq"))["m"] or 0
        now = timezone.now()
        review = AuditReview(
            object_type=object_type,
            site=site,
            scope_key=key,
            first_seq=first_seq,
            last_seq=last_seq,
            period_start=previous.period_end if previous else None,
            period_end=now,
            opened_by=actor,
            opened_at=now,
        )
        review.entries = covered_events(review).count()
        review.full_clean()
        review.save()
        audit.record("report.audit_review.opened", review, actor=actor)
    return review


def review_note(*, actor: Any, review: AuditReview, seq: int, note: str) -> AuditReviewFinding:
    """A finding on one entry the review covers."""
    _require_reviewer(actor)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Write what you found about this entry."})
    with transaction.atomic():
        review = AuditReview.objects.select_for_update().get(pk=review.pk)
        if review.status != ReviewStatus.OPEN:
            raise ValidationError("This review is signed: no finding can be added.")
        if not covered_events(review).filter(seq=seq).exists():
            raise ValidationError({"seq": f"Entry {seq} is not one this review covers."})
        if review.findings.filter(seq=seq).exists():
            raise ValidationError({"seq": f"Entry {seq} already has a finding in this review."})
        finding = AuditReviewFinding(
            review=review, seq=seq, note=note, noted_by=actor, noted_at=timezone.now()
        )
        finding.save()
        audit.record("report.audit_review.finding", finding, actor=actor)
    return finding


def review_sign(
    *, actor: Any, review: AuditReview, credentials: Credentials, conclusion: str = ""
) -> AuditReview:
    """Sign the review ("reviewed", S1): the password is checked before the
    transaction, so a refused signature is audited and counted."""
    _require_reviewer(actor)
    if AuditReview.objects.get(pk=review.pk).status != ReviewStatus.OPEN:
        raise ValidationError("This review is already signed.")
    proof = authenticate_signer(actor=actor, credentials=credentials, meaning=MEANING)
    with transaction.atomic():
        review = AuditReview.objects.select_for_update().get(pk=review.pk)
        if review.status != ReviewStatus.OPEN:
            raise ValidationError("This review is already signed.")
        before = audit.state_of(review)
        review.status = ReviewStatus.SIGNED
        review.signed_by = actor
        review.signed_at = timezone.now()
        review.conclusion = (conclusion or "").strip()
        review.save(update_fields=["status", "signed_by", "signed_at", "conclusion"])
        sign(proof=proof, obj=review, meaning=MEANING, comment=review.conclusion)
        audit.record(
            "report.audit_review.signed",
            review,
            actor=actor,
            before=before,
            reason=review.conclusion or f"Reviewed {review.entries} entries.",
        )
    return review


# Reminders -----------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    key: str
    label: str
    due_at: dt.datetime | None

    def overdue(self, now: dt.datetime) -> bool:
        return self.due_at is not None and self.due_at <= now


def interval_days(key: str) -> int:
    by_scope = getattr(settings, "QUALIFY_AUDIT_REVIEW_DAYS_BY_SCOPE", {}) or {}
    return int(by_scope.get(key, getattr(settings, "QUALIFY_AUDIT_REVIEW_DAYS", 30)))


def due_reviews() -> list[Due]:
    """Every scope to review: the whole trail, and each scope reviewed before or
    named in QUALIFY_AUDIT_REVIEW_DAYS_BY_SCOPE; each with the date it is due."""
    keys = {"*@*"}
    keys |= set(AuditReview.objects.values_list("scope_key", flat=True))
    keys |= set((getattr(settings, "QUALIFY_AUDIT_REVIEW_DAYS_BY_SCOPE", {}) or {}).keys())
    out = []
    for key in sorted(keys):
        days = dt.timedelta(days=interval_days(key))
        previous = last_signed(key)
        if previous is not None:
            due_at = previous.signed_at + days
        else:
            first = AuditEvent.objects.order_by("seq").values_list("recorded_at", flat=True)
            start = first.first()
            due_at = start + days if start else None
        object_type, _, site = key.partition("@")
        label = (
            f"{'all record types' if object_type == '*' else object_type}, "
            f"{'all sites' if site == '*' else 'site ' + site}"
        )
        out.append(Due(key, label, due_at))
    return out


def _reviewers() -> list[str]:
    users = get_user_model().objects.filter(is_active=True, groups__name=QA_APPROVER)
    return sorted({u.email for u in users if u.email})


def _mail(due: Due, recipients: list[str]) -> None:
    when = f"{due.due_at.astimezone(dt.UTC):%Y-%m-%d} (UTC)" if due.due_at else ""
    send_mail(
        f"Audit-trail review overdue: {due.label}",
        f"The periodic review of the audit trail ({due.label}) was due on {when}. Open it "
        "in Qualify under Reports, Audit-trail reviews, note your findings and sign it.",
        None,
        recipients,
    )


def send_overdue_reminders(now: dt.datetime) -> dict[str, int]:
    """Daily job: one mail to the QA approvers per overdue scope and day (the plant's
    day, TIME_ZONE, not UTC's)."""
    sent = 0
    day = timezone.localdate(now)
    recipients = _reviewers()
    for due in due_reviews():
        if not due.overdue(now):
            continue
        try:
            with transaction.atomic():
                AuditReviewReminder.objects.create(
                    scope_key=due.key, day=day, sent_at=now, recipients=len(recipients)
                )
                if recipients:
                    transaction.on_commit(partial(_mail, due, recipients))
        except IntegrityError:
            continue  # already reminded today
        sent += 1
    return {"audit_review_reminders_sent": sent}
