"""Classroom sessions: scheduled, enrolled within capacity, signed in the room.

- `session_schedule`: a trainer schedules a classroom requirement in a room, with a
  capacity and a start and end time.
- `session_enrol` / `session_unenrol`: the seat count is changed in the transaction
  that creates or withdraws the enrolment, with the session's row locked; the database
  refuses `seats_taken > capacity` whatever the caller (constraint
  session_within_capacity), so two people racing for the last seat cannot both win.
- `window_open`: the trainer opens a signing window once the session has started: a
  random token (its SHA-256 stored, the token itself shown once as the kiosk's
  address), valid for a limited time, bound to the session and its room. Opening a
  new window closes the previous one, so an old address stops working.
- `attendance_sign`: each enrolled attendee signs completed_training with their own
  user id and password, on the kiosk in the room (`window_for_token`) or on their own
  device while the window is open; never on the trainer's session. The lockout rules
  apply (the signing service counts each wrong password). This makes the attendee's
  TrainingRecord (completed at the session's start, attested, T1), signed by them.
- `session_close`: the trainer signs trained_by on every attendee's record; in the
  same transaction each record completes the attendee's open assignment (G7). Until
  then the engine does not count the records (Q4: the trainer's signature is missing).

Refusals a regulator cares about are audited (A5): a signature attempted outside an
open window (an expired, closed or replaced token), by someone not enrolled, a window
or a closing refused because the trainer was not qualified. Wrong passwords are
audited by the signing service.
"""

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from qualify.accounts.models import User
from qualify.audit import services as audit
from qualify.guards import AlreadyDone, require_aware, require_reason
from qualify.org.models import Person
from qualify.org.scoping import check_client
from qualify.signatures.services import Credentials, authenticate_signer, sign
from qualify.training import engine
from qualify.training.models import (
    ClassSession,
    Enrolment,
    EnrolmentStatus,
    Evidence,
    Method,
    Requirement,
    SessionStatus,
    SigningWindow,
    TrainingRecord,
)
from qualify.training.services.records._common import (
    COMPLETED,
    TRAINED_BY,
    _check_evidence,
    _check_requirement,
    _complete,
    _late,
    _may_record,
    _open_assignment,
    _version_for,
)

MAX_CAPACITY = 500
WINDOW_MINUTES = (5, 240)
DEFAULT_WINDOW_MINUTES = 30
KIOSK = "kiosk"
OWN_DEVICE = "own device"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _trainer_person(actor: Any) -> Person:
    if not _may_record(actor):
        raise PermissionDenied("Only a trainer can run classroom sessions.")
    trainer = Person.objects.filter(user_id=actor.pk, active=True).first()
    if trainer is None:
        raise ValidationError({"trainer": "The trainer has no active person record."})
    return trainer


def _refuse(action: str, *, actor: Any, session: ClassSession, why: str, **detail: Any):
    """A5: audited in a transaction of its own (none is open), then refused."""
    audit.record_refusal(
        action,
        actor=actor,
        obj=session,
        why=why,
        detail={"requirement": session.requirement.code, "room": session.room, **detail},
    )
    raise ValidationError(why)


def _check_trainer_qualified(actor: Any, session: ClassSession) -> None:
    needed = session.requirement.trainer_requirement
    if needed is None:
        raise ValidationError(
            {
                "requirement": f"{session.requirement.code} names no trainer qualification, "
                "so no trainer can sign it off."
            }
        )
    if not engine.is_qualified(session.trainer, needed, at=session.starts_at):
        _refuse(
            "training.record.refused",
            actor=actor,
            session=session,
            why=f"{session.trainer.full_name} was not qualified on {needed.code} at "
            f"{session.starts_at:%Y-%m-%d %H:%M} UTC and so cannot train "
            f"{session.requirement.code}.",
        )


def _own_session(actor: Any, session: ClassSession) -> None:
    trainer = _trainer_person(actor)
    if session.trainer_id != trainer.pk:
        raise PermissionDenied("Only the session's trainer can do this.")
    check_client(actor, session.requirement.client_id)


# --- scheduling and enrolment --------------------------------------------------------


