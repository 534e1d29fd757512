"""P21: a second submission of the same action (a double click, a second tab, a
retried request) never writes a second record; it is answered "already done" with the
first one's result. Sequential doubles on every engine; true races (two processes, two
connections) on PostgreSQL, where the row locks are real."""

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from qualify.guards import AlreadyDone
from qualify.quality import services as quality
from qualify.signatures.models import Signature
from qualify.training import services as training
from qualify.training.models import Assignment, Method, TrainingRecord
from qualify.training.services.records import AttendeesRefused, record_classroom_session
from tests.personas import PASSWORD
from tests.plugins.migrated_template import pg_copy_for_processes
from tests.training._double_submit_worker import ACTIONS, ready_to_close
from tests.training.support import creds

pytestmark = pytest.mark.requirement("P21")

REPO = Path(__file__).resolve().parents[2]
IS_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "qualify.postgresql"
RACE_NEEDS_POSTGRES = (
    "needs PostgreSQL (QUALIFY_DATABASE_URL=postgres://...): two processes racing for "
    "a row lock on a database of their own"
)


def signatures(obj, meaning: str) -> int:
    return Signature.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk), meaning=meaning
    ).count()


@pytest.fixture
def sop(plant):
    document = plant.document("SOP-700")
    requirement = plant.requirement("RQ-700", document=document)
    plant.matrix(requirement)
    return requirement


@pytest.fixture
def course(plant):
    _, certificate = plant.qualified_trainer()
    course = plant.requirement("GMP-700", method=Method.CLASSROOM, trainer_requirement=certificate)
    return course, [plant.person("Ann"), plant.person("Bob")]


def session(plant, course, attendees, when, **passwords):
    return record_classroom_session(
        actor=plant.trainer_user,
        requirement=course,
        attested_at=when,
        attendees=[(p, creds(p.user, passwords.get(p.full_name, PASSWORD))) for p in attendees],
        trainer_credentials=creds(plant.trainer_user),
    )


# --- sequential doubles -----------------------------------------------------------------


@pytest.mark.requirement("R1")
def test_signing_an_assignment_twice_writes_one_record(plant, sop):
    ann = plant.person("Ann", job_function=plant.operators)
    assignment = Assignment.objects.get(person=ann, requirement=sop)
    first = plant.read(ann, assignment=assignment)
    with pytest.raises(AlreadyDone) as second:
        plant.read(ann, assignment=assignment)
    assert second.value.existing == first
    assert "already signed" in second.value.messages[0]
    assert TrainingRecord.objects.filter(person=ann, requirement=sop).count() == 1


def test_reading_the_same_version_twice_without_an_assignment_writes_one_record(plant, sop):
    ann = plant.person("Ann")  # not required: cross-training, no assignment
    first = plant.read(ann, sop)
    with pytest.raises(AlreadyDone) as second:
        plant.read(ann, sop)
    assert second.value.existing == first
    assert TrainingRecord.objects.filter(person=ann, requirement=sop).count() == 1


def test_a_requalification_after_a_signing_asks_for_a_new_one(plant, sop):
    """Not a double: training asked for since the first signing is signed again."""
    ann = plant.person("Ann", job_function=plant.operators)
    plant.read(ann, assignment=Assignment.objects.get(person=ann, requirement=sop))
    _, assignment = training.requalification_order(
        actor=plant.qa, person=ann, requirement=sop, reason="DEV-7", source="quality.deviation:7"
    )
    plant.read(ann, assignment=assignment)
    assert TrainingRecord.objects.filter(person=ann, requirement=sop).count() == 2


def test_a_classroom_session_submitted_twice_records_each_attendee_once(plant, course):
    requirement, attendees = course
    when = timezone.now() - dt.timedelta(hours=2)
    first = session(plant, requirement, attendees, when)
    with pytest.raises(AlreadyDone) as second:
        session(plant, requirement, attendees, when)
    assert second.value.existing in first
    assert TrainingRecord.objects.filter(requirement=requirement).count() == 2


@pytest.mark.requirement("R1")
def test_one_wrong_attendee_password_records_nobody(plant, course):
    requirement, (ann, bob) = course
    when = timezone.now() - dt.timedelta(hours=2)
    with pytest.raises(AttendeesRefused) as refused:
        session(plant, requirement, [ann, bob], when, **{bob.full_name: "wrong"})
    assert set(refused.value.by_person) == {bob.pk}
    assert "Nothing was recorded" in refused.value.messages[0]
    assert not TrainingRecord.objects.filter(requirement=requirement).exists()
    assert len(session(plant, requirement, [ann, bob], when)) == 2


