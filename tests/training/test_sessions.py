"""Classroom sessions: room, capacity and enrolment (P39); the signing window, the kiosk
and the attendee's own device (P40); the trainer's closing signature (Q4, G7, A5)."""

import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from qualify.accounts.models import User
from qualify.audit.models import AuditEvent
from qualify.guards import AlreadyDone
from qualify.signatures.services import Credentials, SignatureRefused, signatures_of
from qualify.training import engine
from qualify.training import services as training
from qualify.training.models import (
    AssignmentStatus,
    ClassSession,
    Enrolment,
    Method,
    SessionStatus,
    TrainingRecord,
)
from qualify.training.services import sessions
from tests.training.support import creds

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def course(plant):
    trainer, ttt = plant.qualified_trainer()
    gmp = plant.requirement("GMP-101", method=Method.CLASSROOM, trainer_requirement=ttt)
    plant.matrix(gmp)
    return trainer, gmp


@pytest.fixture
def crew(plant, course):
    return [plant.person(name, job_function=plant.operators) for name in ("Ann", "Ben", "Cai")]


def _schedule(plant, requirement, *, capacity=10, starts=-HOUR, room="Room 2"):
    now = timezone.now()
    return training.session_schedule(
        actor=plant.trainer_user,
        requirement=requirement,
        room=room,
        starts_at=now + starts,
        ends_at=now + starts + 2 * HOUR,
        capacity=capacity,
    )


def _kiosk(user, password=None):
    return Credentials(username=user.username, password=password or creds(user).password)


@pytest.fixture
def held(plant, course, crew):
    """A session that has started, the crew enrolled, a window open."""
    _, gmp = course
    session = _schedule(plant, gmp)
    for person in crew:
        training.session_enrol(actor=plant.trainer_user, session=session, person=person)
    window, token = training.window_open(actor=plant.trainer_user, session=session)
    return session, window, token


# --- scheduling and capacity -------------------------------------------------------------


@pytest.mark.requirement("P39")
def test_enrolment_over_capacity_is_refused_and_nothing_saved(plant, course, crew):
    _, gmp = course
    session = _schedule(plant, gmp, capacity=2)
    for person in crew[:2]:
        training.session_enrol(actor=plant.trainer_user, session=session, person=person)
    with pytest.raises(ValidationError, match=r"full \(2 seats\)"):
        training.session_enrol(actor=plant.trainer_user, session=session, person=crew[2])
    session.refresh_from_db()
    assert session.seats_taken == 2
    assert Enrolment.objects.filter(session=session).count() == 2