def session_schedule(
    *,
    actor: Any,
    requirement: Requirement,
    room: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
    notes: str = "",
) -> ClassSession:
    """A classroom session of `requirement`, given by the actor (a trainer)."""
    trainer = _trainer_person(actor)
    _check_requirement(actor, requirement, {Method.CLASSROOM}, "schedule it with its own method")
    if requirement.trainer_requirement_id is None:
        raise ValidationError(
            {
                "requirement": f"{requirement.code} names no trainer qualification, "
                "so no trainer can sign it off."
            }
        )
    _check_evidence(requirement, Evidence.SIGNATURE)
    room = (room or "").strip()
    if not room:
        raise ValidationError({"room": "Name the room."})
    if len(room) > 120:
        raise ValidationError({"room": "At most 120 characters."})
    require_aware(starts_at, "starts_at")
    require_aware(ends_at, "ends_at")
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": "A session ends after it starts."})
    if ends_at - starts_at > dt.timedelta(days=1):
        raise ValidationError({"ends_at": "A session lasts at most a day; schedule each day."})
    if not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
        raise ValidationError(
            {"capacity": f"A capacity is a whole number from 1 to {MAX_CAPACITY}."}
        )
    now = timezone.now()
    with transaction.atomic():
        session = ClassSession(
            requirement=requirement,
            trainer=trainer,
            site=trainer.site,
            room=room,
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=capacity,
            notes=(notes or "").strip(),
            created_at=now,
            created_by=actor,
        )
        session.full_clean()
        session.save()
        audit.record("training.session.scheduled", session, actor=actor)
    return session


def _may_enrol(actor: Any, person: Person) -> bool:
    own = person.user_id is not None and actor is not None and person.user_id == actor.pk
    return (
        own
        or _may_record(actor)
        or (actor is not None and actor.has_perm("training.assign_training"))
    )


def session_enrol(*, actor: Any, session: ClassSession, person: Person) -> Enrolment:
    """Enrol `person` (the actor themselves, or anyone for a trainer or coordinator);
    refused when the session is full."""
    if actor is None or not _may_enrol(actor, person):
        raise PermissionDenied("You may enrol yourself; a trainer or coordinator enrols others.")
    check_client(actor, session.requirement.client_id)
    if not person.active or person.user_id is None:
        raise ValidationError({"person": f"{person} has no active account and cannot sign."})
    if person.pk == session.trainer_id:
        raise ValidationError({"person": "The trainer does not attend their own session."})
    now = timezone.now()
    try:
        with transaction.atomic():
            locked = ClassSession.objects.select_for_update().get(pk=session.pk)
            if locked.status != SessionStatus.SCHEDULED or locked.ends_at <= now:
                raise ValidationError({"session": "This session is over; enrol in another."})
            if Enrolment.objects.filter(
                session=locked, person=person, status=EnrolmentStatus.ENROLLED
            ).exists():
                raise ValidationError({"person": f"{person.full_name} is already enrolled."})
            if locked.seats_taken >= locked.capacity:
                raise ValidationError(
                    {
                        "session": f"This session is full ({locked.capacity} seats); nobody was "
                        "enrolled."
                    }
                )
            before = audit.state_of(locked)
            ClassSession.objects.filter(pk=locked.pk).update(seats_taken=F("seats_taken") + 1)
            locked.refresh_from_db()
            enrolment = Enrolment.objects.create(
                session=locked, person=person, enrolled_at=now, enrolled_by=actor
            )
            audit.record("training.session.enrolled", enrolment, actor=actor)
            audit.record(
                "training.session.seats_changed",
                locked,
                actor=actor,
                before=before,
                reason=f"{person.full_name} enrolled",
            )
    except IntegrityError:
        # The database's capacity check (a writer that skipped the lock) or the one
        # enrolment per person: nothing was written.
        raise ValidationError(
            {
                "session": "This session is full or the person is enrolled already; "
                "nobody was enrolled."
            }
        ) from None
    session.refresh_from_db()
    return enrolment


