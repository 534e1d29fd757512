"""Every completion method from the pages and the API (P37-P41): the kiosk, the
attendee's own device, certificates submitted, verified and signed, the e-learning
reading; bad input refused with a clear message and nothing saved."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from qualify.audit.models import AuditEvent
from qualify.signatures.services import Credentials
from qualify.training import engine
from qualify.training import services as training
from qualify.training.models import (
    AssignmentStatus,
    CertificateStatus,
    ClassSession,
    Enrolment,
    ExternalCertificate,
    Method,
    TrainingRecord,
    VersionReading,
)
from tests import files
from tests.personas import PASSWORD
from tests.training.support import DAY
from tests.training.support import creds as creds_of

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def course(plant):
    trainer, ttt = plant.qualified_trainer()
    gmp = plant.requirement("GMP-101", method=Method.CLASSROOM, trainer_requirement=ttt)
    plant.matrix(gmp)
    return trainer, gmp, ttt


@pytest.fixture
def attendees(plant, course):
    return [plant.person(n, job_function=plant.operators) for n in ("Ann", "Ben")]


@pytest.fixture
def open_session(plant, course, attendees):
    _, gmp, _ = course
    now = timezone.now()
    session = training.session_schedule(
        actor=plant.trainer_user,
        requirement=gmp,
        room="Room 2",
        starts_at=now - HOUR,
        ends_at=now + HOUR,
        capacity=5,
    )
    for person in attendees:
        training.session_enrol(actor=plant.trainer_user, session=session, person=person)
    window, token = training.window_open(actor=plant.trainer_user, session=session)
    return session, window, token


def _kiosk_sign(client, token, user, password=PASSWORD):
    return client.post(
        reverse("web:kiosk", args=[token]), {"username": user.username, "password": password}
    )


# --- the kiosk ------------------------------------------------------------------------------


@pytest.mark.requirement("P40", "S1")
def test_the_kiosk_takes_each_attendee_in_turn_without_a_sign_in(open_session, attendees):
    _, _, token = open_session
    kiosk = Client()
    page = kiosk.get(reverse("web:kiosk", args=[token]))
    assert page.status_code == 200
    assert "Room 2" in page.content.decode()
    assert "no-store" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]
    for person in attendees:
        answer = _kiosk_sign(kiosk, token, person.user)
        assert answer.status_code == 302
        page = kiosk.get(answer["Location"]).content.decode()
        assert f"Thank you, {person.full_name}" in page
    assert TrainingRecord.objects.filter(person__in=attendees).count() == 2
    assert set(Enrolment.objects.values_list("signed_on", flat=True)) == {"kiosk"}


@pytest.mark.requirement("P40")
def test_the_kiosk_refuses_passwords_in_a_signed_in_browser(open_session, attendees, plant, client):
    """The trainer's computer session never takes an attendee's password."""
    _, _, token = open_session
    client.force_login(plant.trainer_user)
    answer = _kiosk_sign(client, token, attendees[0].user)
    assert answer.status_code == 403
    assert "This browser is signed in" in answer.content.decode()
    assert not TrainingRecord.objects.filter(person=attendees[0]).exists()


@pytest.mark.requirement("P40", "A5")
def test_the_kiosk_refuses_a_wrong_password_an_outsider_and_an_unknown_token(
    open_session, attendees, plant
):
    _, _, token = open_session
    kiosk = Client()
    wrong = _kiosk_sign(kiosk, token, attendees[0].user, password="not-the-password")
    assert wrong.status_code == 400
    assert "The password is not correct." in wrong.content.decode()
    outsider = plant.person("Dan")
    refused = _kiosk_sign(kiosk, token, outsider.user)
    assert "Nobody with this user id is enrolled" in refused.content.decode()
    assert AuditEvent.objects.filter(action="training.session.sign_refused").count() == 1
    assert AuditEvent.objects.filter(action="signature.refused").count() == 1
    assert kiosk.get(reverse("web:kiosk", args=["no-such-token"])).status_code == 404
    assert not TrainingRecord.objects.filter(person__in=[*attendees, outsider]).exists()


@pytest.mark.requirement("P40", "A5")
def test_a_replayed_token_after_closing_is_refused_and_audited(open_session, attendees, plant):
    session, window, token = open_session
    training.window_close(actor=plant.trainer_user, window=window)
    kiosk = Client()
    page = kiosk.get(reverse("web:kiosk", args=[token])).content.decode()
    assert "This signing window is closed" in page
    assert "Sign: I attended" not in page
    answer = _kiosk_sign(kiosk, token, attendees[0].user)
    assert answer.status_code == 400
    assert AuditEvent.objects.filter(
        action="training.session.sign_refused", object_id=str(session.pk)
    ).exists()
    assert not TrainingRecord.objects.filter(person=attendees[0]).exists()


# --- the trainer's session page and the attendee's own device --------------------------------


@pytest.mark.requirement("P39", "P40", "Q4")
def test_the_trainer_runs_a_session_from_the_pages(course, attendees, plant, client):
    _, gmp, _ = course
    client.force_login(plant.trainer_user)
    local = timezone.localtime(timezone.now() - HOUR).strftime("%Y-%m-%dT%H:%M")
    later = timezone.localtime(timezone.now() + HOUR).strftime("%Y-%m-%dT%H:%M")
    answer = client.post(
        reverse("web:trainer_sessions"),
        {"requirement": gmp.pk, "room": "Room 7", "starts_at": local, "ends_at": later,
         "capacity": 1},
    )  # fmt: skip
    assert answer.status_code == 302
    session = ClassSession.objects.get(room="Room 7")
    url = reverse("web:trainer_session", args=[session.pk])
    client.post(url, {"action": "enrol", "person": attendees[0].pk})
    full = client.post(url, {"action": "enrol", "person": attendees[1].pk})
    assert "This session is full (1 seats)" in full.content.decode()
    assert Enrolment.objects.filter(session=session).count() == 1
    opened = client.post(url, {"action": "window", "minutes": 20}).content.decode()
    kiosk_url = re.search(r'id="kiosk-address" href="([^"]+)"', opened).group(1)
    assert "/trainer/kiosk/" in kiosk_url
    # Ann signs on her own device.
    own = Client()
    own.force_login(attendees[0].user)
    signed = own.post(
        reverse("web:employee_session", args=[session.pk]),
        {"action": "sign", "username": attendees[0].user.username, "password": PASSWORD},
    )
    assert signed.status_code == 302
    closed = client.post(
        url, {"action": "close", "close-username": plant.trainer_user.username,
              "close-password": PASSWORD},
    )  # fmt: skip
    assert closed.status_code == 302
    assert engine.is_qualified(attendees[0], gmp, at=timezone.now())
    assert attendees[0].assignments.get(requirement=gmp).status == AssignmentStatus.COMPLETED


@pytest.mark.requirement("P37", "P39")
def test_the_assignment_page_offers_the_sessions_of_a_classroom_training(
    course, attendees, plant, open_session
):
    session, _, _ = open_session
    ann = attendees[0]
    page = Client()
    page.force_login(ann.user)
    assignment = ann.assignments.get(requirement=session.requirement)
    text = page.get(reverse("web:employee_assignment", args=[assignment.pk])).content.decode()
    assert reverse("web:employee_session", args=[session.pk]) in text
    assert "a trainer or coordinator records it with you" not in text


# --- certificates ---------------------------------------------------------------------------


@pytest.fixture
def tom(plant, course):
    _, _, ttt = course
    jf = plant.job_function("TRN", "Trainer")
    plant.matrix(ttt, jf)
    return plant.person("Tom", job_function=jf), ttt


def _certificate_post(client, requirement, upload, **extra):
    data = {
        "requirement": requirement.pk,
        "issuer": "GMP Academy",
        "completed_on": (dt.date.today() - dt.timedelta(days=5)).isoformat(),
        "valid_until": (dt.date.today() + dt.timedelta(days=700)).isoformat(),
        "file": upload,
        **extra,
    }
    return client.post(reverse("web:employee_certificate_new"), data)


@pytest.mark.requirement("P38", "P41", "Q4")
def test_a_certificate_is_submitted_verified_and_signed_from_the_pages(tom, plant, coordinator):
    person, ttt = tom
    mine = Client()
    mine.force_login(person.user)
    assignment = person.assignments.get(requirement=ttt)
    page = mine.get(reverse("web:employee_assignment", args=[assignment.pk])).content.decode()
    assert reverse("web:employee_certificate_new") in page
    refused = _certificate_post(
        mine, ttt, SimpleUploadedFile("c.txt", b"plain words", content_type="text/plain")
    )
    assert "A certificate is a PDF or an image" in refused.content.decode()
    assert not ExternalCertificate.objects.exists()
    sent = _certificate_post(
        mine, ttt, SimpleUploadedFile("c.pdf", files.pdf("TTT"), content_type="application/pdf")
    )
    assert sent.status_code == 302
    certificate = ExternalCertificate.objects.get()

    checker = Client()
    checker.force_login(coordinator)
    listing = checker.get(reverse("web:coordinator_certificates")).content.decode()
    assert person.full_name in listing
    detail = reverse("web:coordinator_certificate", args=[certificate.pk])
    assert checker.get(detail + "?file=1")["Content-Type"] == "application/pdf"
    checker.post(
        detail,
        {"action": "verify", "username": coordinator.username, "password": PASSWORD},
    )
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.VERIFIED
    assert not engine.is_qualified(person, ttt, at=timezone.now())

    signed = mine.post(
        reverse("web:employee_certificate", args=[certificate.pk]),
        {"username": person.user.username, "password": PASSWORD},
    )
    assert signed.status_code == 302
    assert engine.is_qualified(person, ttt, at=timezone.now())


@pytest.mark.requirement("P38", "U2")
def test_someone_elses_certificate_is_not_found(tom, plant):
    person, ttt = tom
    certificate = training.certificate_submit(
        actor=person.user,
        person=person,
        requirement=ttt,
        issuer="GMP Academy",
        completed_at=timezone.now() - DAY,
        file=SimpleUploadedFile("c.pdf", files.pdf("TTT")),
    )
    other = Client()
    other.force_login(plant.person("Eve").user)
    url = reverse("web:employee_certificate", args=[certificate.pk])
    assert other.get(url).status_code == 404
    assert other.get(url + "?file=1").status_code == 404


# --- e-learning -----------------------------------------------------------------------------


@pytest.mark.requirement("P37")
def test_an_elearning_assignment_is_read_in_the_viewer_before_its_assessment(plant, employee):
    from qualify.training.services.elearning import reading_problem

    document = plant.document("POL-001")
    di = plant.requirement(
        "DI-ALCOA", method=Method.ELEARNING, document=document, evidence_required="assessment",
        pass_mark="80.00",
    )  # fmt: skip
    plant.matrix(di)
    person = plant.person("Olivia", user=employee, job_function=plant.operators)
    assignment = person.assignments.get(requirement=di)
    assert "in the viewer first" in reading_problem(person, di)
    page = Client()
    page.force_login(employee)
    url = reverse("web:employee_assignment", args=[assignment.pk])
    text = page.get(url).content.decode()
    assert "I have read this version" in text
    assert (
        page.post(reverse("web:employee_elearning_read", args=[assignment.pk])).status_code == 302
    )
    assert VersionReading.objects.filter(person=person).count() == 1
    assert reading_problem(person, di) == ""
    again = page.post(reverse("web:employee_elearning_read", args=[assignment.pk]))
    assert again.status_code == 302
    assert VersionReading.objects.filter(person=person).count() == 1  # idempotent


# --- the API --------------------------------------------------------------------------------


@pytest.mark.requirement("P37", "P38", "P39", "P40")
def test_the_api_runs_sessions_and_certificates(course, attendees, plant, coordinator, tom):
    _, gmp, _ = course
    trainer_api = APIClient()
    trainer_api.force_login(plant.trainer_user)
    now = timezone.now()
    made = trainer_api.post(
        "/api/v1/sessions/",
        {"requirement": gmp.code, "room": "Room 9", "starts_at": (now - HOUR).isoformat(),
         "ends_at": (now + HOUR).isoformat(), "capacity": 1},
        format="json",
    )  # fmt: skip
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    ann_api, ben_api = APIClient(), APIClient()
    ann_api.force_login(attendees[0].user)
    ben_api.force_login(attendees[1].user)
    assert ann_api.post(f"/api/v1/sessions/{pk}/enrol/", {}, format="json").status_code == 201
    full = ben_api.post(f"/api/v1/sessions/{pk}/enrol/", {}, format="json")
    assert full.status_code == 400
    assert "full" in full.json()["detail"]
    early = ann_api.post(f"/api/v1/sessions/{pk}/sign/", {"password": PASSWORD}, format="json")
    assert early.status_code == 400
    window = trainer_api.post(f"/api/v1/sessions/{pk}/window/", {"minutes": 15}, format="json")
    assert window.status_code == 201
    assert "/trainer/kiosk/" in window.json()["kiosk_url"]
    signed = ann_api.post(f"/api/v1/sessions/{pk}/sign/", {"password": PASSWORD}, format="json")
    assert signed.status_code == 201, signed.content
    closed = trainer_api.post(
        f"/api/v1/sessions/{pk}/close/", {"password": PASSWORD}, format="json"
    )
    assert closed.json()["status"] == "held"
    assert engine.is_qualified(attendees[0], gmp, at=timezone.now())

    person, ttt = tom
    tom_api = APIClient()
    tom_api.force_login(person.user)
    bad = tom_api.post(
        "/api/v1/certificates/",
        {"requirement": ttt.code, "issuer": "X", "completed_at": (now - DAY).isoformat(),
         "file": SimpleUploadedFile("c.txt", b"words")},
        format="multipart",
    )  # fmt: skip
    assert bad.status_code == 400
    assert "PDF or an image" in bad.json()["detail"]
    sent = tom_api.post(
        "/api/v1/certificates/",
        {"requirement": ttt.code, "issuer": "X", "completed_at": (now - DAY).isoformat(),
         "file": SimpleUploadedFile("c.pdf", files.pdf("TTT"))},
        format="multipart",
    )  # fmt: skip
    assert sent.status_code == 201, sent.content
    cid = sent.json()["id"]
    assert (
        tom_api.post(f"/api/v1/certificates/{cid}/verify/", {"password": PASSWORD}).status_code
        == 403
    )
    checker = APIClient()
    checker.force_login(coordinator)
    verified = checker.post(f"/api/v1/certificates/{cid}/verify/", {"password": PASSWORD})
    assert verified.json()["status"] == "verified"
    assert (
        tom_api.post(f"/api/v1/certificates/{cid}/sign/", {"password": PASSWORD}).status_code == 201
    )
    assert engine.is_qualified(person, ttt, at=timezone.now())


@pytest.mark.requirement("P37", "S1", "G7")
def test_read_and_understand_is_signed_through_the_api(reading, employee):
    _, _, _, assignment = reading
    api = APIClient()
    api.force_login(employee)
    wrong = api.post(
        f"/api/v1/assignments/{assignment.pk}/sign/", {"password": "nope"}, format="json"
    )
    assert wrong.status_code == 400
    signed = api.post(
        f"/api/v1/assignments/{assignment.pk}/sign/", {"password": PASSWORD}, format="json"
    )
    assert signed.status_code == 201, signed.content
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.COMPLETED


@pytest.mark.requirement("P37", "Q4", "Q8")
def test_an_on_the_job_sign_off_through_the_api(plant, course, attendees):
    _, _, ttt = course
    ojt = plant.requirement(
        "OJT-FILL", method=Method.ON_THE_JOB, trainer_requirement=ttt, checklist="1. Gown"
    )
    ann = attendees[0]
    api = APIClient()
    api.force_login(plant.trainer_user)
    body = {
        "requirement": ojt.code,
        "trainee": ann.employee_number,
        "attested_at": (timezone.now() - HOUR).isoformat(),
        "checklist_ok": True,
        "password": PASSWORD,
        "trainee_username": ann.user.username,
        "trainee_password": PASSWORD,
    }
    unmet = api.post("/api/v1/on-the-job/", {**body, "checklist_ok": False}, format="json")
    assert unmet.status_code == 400
    assert "checklist" in unmet.json()["detail"]
    done = api.post("/api/v1/on-the-job/", body, format="json")
    assert done.status_code == 201, done.content
    assert done.json()["evidence"] == "demonstration"
    assert engine.is_qualified(ann, ojt, at=timezone.now())


@pytest.mark.requirement("P28", "P38", "P40")
def test_my_work_lists_certificates_to_verify_and_sign_and_sessions_to_close(
    tom, plant, coordinator, open_session, attendees
):
    from qualify.quality.queries import work

    person, ttt = tom
    certificate = training.certificate_submit(
        actor=person.user,
        person=person,
        requirement=ttt,
        issuer="GMP Academy",
        completed_at=timezone.now() - DAY,
        file=SimpleUploadedFile("c.pdf", files.pdf("TTT")),
    )

    def keys(user):
        return [
            i.key for i in work.my_work(user) if i.kind in (work.CERTIFICATE, work.SESSION_CLOSE)
        ]

    assert keys(coordinator) == [f"training.externalcertificate:{certificate.pk}:verify"]
    assert keys(person.user) == []
    training.certificate_verify(
        actor=coordinator, certificate=certificate, credentials=creds_of(coordinator)
    )
    assert keys(coordinator) == []
    assert keys(person.user) == [f"training.externalcertificate:{certificate.pk}:sign"]
    training.certificate_sign(
        actor=person.user, certificate=certificate, credentials=creds_of(person.user)
    )
    assert keys(person.user) == []

    session, window, _ = open_session
    assert keys(plant.trainer_user) == []
    training.attendance_sign(
        window=window,
        credentials=Credentials(username=attendees[0].user.username, password=PASSWORD),
    )
    assert keys(plant.trainer_user) == [f"training.classsession:{session.pk}:close"]
    training.session_close(
        actor=plant.trainer_user, session=session, credentials=creds_of(plant.trainer_user)
    )
    assert keys(plant.trainer_user) == []
