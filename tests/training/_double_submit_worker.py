"""The racers of tests/training/test_double_submit.py, each its own process with its
own database connection (as two browser tabs reach two web workers).

    python -m tests.training._double_submit_worker setup STATE
    python -m tests.training._double_submit_worker race STATE N FOLDER
    python -m tests.training._double_submit_worker count STATE

`setup` builds the scenario through the real services and writes the ids to STATE;
racer N loads them and takes the ACTIONS one after the other: for each it prepares the
action, says so (FOLDER/ready-ACTION-N), waits for FOLDER/go-ACTION so that both racers
start together, performs it and writes the outcome ("ok" or the refusal's class name)
to FOLDER/out-ACTION-N. One process per racer for all the actions, as a web worker
serves one request after another: a process per action and racer cost the test
fourteen Django start-ups. `count` prints what was written, as JSON.
"""

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ACTIONS = ("read", "session", "approve", "capa", "cc", "deviation", "matrix")


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qualify.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def setup(state: Path) -> None:
    from django.utils import timezone

    from qualify.training.models import Assignment, Method
    from tests.personas import PERSONAS, make_user
    from tests.training.support import Plant

    users = {name: make_user(name, *PERSONAS[name]) for name in PERSONAS}
    plant = Plant(
        admin=users["admin"],
        coordinator=users["coordinator"],
        doc_controller=users["doc_controller"],
        qa=users["qa"],
        trainer=users["trainer"],
    )
    sop = plant.requirement("RQ-800", document=plant.document("SOP-800"))
    plant.matrix(sop)
    ann = plant.person("Ann", job_function=plant.operators)
    _, certificate = plant.qualified_trainer()
    course = plant.requirement("GMP-800", method=Method.CLASSROOM, trainer_requirement=certificate)
    attendees = [plant.person("Cy"), plant.person("Di")]
    version = plant.draft(plant.document("SOP-801"), "2")
    capa, cc, deviation = ready_to_close(plant, users["employee"], "800")
    matrix_requirement = plant.requirement("RQ-803", document=plant.document("SOP-803"))
    state.write_text(
        json.dumps(
            {
                "users": {name: user.pk for name, user in users.items()},
                "site": plant.site.pk,
                "operators": plant.operators.pk,
                "sop": sop.pk,
                "ann": ann.pk,
                "assignment": Assignment.objects.get(person=ann, requirement=sop).pk,
                "course": course.pk,
                "attendees": [p.pk for p in attendees],
                "attested_at": (timezone.now() - dt.timedelta(hours=2)).isoformat(),
                "version": version.pk,
                "capa": capa.pk,
                "cc": cc.pk,
                "deviation": deviation.pk,
                "matrix_requirement": matrix_requirement.pk,
            }
        )
    )


def perform(action: str, ids: dict):
    """A callable doing `action` once, with everything loaded beforehand."""
    from qualify.accounts.models import User
    from qualify.documents import services as documents
    from qualify.documents.models import DocumentVersion
    from qualify.org.models import JobFunction, Person
    from qualify.quality import services as quality
    from qualify.quality.models import Capa, ChangeControl, Deviation
    from qualify.training import services as training
    from qualify.training.models import Assignment, Requirement
    from qualify.training.services.records import record_classroom_session
    from tests.training.support import creds

    users = {name: User.objects.get(pk=pk) for name, pk in ids["users"].items()}
    qa = users["qa"]
    if action == "read":
        assignment = Assignment.objects.get(pk=ids["assignment"])
        user = Person.objects.get(pk=ids["ann"]).user
        return lambda: training.record_read_and_understood(
            actor=user, credentials=creds(user), assignment=assignment
        )
    if action == "session":
        course = Requirement.objects.get(pk=ids["course"])
        attendees = list(Person.objects.filter(pk__in=ids["attendees"]).select_related("user"))
        when = dt.datetime.fromisoformat(ids["attested_at"])
        return lambda: record_classroom_session(
            actor=users["trainer"],
            requirement=course,
            attested_at=when,
            attendees=[(p, creds(p.user)) for p in attendees],
            trainer_credentials=creds(users["trainer"]),
        )
    if action == "approve":
        version = DocumentVersion.objects.get(pk=ids["version"])
        return lambda: documents.version_approve(actor=qa, version=version, credentials=creds(qa))
    if action == "capa":
        capa = Capa.objects.get(pk=ids["capa"])
        return lambda: quality.capa_close(actor=qa, capa=capa, credentials=creds(qa))
    if action == "cc":
        cc = ChangeControl.objects.get(pk=ids["cc"])
        return lambda: quality.change_control_close(
            actor=qa, change_control=cc, credentials=creds(qa)
        )
    if action == "deviation":
        deviation = Deviation.objects.get(pk=ids["deviation"])
        return lambda: quality.deviation_close(actor=qa, deviation=deviation, credentials=creds(qa))
    if action == "matrix":
        requirement = Requirement.objects.get(pk=ids["matrix_requirement"])
        operators = JobFunction.objects.get(pk=ids["operators"])
        return lambda: training.matrix_entry_add(
            actor=users["coordinator"],
            job_function=operators,
            requirement=requirement,
            reason="Operators perform this procedure",
            qa_actor=qa,
            qa_credentials=creds(qa),
        )
    raise SystemExit(f"unknown action {action}")