def session_unenrol(*, actor: Any, enrolment: Enrolment, reason: str) -> Enrolment:
    """Withdraw an enrolment that has not signed; the seat is freed."""
    enrolment = Enrolment.objects.select_related("session__requirement", "person").get(
        pk=enrolment.pk
    )
    if actor is None or not _may_enrol(actor, enrolment.person):
        raise PermissionDenied("You may withdraw yourself; a trainer or coordinator others.")
    check_client(actor, enrolment.session.requirement.client_id)
    reason = require_reason(reason)
    with transaction.atomic():
        session = ClassSession.objects.select_for_update().get(pk=enrolment.session_id)
        enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        if enrolment.status != EnrolmentStatus.ENROLLED:
            raise ValidationError({"enrolment": "This enrolment was already withdrawn."})
        if enrolment.record_id is not None:
            raise ValidationError(
                {"enrolment": "This attendee has signed; their record stands (correct it instead)."}
            )
        before_enrolment = audit.state_of(enrolment)
        before_session = audit.state_of(session)
        enrolment.status = EnrolmentStatus.WITHDRAWN
        enrolment.withdrawn_at = timezone.now()
        enrolment.save(update_fields=["status", "withdrawn_at"])
        ClassSession.objects.filter(pk=session.pk).update(seats_taken=F("seats_taken") - 1)
        session.refresh_from_db()
        audit.record(
            "training.session.withdrawn",
            enrolment,
            actor=actor,
            before=before_enrolment,
            reason=reason,
        )
        audit.record(
            "training.session.seats_changed",
            session,
            actor=actor,
            before=before_session,
            reason=reason,
        )
    return enrolment


# --- the signing window ----------------------------------------------------------------


def window_open(
    *, actor: Any, session: ClassSession, minutes: int = DEFAULT_WINDOW_MINUTES
) -> tuple[SigningWindow, str]:
    """Open a signing window for the session in its room; returns the window and its
    token (shown once: only its SHA-256 is kept)."""
    session = ClassSession.objects.select_related("requirement", "trainer").get(pk=session.pk)
    _own_session(actor, session)
    now = timezone.now()
    if session.status != SessionStatus.SCHEDULED:
        raise ValidationError({"session": f"This session is {session.get_status_display()}."})
    if now < session.starts_at:
        raise ValidationError(
            {
                "session": "Signing opens when the session has started (nobody attests a session "
                "that has not taken place)."
            }
        )
    low, high = WINDOW_MINUTES
    if not isinstance(minutes, int) or not low <= minutes <= high:
        raise ValidationError({"minutes": f"A window lasts {low} to {high} minutes."})
    if not session.enrolments.filter(status=EnrolmentStatus.ENROLLED).exists():
        raise ValidationError({"session": "Nobody is enrolled: enrol the attendees first."})
    _check_trainer_qualified(actor, session)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        ClassSession.objects.select_for_update().filter(pk=session.pk).values_list("pk").first()
        _close_windows(session, actor=actor, now=now, reason="A new signing window was opened")
        window = SigningWindow.objects.create(
            session=session,
            room=session.room,
            token_sha256=token_hash(token),
            opened_at=now,
            expires_at=now + dt.timedelta(minutes=minutes),
            opened_by=actor,
        )
        audit.record("training.session.window_opened", window, actor=actor)
    return window, token


def _close_windows(session: ClassSession, *, actor: Any, now: dt.datetime, reason: str) -> None:
    """Close the session's open windows, each change audited (in the caller's
    transaction)."""
    for window in SigningWindow.objects.select_for_update().filter(
        session=session, closed_at__isnull=True
    ):
        before = audit.state_of(window)
        window.closed_at = now
        window.save(update_fields=["closed_at"])
        audit.record(
            "training.session.window_closed", window, actor=actor, before=before, reason=reason
        )


def window_close(*, actor: Any, window: SigningWindow, reason: str = "Signing finished") -> None:
    window = SigningWindow.objects.select_related("session__requirement", "session__trainer").get(
        pk=window.pk
    )
    _own_session(actor, window.session)
    with transaction.atomic():
        window = SigningWindow.objects.select_for_update().get(pk=window.pk)
        if window.closed_at is not None:
            return
        before = audit.state_of(window)
        window.closed_at = timezone.now()
        window.save(update_fields=["closed_at"])
        audit.record(
            "training.session.window_closed",
            window,
            actor=actor,
            before=before,
            reason=require_reason(reason),
        )


def open_window(session: ClassSession, now: dt.datetime | None = None) -> SigningWindow | None:
    now = now or timezone.now()
    return (
        SigningWindow.objects.filter(
            session=session, closed_at__isnull=True, opened_at__lte=now, expires_at__gt=now
        )
        .order_by("-opened_at")
        .first()
    )