@pytest.mark.requirement("P40")
def test_the_session_page_answers_a_second_closing_with_a_message(client, plant, course):
    """A classroom session is closed once: the trainer's second submission of the
    closing (double click, second tab) is answered "already closed" and signs nothing
    more."""
    requirement, (ann, bob) = course
    now = timezone.now()
    held = training.session_schedule(
        actor=plant.trainer_user,
        requirement=requirement,
        room="Room 7",
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=1),
        capacity=5,
    )
    for person in (ann, bob):
        training.session_enrol(actor=plant.trainer_user, session=held, person=person)
    window, _ = training.window_open(actor=plant.trainer_user, session=held)
    for person in (ann, bob):
        training.attendance_sign(window=window, credentials=creds(person.user))
    client.force_login(plant.trainer_user)
    url = reverse("web:trainer_session", args=[held.pk])
    data = {
        "action": "close",
        "close-username": plant.trainer_user.username,
        "close-password": PASSWORD,
    }
    assert client.post(url, data).status_code == 302
    records = TrainingRecord.objects.filter(requirement=requirement)
    assert all(signatures(r, "trained_by") == 1 for r in records)
    again = client.post(url, data, follow=True)
    assert again.redirect_chain[0][1] == 302
    assert "already closed" in again.content.decode()
    assert records.count() == 2
    assert all(signatures(r, "trained_by") == 1 for r in records)


def test_approving_a_version_twice_signs_once(plant):
    document = plant.document("SOP-701")
    version = plant.draft(document, "2")
    plant.approve(version)
    with pytest.raises(AlreadyDone) as second:
        plant.approve(version)
    assert second.value.existing.pk == version.pk
    assert signatures(version, "approved") == 1


@pytest.fixture
def closable(plant, employee):
    """A CAPA, a change control and a deviation, each ready to close."""
    capa, cc, deviation = ready_to_close(plant, employee, "700")
    return {
        "capa": (
            capa,
            lambda: quality.capa_close(actor=plant.qa, capa=capa, credentials=creds(plant.qa)),
        ),
        "cc": (
            cc,
            lambda: quality.change_control_close(
                actor=plant.qa, change_control=cc, credentials=creds(plant.qa)
            ),
        ),
        "deviation": (
            deviation,
            lambda: quality.deviation_close(
                actor=plant.qa, deviation=deviation, credentials=creds(plant.qa)
            ),
        ),
    }


@pytest.mark.parametrize("kind", ["capa", "cc", "deviation"])
def test_closing_twice_signs_once(closable, kind):
    obj, close = closable[kind]
    close()
    with pytest.raises(AlreadyDone) as second:
        close()
    assert "already closed" in second.value.messages[0]
    assert signatures(obj, "closed") == 1


# --- races on PostgreSQL -----------------------------------------------------------------


def _run(env, *args, timeout=600):
    return subprocess.run(
        [sys.executable, "-m", "tests.training._double_submit_worker", *args],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _race(env, tmp_path, state) -> dict[str, list[str]]:
    """Two processes do each action at the same instant; returns their outcomes."""
    errors = [tmp_path / f"racer-{n}.err" for n in range(2)]
    racers = []
    for n, err in enumerate(errors):
        command = [sys.executable, "-m", "tests.training._double_submit_worker", "race"]
        with err.open("w") as sink:
            racers.append(
                subprocess.Popen(
                    [*command, str(state), str(n), str(tmp_path)], env=env, cwd=REPO, stderr=sink
                )
            )

    def wait_for(files: list[Path], what: str) -> None:
        deadline = time.monotonic() + 300
        while not all(f.exists() for f in files):
            assert time.monotonic() < deadline, f"racers did not {what}"
            dead = [n for n, p in enumerate(racers) if p.poll() is not None]
            assert not dead, f"a racer died before it could {what}:\n" + "\n".join(
                errors[n].read_text()[-3000:] for n in dead
            )
            time.sleep(0.01)

    outcomes = {}
    try:
        for action in ACTIONS:
            wait_for([tmp_path / f"ready-{action}-{n}" for n in range(2)], f"prepare {action}")
            (tmp_path / f"go-{action}").touch()
            out = [tmp_path / f"out-{action}-{n}" for n in range(2)]
            wait_for(out, f"do {action}")
            outcomes[action] = sorted(f.read_text() for f in out)
        assert [p.wait(timeout=120) for p in racers] == [0, 0]
    finally:
        for process in racers:
            if process.poll() is None:
                process.kill()
    return outcomes


@pytest.mark.postgres_only
@pytest.mark.skipif(not IS_POSTGRES, reason=RACE_NEEDS_POSTGRES)
def test_two_submissions_racing_on_postgresql_write_once(tmp_path, migrated_template):
    """Each action submitted by two processes at the same instant: one is done, the
    other is told it was already done (or, for two coordinators adding one matrix
    entry, that it exists); nothing is written twice and nothing fails with a 500."""
    name = f"qualify_double_submit_{os.getpid()}"
    with pg_copy_for_processes(migrated_template, name, tmp_path) as env:
        state = tmp_path / "state.json"
        _run(env, "setup", str(state))
        outcomes = _race(env, tmp_path, state)
        written = json.loads(_run(env, "count", str(state)).stdout)
    expected = {action: ["AlreadyDone", "ok"] for action in ACTIONS}
    expected["matrix"] = ["ValidationError", "ok"]
    assert outcomes == expected
    assert written == {
        "read": 1,
        "session": 2,  # two attendees, each once
        "approve": 1,
        "capa": 1,
        "cc": 1,
        "deviation": 1,
        "matrix": 1,
    }