@pytest.mark.requirement("P39")
def test_the_database_refuses_more_seats_than_the_capacity(plant, course):
    """Whatever the writer: an update past the capacity fails in the database."""
    _, gmp = course
    session = _schedule(plant, gmp, capacity=1)
    ClassSession.objects.filter(pk=session.pk).update(seats_taken=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClassSession.objects.filter(pk=session.pk).update(seats_taken=2)


@pytest.mark.requirement("P39")
def test_a_lost_race_for_the_last_seat_enrols_nobody(plant, course, crew):
    """Two requests read one seat free; the second writer is refused by the database's
    check even when it skipped the count (the count is mocked to say "free")."""
    _, gmp = course
    session = _schedule(plant, gmp, capacity=1)
    training.session_enrol(actor=plant.trainer_user, session=session, person=crew[0])
    real_get = QuerySet.get

    def stale(queryset, *args, **kwargs):
        found = real_get(queryset, *args, **kwargs)
        if queryset.model is ClassSession:
            found.seats_taken = 0  # as read before the other enrolment committed
        return found

    with (
        mock.patch.object(QuerySet, "get", stale),
        pytest.raises(ValidationError, match="full"),
    ):
        training.session_enrol(actor=plant.trainer_user, session=session, person=crew[1])
    assert Enrolment.objects.filter(session=session).count() == 1


@pytest.mark.requirement("P39")
def test_unenrolling_frees_the_seat_with_a_reason(plant, course, crew):
    _, gmp = course
    session = _schedule(plant, gmp, capacity=1)
    enrolment = training.session_enrol(actor=crew[0].user, session=session, person=crew[0])
    with pytest.raises(ValidationError, match="reason"):
        training.session_unenrol(actor=crew[0].user, enrolment=enrolment, reason="")
    training.session_unenrol(actor=crew[0].user, enrolment=enrolment, reason="On leave")
    training.session_enrol(actor=crew[1].user, session=session, person=crew[1])
    session.refresh_from_db()
    assert session.seats_taken == 1


@pytest.mark.requirement("P39", "U2")
def test_an_employee_enrols_only_themselves(plant, course, crew):
    _, gmp = course
    session = _schedule(plant, gmp)
    with pytest.raises(PermissionDenied):
        training.session_enrol(actor=crew[0].user, session=session, person=crew[1])


@pytest.mark.requirement("P39")
def test_scheduling_checks_its_input(plant, course):
    _, gmp = course
    with pytest.raises(ValidationError, match="capacity"):
        _schedule(plant, gmp, capacity=0)
    with pytest.raises(ValidationError, match="room"):
        _schedule(plant, gmp, room="  ")
    reading = plant.requirement("SOP-1", document=plant.document("SOP-1"))
    with pytest.raises(ValidationError, match="own method"):
        _schedule(plant, reading)
    assert not ClassSession.objects.exists()


# --- the window and the kiosk ----------------------------------------------------------


@pytest.mark.requirement("P40", "Q4", "G7")
def test_attendees_sign_on_the_kiosk_and_the_trainers_closing_completes_their_training(
    plant, course, crew, held
):
    _, gmp = course
    session, window, token = held
    found = sessions.window_for_token(token)
    assert found == window
    ann, ben, cai = crew
    first = training.attendance_sign(window=found, credentials=_kiosk(ann.user))
    training.attendance_sign(window=found, credentials=_kiosk(ben.user))
    assert first.completed_at == session.starts_at == first.attested_at
    assert [s.meaning for s in signatures_of(first)] == ["completed_training"]
    # The trainer has not signed: not qualified yet, assignments open.
    assert not engine.is_qualified(ann, gmp, at=timezone.now())
    assert plant_open_count(gmp) == 3

    records = training.session_close(
        actor=plant.trainer_user, session=session, credentials=creds(plant.trainer_user)
    )
    assert {r.person for r in records} == {ann, ben}
    assert engine.is_qualified(ann, gmp, at=timezone.now())
    assert engine.is_qualified(ben, gmp, at=timezone.now())
    assert not engine.is_qualified(cai, gmp, at=timezone.now())  # absent
    assert all(r.completed_assignment.status == AssignmentStatus.COMPLETED for r in records)
    session.refresh_from_db()
    assert session.status == SessionStatus.HELD
    window.refresh_from_db()
    assert window.closed_at is not None


def plant_open_count(requirement):
    return requirement.assignments.filter(status="open").count()


@pytest.mark.requirement("P40", "A5")
def test_a_person_not_enrolled_is_refused_and_audited(plant, course, held):
    session, window, _ = held
    outsider = plant.person("Dan", job_function=plant.operators)
    with pytest.raises(ValidationError, match="enrolled"):
        training.attendance_sign(window=window, credentials=_kiosk(outsider.user))
    refusal = AuditEvent.objects.filter(action="training.session.sign_refused").get()
    assert refusal.actor_id == outsider.user_id
    assert refusal.object_id == str(session.pk)
    assert not TrainingRecord.objects.filter(person=outsider).exists()


@pytest.mark.requirement("P40", "A5")
def test_an_expired_window_is_refused_and_audited(plant, crew, held):
    _, _, token = held
    later = timezone.now() + dt.timedelta(minutes=31)
    with (
        mock.patch("django.utils.timezone.now", return_value=later),
        pytest.raises(ValidationError, match="expired"),
    ):
        training.attendance_sign(
            window=sessions.window_for_token(token), credentials=_kiosk(crew[0].user)
        )
    assert AuditEvent.objects.filter(action="training.session.sign_refused").count() == 1
    assert not TrainingRecord.objects.filter(person=crew[0]).exists()


@pytest.mark.requirement("P40", "A5")
def test_a_replaced_token_is_refused_and_audited(plant, crew, held):
    """A new window closes the old one: its address (a photographed or replayed token)
    no longer signs anything."""
    session, _, old_token = held
    _, new_token = training.window_open(actor=plant.trainer_user, session=session)
    with pytest.raises(ValidationError, match="closed"):
        training.attendance_sign(
            window=sessions.window_for_token(old_token), credentials=_kiosk(crew[0].user)
        )
    assert AuditEvent.objects.filter(action="training.session.sign_refused").count() == 1
    training.attendance_sign(
        window=sessions.window_for_token(new_token), credentials=_kiosk(crew[0].user)
    )
    assert sessions.window_for_token("not-a-token") is None


@pytest.mark.requirement("P40", "P21")
def test_signing_twice_writes_nothing_new(plant, crew, held):
    _, window, _ = held
    training.attendance_sign(window=window, credentials=_kiosk(crew[0].user))
    with pytest.raises(AlreadyDone):
        training.attendance_sign(window=window, credentials=_kiosk(crew[0].user))
    assert TrainingRecord.objects.filter(person=crew[0]).count() == 1


@pytest.mark.requirement("P40", "U1")
def test_wrong_passwords_on_the_kiosk_count_toward_the_lock(plant, crew, held, settings):
    _, window, _ = held
    ann = crew[0]
    for _ in range(settings.QUALIFY_LOCKOUT_THRESHOLD):
        with pytest.raises(SignatureRefused):
            training.attendance_sign(window=window, credentials=_kiosk(ann.user, "wrong"))
    assert User.objects.get(pk=ann.user_id).is_locked
    with pytest.raises(SignatureRefused, match="locked"):
        training.attendance_sign(window=window, credentials=_kiosk(ann.user))
    assert not TrainingRecord.objects.filter(person=ann).exists()


@pytest.mark.requirement("P40")
def test_an_attendee_signs_on_their_own_device_only_while_the_window_is_open(plant, course, crew):
    _, gmp = course
    session = _schedule(plant, gmp)
    ann = crew[0]
    training.session_enrol(actor=ann.user, session=session, person=ann)
    with pytest.raises(ValidationError, match="not opened signing"):
        training.attendance_sign(session=session, actor=ann.user, credentials=creds(ann.user))
    training.window_open(actor=plant.trainer_user, session=session)
    record = training.attendance_sign(session=session, actor=ann.user, credentials=creds(ann.user))
    assert Enrolment.objects.get(record=record).signed_on == "own device"


@pytest.mark.requirement("P40", "T1")
def test_a_window_opens_only_once_the_session_has_started_and_by_its_trainer(plant, course, crew):
    _, gmp = course
    session = _schedule(plant, gmp, starts=HOUR)
    training.session_enrol(actor=plant.trainer_user, session=session, person=crew[0])
    with pytest.raises(ValidationError, match="has started"):
        training.window_open(actor=plant.trainer_user, session=session)
    with pytest.raises(PermissionDenied):
        training.window_open(actor=crew[0].user, session=session)


@pytest.mark.requirement("P40", "Q4", "A5")
def test_a_trainer_not_qualified_cannot_open_the_window_and_it_is_audited(plant, crew):
    from qualify.accounts import roles
    from tests.personas import make_user

    ttt = plant.requirement("TTT2", method=Method.EXTERNAL)
    gmp = plant.requirement("GMP-102", method=Method.CLASSROOM, trainer_requirement=ttt)
    rookie_user = make_user("rookie", roles.EMPLOYEE, roles.TRAINER)
    plant.person("Rookie", user=rookie_user)
    now = timezone.now()
    session = training.session_schedule(
        actor=rookie_user,
        requirement=gmp,
        room="Room 1",
        starts_at=now - HOUR,
        ends_at=now + HOUR,
        capacity=5,
    )
    training.session_enrol(actor=rookie_user, session=session, person=crew[0])
    with pytest.raises(ValidationError, match="not qualified"):
        training.window_open(actor=rookie_user, session=session)
    assert AuditEvent.objects.filter(
        action="training.record.refused", object_id=str(session.pk)
    ).exists()


@pytest.mark.requirement("A1", "A4", "P39", "P40", "P38")
def test_sessions_and_certificates_leave_a_trail_that_verifies(plant, course, crew, held):
    """Every change (seats, enrolments, windows, attendance, closing, a withdrawal, a
    certificate verified) is audited with the row's state: audit verify finds no row
    that differs from its last audited state."""
    from django.core.files.base import ContentFile

    from qualify.audit.verify import verify_trail
    from tests import files

    session, window, _ = held
    ann, ben, cai = crew
    enrolled = verify_trail()  # the seats each enrolment took, as audited
    assert enrolled.ok, [str(p) for p in enrolled.problems]
    training.attendance_sign(window=window, credentials=_kiosk(ann.user))
    cai_enrolment = Enrolment.objects.get(session=session, person=cai)
    training.session_unenrol(actor=plant.trainer_user, enrolment=cai_enrolment, reason="Sick")
    training.window_open(actor=plant.trainer_user, session=session)
    training.session_close(
        actor=plant.trainer_user, session=session, credentials=creds(plant.trainer_user)
    )
    ttt = plant.requirement("TTT-EXT", method=Method.EXTERNAL)
    certificate = training.certificate_submit(
        actor=ben.user,
        person=ben,
        requirement=ttt,
        issuer="Academy",
        completed_at=timezone.now() - HOUR,
        file=ContentFile(files.pdf("TTT"), name="ttt.pdf"),
    )
    training.certificate_verify(
        actor=plant.coordinator, certificate=certificate, credentials=creds(plant.coordinator)
    )
    training.certificate_sign(actor=ben.user, certificate=certificate, credentials=creds(ben.user))
    report = verify_trail()
    assert report.ok, [str(p) for p in report.problems]