def window_for_token(token: str) -> SigningWindow | None:
    """The window a kiosk's token names, open or not; None for a token never issued."""
    if not token or len(token) > 200:
        return None
    return (
        SigningWindow.objects.select_related("session__requirement", "session__trainer")
        .filter(token_sha256=token_hash(token))
        .first()
    )


def window_problem(window: SigningWindow, now: dt.datetime | None = None) -> str:
    """Why the window takes no signature now, in words; "" when it is open."""
    now = now or timezone.now()
    session = window.session
    if window.closed_at is not None:
        return "This signing window is closed. Ask the trainer to open a new one."
    if now >= window.expires_at:
        return "This signing window has expired. Ask the trainer to open a new one."
    if session.status != SessionStatus.SCHEDULED:
        return f"This session is {session.get_status_display().lower()}; nobody signs it now."
    if window.room != session.room:
        return "This window was opened for another room."
    return ""


# --- attendance and closing ------------------------------------------------------------


def attendance_sign(
    *,
    credentials: Credentials,
    window: SigningWindow | None = None,
    session: ClassSession | None = None,
    actor: Any = None,
) -> TrainingRecord:
    """An enrolled attendee signs completed_training for the session.

    On the kiosk: `window` (from the token) and credentials with the attendee's user
    id and password (no session: S1 asks for both every time). On their own device:
    `session`, `actor` (the signed-in attendee) and their credentials."""
    now = timezone.now()
    if window is not None:
        session = window.session
        via = KIOSK
        problem = window_problem(window, now)
        username = (credentials.username or "").strip()
        if not username:
            raise ValidationError({"username": "Enter your user id."})
        user = User.objects.filter(username__iexact=username).first()
        if problem:
            _refuse(
                "training.session.sign_refused",
                actor=user,
                session=session,
                why=problem,
                window=window.pk,
            )
    else:
        via = OWN_DEVICE
        user = actor
        if session is None or user is None:
            raise ValidationError("Name the session.")
        current = open_window(session, now)
        if current is None or window_problem(current, now):
            _refuse(
                "training.session.sign_refused",
                actor=user,
                session=session,
                why="The trainer has not opened signing for this session, or it has closed.",
            )
    session = ClassSession.objects.select_related("requirement", "trainer").get(pk=session.pk)
    enrolment = (
        Enrolment.objects.select_related("person")
        .filter(session=session, status=EnrolmentStatus.ENROLLED, person__user=user)
        .first()
        if user is not None
        else None
    )
    if enrolment is None:
        _refuse(
            "training.session.sign_refused",
            actor=user,
            session=session,
            why="Nobody with this user id is enrolled in this session.",
            via=via,
        )
    if enrolment.record_id is not None:
        raise AlreadyDone(
            f"{enrolment.person.full_name} has already signed for this session.",
            existing=enrolment.record,
        )
    person, requirement = enrolment.person, session.requirement
    _check_requirement(user, requirement, {Method.CLASSROOM}, "record it with its own method")
    if not person.active:
        raise ValidationError({"person": f"{person} is deactivated."})
    version = _version_for(requirement, _open_assignment(person, requirement), session.starts_at)
    proof = authenticate_signer(actor=user, credentials=credentials, meaning=COMPLETED)
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        if enrolment.record_id is not None or enrolment.status != EnrolmentStatus.ENROLLED:
            raise AlreadyDone(
                f"{person.full_name} has already signed for this session.",
                existing=enrolment.record,
            )
        record = TrainingRecord(
            person=person,
            requirement=requirement,
            document_version=version,
            method=Method.CLASSROOM,
            completed_at=session.starts_at,
            recorded_at=now,
            attested_at=session.starts_at,
            late_entry=_late(person, session.starts_at, now),
            evidence=Evidence.SIGNATURE,
            trainer=session.trainer,
            notes=f"Classroom session {session.pk} in {session.room}, signed on the {via}",
            entered_by=user,
        )
        record.full_clean()
        record.save()
        record.refresh_from_db()
        audit.record("training.record.created", record, actor=user)
        sign(proof=proof, obj=record, meaning=COMPLETED)
        before = audit.state_of(enrolment)
        enrolment.record = record
        enrolment.signed_at = now
        enrolment.signed_on = via
        enrolment.save(update_fields=["record", "signed_at", "signed_on"])
        audit.record(
            "training.session.attendance_signed",
            enrolment,
            actor=user,
            before=before,
            reason=f"Signed on the {via}",
        )
    return record


