"""Audit-trail review (EU GMP Annex 11 §9): a QA approver reviews the entries of a
scope since the previous review of that scope, notes findings and signs (S1);
overdue reviews are reminded once a day by the daily scheduler."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from qualify.accounts import roles
from qualify.audit.models import AuditEvent
from qualify.org import services as org
from qualify.reports import review as service
from qualify.reports.review_models import AuditReview, AuditReviewReminder, ReviewStatus
from qualify.signatures.models import Signature
from qualify.signatures.services import Credentials, SignatureRefused
from qualify.training import scheduler
from tests.personas import PASSWORD, make_user


def creds(user, password=PASSWORD):
    return Credentials(username=user.username, password=password)


def _sign(qa, review):
    return service.review_sign(actor=qa, review=review, credentials=creds(qa), conclusion="ok")


@pytest.mark.requirement("A1", "S1")
def test_review_covers_exactly_the_entries_since_the_previous_review_of_its_scope(qa, admin):
    make_user("u_one", roles.EMPLOYEE)
    first = service.review_open(actor=qa, object_type="accounts.user")
    in_first = set(service.covered_events(first).values_list("seq", flat=True))
    users_before = set(
        AuditEvent.objects.filter(object_type="accounts.user").values_list("seq", flat=True)
    )
    # The first review covers every user event up to its opening, nothing else.
    assert in_first == users_before
    assert first.entries == len(in_first)
    _sign(qa, first)

    make_user("u_two", roles.EMPLOYEE)  # new events in scope
    org.site_create(actor=admin, code="XX", name="Other plant")  # out of scope
    second = service.review_open(actor=qa, object_type="accounts.user")
    in_second = set(service.covered_events(second).values_list("seq", flat=True))
    expected = set(
        AuditEvent.objects.filter(object_type="accounts.user", seq__gt=first.last_seq)
        .exclude(action__startswith="report.audit_review")
        .values_list("seq", flat=True)
    )
    assert second.first_seq == first.last_seq
    assert in_second == expected
    assert in_second
    assert not (in_second & in_first)
    assert not AuditEvent.objects.filter(seq__in=in_second).exclude(object_type="accounts.user")
    # Another scope is not moved on by this scope's review: it starts at the beginning.
    other = service.review_open(actor=qa, object_type="org.site")
    assert other.first_seq == 0
    assert service.covered_events(other).filter(object_type="org.site").count() == other.entries


@pytest.mark.requirement("A1")
def test_opening_a_scope_twice_returns_the_open_review(qa):
    a = service.review_open(actor=qa, object_type="accounts.user")
    b = service.review_open(actor=qa, object_type="accounts.user")
    assert a.pk == b.pk
    assert AuditEvent.objects.filter(action="report.audit_review.opened").count() == 1


@pytest.mark.requirement("S1")
def test_signing_the_review_needs_the_password(qa):
    review = service.review_open(actor=qa)
    with pytest.raises(SignatureRefused):
        service.review_sign(actor=qa, review=review, credentials=creds(qa, "wrong password"))
    with pytest.raises(SignatureRefused):
        service.review_sign(actor=qa, review=review, credentials=creds(qa, ""))
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN
    assert AuditEvent.objects.filter(action="signature.refused", actor_id=qa.pk).exists()

    _sign(qa, review)
    review.refresh_from_db()
    assert review.status == ReviewStatus.SIGNED
    assert review.signed_by == qa
    signature = Signature.objects.get(object_type="reports.auditreview", object_id=str(review.pk))
    assert signature.meaning == "reviewed"
    assert signature.signer == qa
    assert AuditEvent.objects.filter(
        action="report.audit_review.signed", object_id=str(review.pk)
    ).exists()
    with pytest.raises(ValidationError):
        _sign(qa, review)


@pytest.mark.requirement("U2")
def test_only_a_qa_approver_reviews_the_audit_trail(auditor, admin):
    for user in (auditor, admin):
        with pytest.raises(PermissionDenied):
            service.review_open(actor=user)


@pytest.mark.requirement("A1")
def test_a_finding_is_noted_on_a_covered_entry_only_and_not_after_signing(qa):
    review = service.review_open(actor=qa, object_type="accounts.user")
    seq = service.covered_events(review).first().seq
    finding = service.review_note(actor=qa, review=review, seq=seq, note="Role granted late")
    assert finding.note == "Role granted late"
    assert AuditEvent.objects.filter(action="report.audit_review.finding").exists()
    with pytest.raises(ValidationError, match="already has a finding"):
        service.review_note(actor=qa, review=review, seq=seq, note="again")
    with pytest.raises(ValidationError, match="not one this review covers"):
        service.review_note(actor=qa, review=review, seq=review.last_seq + 100, note="x")
    with pytest.raises(ValidationError):
        service.review_note(actor=qa, review=review, seq=seq, note="  ")
    _sign(qa, review)
    other = service.covered_events(review).exclude(seq=seq).first().seq
    with pytest.raises(ValidationError, match="signed"):
        service.review_note(actor=qa, review=review, seq=other, note="late")


@pytest.mark.requirement("A1")
def test_an_overdue_review_is_reminded_once_a_day(qa, settings, django_capture_on_commit_callbacks):
    settings.QUALIFY_AUDIT_REVIEW_DAYS = 30
    start = AuditEvent.objects.order_by("seq").first().recorded_at
    not_yet = start + dt.timedelta(days=29)
    # Early in the plant's day, so that two hours later is still the same day whatever
    # the hour the test runs at (it once ran at 22:00 and the second run was tomorrow).
    overdue = timezone.localtime(start + dt.timedelta(days=31)).replace(hour=1, minute=0)

    with django_capture_on_commit_callbacks(execute=True):
        scheduler.run_daily(now=not_yet)
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        first = scheduler.run_daily(now=overdue)
        scheduler.run_daily(now=overdue + dt.timedelta(hours=2))  # same day: nothing new
    assert first["reports.audit_review_reminders"] == {"audit_review_reminders_sent": 1}
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [qa.email]
    assert "Audit-trail review overdue" in mail.outbox[0].subject

    with django_capture_on_commit_callbacks(execute=True):
        scheduler.run_daily(now=overdue + dt.timedelta(days=1))  # the next day: again
    assert len(mail.outbox) == 2
    assert AuditReviewReminder.objects.count() == 2


@pytest.mark.requirement("A1")
def test_the_day_of_a_reminder_is_the_plants_day_not_utcs(
    qa, settings, django_capture_on_commit_callbacks
):
    settings.QUALIFY_AUDIT_REVIEW_DAYS = 30
    settings.TIME_ZONE = "Europe/Berlin"
    start = AuditEvent.objects.order_by("seq").first().recorded_at
    berlin = timezone.localtime(start + dt.timedelta(days=32))
    # The clock reads UTC (as the server's does); the plant's day is Berlin's.
    just_after_midnight = berlin.replace(hour=0, minute=30).astimezone(dt.UTC)  # UTC: yesterday
    later_that_night = berlin.replace(hour=2, minute=0).astimezone(dt.UTC)  # UTC: today

    with django_capture_on_commit_callbacks(execute=True):
        scheduler.run_daily(now=just_after_midnight)
        scheduler.run_daily(now=later_that_night)
    assert len(mail.outbox) == 1
    assert AuditReviewReminder.objects.get().day == berlin.date()


@pytest.mark.requirement("A1")
def test_a_signed_review_is_not_reminded_until_its_interval_has_passed(
    qa, settings, django_capture_on_commit_callbacks
):
    settings.QUALIFY_AUDIT_REVIEW_DAYS = 30
    _sign(qa, service.review_open(actor=qa))
    signed_at = AuditReview.objects.get().signed_at
    with django_capture_on_commit_callbacks(execute=True):
        service.send_overdue_reminders(signed_at + dt.timedelta(days=29))
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        service.send_overdue_reminders(signed_at + dt.timedelta(days=30, hours=1))
    assert len(mail.outbox) == 1


@pytest.mark.requirement("P15", "S1")
def test_review_pages_open_note_and_sign(client, qa, auditor):
    client.force_login(qa)
    page = client.get(reverse("web:audit_reviews"))
    assert page.status_code == 200
    assert b"Open the review" in page.content
    opened = client.post(reverse("web:audit_reviews"), {"object_type": "accounts.user"})
    review = AuditReview.objects.get()
    assert opened.status_code == 302
    assert opened["Location"].endswith(f"/{review.pk}/")
    url = reverse("web:audit_review", args=[review.pk])
    seq = service.covered_events(review).first().seq
    client.post(url, {"seq": seq, "note": "Checked against the access request"})
    assert review.findings.get().seq == seq
    refused = client.post(url, {"username": qa.username, "password": "nope", "conclusion": ""})
    assert refused.status_code == 400
    assert b"password is not correct" in refused.content
    signed = client.post(url, {"username": qa.username, "password": PASSWORD, "conclusion": "ok"})
    assert signed.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.SIGNED
    shown = client.get(url)
    assert b"Checked against the access request" in shown.content
    assert b"Reviewed" in shown.content

    # The auditor reads the reviews but opens none (read-only, U2).
    client.force_login(auditor)
    assert client.get(url).status_code == 200
    assert client.post(reverse("web:audit_reviews"), {"object_type": ""}).status_code == 403
    assert AuditReview.objects.count() == 1