def count(ids: dict) -> dict:
    from qualify.documents.models import DocumentVersion
    from qualify.quality.models import Capa, ChangeControl, Deviation
    from qualify.signatures.models import Signature
    from qualify.training.models import MatrixEntry, TrainingRecord

    def signed(model, pk, meaning):
        return Signature.objects.filter(
            object_type=model._meta.label_lower, object_id=str(pk), meaning=meaning
        ).count()

    return {
        "read": TrainingRecord.objects.filter(requirement_id=ids["sop"]).count(),
        "session": TrainingRecord.objects.filter(requirement_id=ids["course"]).count(),
        "approve": signed(DocumentVersion, ids["version"], "approved"),
        "capa": signed(Capa, ids["capa"], "closed"),
        "cc": signed(ChangeControl, ids["cc"], "closed"),
        "deviation": signed(Deviation, ids["deviation"], "closed"),
        "matrix": MatrixEntry.objects.filter(requirement_id=ids["matrix_requirement"]).count(),
    }


def main() -> None:
    _django()
    mode, state = sys.argv[1], Path(sys.argv[2])
    if mode == "setup":
        setup(state)
        return
    ids = json.loads(state.read_text())
    if mode == "count":
        print(json.dumps(count(ids)))
        return
    race(int(sys.argv[3]), ids, Path(sys.argv[4]))


def race(n: int, ids: dict, folder: Path) -> None:
    from django.db import connection

    for name in ACTIONS:
        action = perform(name, ids)
        connection.ensure_connection()
        (folder / f"ready-{name}-{n}").touch()
        go, deadline = folder / f"go-{name}", time.monotonic() + 120
        while not go.exists():
            if time.monotonic() > deadline:
                sys.exit(f"never told to go: {name}")
            time.sleep(0.001)
        try:
            action()
        except Exception as exc:  # the loser's refusal is the outcome to report
            outcome = type(exc).__name__
        else:
            outcome = "ok"
        # Written whole, then renamed: the test reads it as soon as it exists.
        partial = folder / f"out-{name}-{n}.partial"
        partial.write_text(outcome)
        partial.replace(folder / f"out-{name}-{n}")


def ready_to_close(plant, reporter, tag: str):
    """A CAPA whose only action is complete, an approved change control and a deviation
    reported by `reporter`: each ready to close, numbered with `tag`."""
    from django.utils import timezone

    from qualify.quality import services as quality
    from tests.training.support import creds

    capa = quality.capa_create(
        actor=plant.qa,
        number=f"CAPA-2026-{tag}",
        source="other",
        problem_statement="Label mix-up",
        root_cause_category="procedure",
    )
    action = quality.capa_action_add(
        actor=plant.qa,
        capa=capa,
        kind="corrective",
        description="Second-person check",
        owner=plant.qa,
        due_at=timezone.now() + dt.timedelta(days=5),
    )
    quality.capa_action_complete(
        actor=plant.qa, action=action, credentials=creds(plant.qa), comment="Checks in use"
    )
    cc = quality.change_control_create(
        actor=plant.doc_controller,
        number=f"CC-2026-{tag}",
        title="Check",
        description="Add a step",
        reason=f"CAPA-2026-{tag}",
        risk="low",
        planned_effective_date=timezone.now().date(),
    )
    quality.change_control_approve(actor=plant.qa, change_control=cc, credentials=creds(plant.qa))
    deviation = quality.deviation_create(
        actor=reporter,
        number=f"DEV-2026-0{tag}",
        site=plant.site,
        occurred_at=timezone.now() - dt.timedelta(hours=1),
        description="Label mix-up",
    )
    return capa, cc, deviation


if __name__ == "__main__":
    main()