def session_close(
    *,
    actor: Any,
    session: ClassSession,
    credentials: Credentials | None = None,
    record_credentials: Mapping[int, Credentials] | None = None,
) -> list[TrainingRecord]:
    """The trainer signs trained_by on every attendee's record and the session is held;
    each record completes its attendee's open assignment. Enrolled people who did not
    sign were absent: nothing is recorded for them.

    `credentials`: the trainer's password, checked once per record. A trainer who
    signs through the identity provider gives `record_credentials` instead: for each
    attendee's record (by its id) the ticket of a re-authentication bound to that
    record, since a ticket signs one signature (issue 16)."""
    if (credentials is None) == (record_credentials is None):
        raise ValueError("close with the trainer's credentials or one ticket per record")
    session = ClassSession.objects.select_related("requirement", "trainer").get(pk=session.pk)
    _own_session(actor, session)
    _not_closed_yet(session)
    signed = list(
        Enrolment.objects.select_related("record", "person")
        .filter(session=session, status=EnrolmentStatus.ENROLLED, record__isnull=False)
        .order_by("pk")
    )
    if not signed:
        raise ValidationError({"session": "No attendee has signed yet: nothing to close."})
    _check_trainer_qualified(actor, session)
    if record_credentials is not None:
        # Every record's ticket is there before any is spent: a close refused for a
        # missing one leaves the others usable.
        missing = [e.person.full_name for e in signed if e.record_id not in record_credentials]
        if missing:
            raise ValidationError(
                {"reauth_ticket": "Re-authenticate for the record of " + ", ".join(missing) + "."}
            )
    proofs = [
        authenticate_signer(
            actor=actor,
            credentials=record_credentials[e.record_id] if record_credentials else credentials,
            meaning=TRAINED_BY,
        )
        for e in signed
    ]
    now = timezone.now()
    with transaction.atomic():
        locked = ClassSession.objects.select_for_update().get(pk=session.pk)
        _not_closed_yet(locked)
        records = []
        for enrolment, proof in zip(signed, proofs, strict=True):
            record = enrolment.record
            sign(proof=proof, obj=record, meaning=TRAINED_BY)
            record.completed_assignment = _complete(record, actor=actor, now=now)
            records.append(record)
        _close_windows(locked, actor=actor, now=now, reason="The session was closed")
        before = audit.state_of(locked)
        locked.status = SessionStatus.HELD
        locked.closed_at = now
        locked.save(update_fields=["status", "closed_at"])
        audit.record(
            "training.session.closed",
            locked,
            actor=actor,
            before=before,
            reason=f"Held; {len(records)} attendee(s) signed, the trainer signed each record",
        )
    return records


def _not_closed_yet(session: ClassSession) -> None:
    """P21: a second closing (double click, second tab, a race) is "already done";
    closing a cancelled session is refused."""
    if session.status == SessionStatus.HELD:
        raise AlreadyDone("This session was already closed; nothing new was written.")
    if session.status != SessionStatus.SCHEDULED:
        raise ValidationError({"session": f"This session is {session.get_status_display()}."})


def session_cancel(*, actor: Any, session: ClassSession, reason: str) -> ClassSession:
    session = ClassSession.objects.select_related("requirement", "trainer").get(pk=session.pk)
    _own_session(actor, session)
    reason = require_reason(reason)
    with transaction.atomic():
        locked = ClassSession.objects.select_for_update().get(pk=session.pk)
        if locked.status != SessionStatus.SCHEDULED:
            raise ValidationError({"session": f"This session is {locked.get_status_display()}."})
        if locked.enrolments.filter(record__isnull=False).exists():
            raise ValidationError(
                {"session": "Attendees have signed: close the session instead of cancelling it."}
            )
        before = audit.state_of(locked)
        locked.status = SessionStatus.CANCELLED
        locked.cancel_reason = reason
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "cancel_reason", "closed_at"])
        _close_windows(
            locked, actor=actor, now=locked.closed_at, reason="The session was cancelled"
        )
        audit.record(
            "training.session.cancelled", locked, actor=actor, before=before, reason=reason
        )
    return locked
