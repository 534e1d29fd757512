"""Reads for external certificates and classroom sessions: the only way pages and the
API fetch them, with the client restriction (U2) and the own-records reach (P15)."""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from qualify.accounts import policy
from qualify.org.models import Person
from qualify.org.scoping import restrict
from qualify.training.models import (
    CertificateStatus,
    ClassSession,
    Enrolment,
    EnrolmentStatus,
    ExternalCertificate,
    Requirement,
    SessionStatus,
)

# Who reads what (the same rules as the URLs that show them, qualify.accounts.policy).
CERTIFICATES = policy.CERTIFICATES
SESSIONS = policy.SESSIONS


def certificates(user: Any) -> QuerySet[ExternalCertificate]:
    """Coordinators and auditors read every certificate of their clients; everyone
    else their own."""
    rows = restrict(
        ExternalCertificate.objects.select_related(
            "person", "requirement", "submitted_by", "decided_by", "record"
        ),
        user,
        "requirement__client",
    )
    return policy.only_own(rows, user, CERTIFICATES)


def certificates_waiting(user: Any) -> QuerySet[ExternalCertificate]:
    return certificates(user).filter(status=CertificateStatus.SUBMITTED).order_by("submitted_at")


def enrolled(session_rows: QuerySet[ClassSession]) -> QuerySet[ClassSession]:
    return session_rows.prefetch_related(
        Prefetch(
            "enrolments",
            queryset=Enrolment.objects.filter(status=EnrolmentStatus.ENROLLED)
            .select_related("person", "record")
            .order_by("person__full_name"),
            to_attr="current_enrolments",
        )
    )


def sessions(user: Any) -> QuerySet[ClassSession]:
    """Every session of the user's clients: people who train see the sessions they can
    join; the roster comes with it."""
    rows = restrict(
        ClassSession.objects.select_related("requirement", "trainer", "site"),
        user,
        "requirement__client",
    )
    return rows


def my_sessions_as_trainer(user: Any) -> QuerySet[ClassSession]:
    return enrolled(sessions(user).filter(trainer__user_id=user.pk)).order_by("-starts_at")


def upcoming(user: Any, requirement: Requirement) -> QuerySet[ClassSession]:
    """Sessions of the requirement one may still join or sign (not over)."""
    return sessions(user).filter(
        requirement=requirement, status=SessionStatus.SCHEDULED, ends_at__gt=timezone.now()
    )


def enrolment_of(person: Person, session: ClassSession) -> Enrolment | None:
    return Enrolment.objects.filter(
        person=person, session=session, status=EnrolmentStatus.ENROLLED
    ).first()


def my_enrolments(person: Person, requirement: Requirement | None = None) -> QuerySet[Enrolment]:
    rows = Enrolment.objects.select_related("session__requirement", "session__trainer").filter(
        person=person, status=EnrolmentStatus.ENROLLED
    )
    if requirement is not None:
        rows = rows.filter(session__requirement=requirement)
    return rows.order_by("session__starts_at")
