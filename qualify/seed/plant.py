"""The demo plant, replayed through the real services at historical times.

Every record, signature and audit event of the demo is made the way a person
would make it: through the services, with the person's own password, at the time
it would have happened (the clock is moved forward with time-machine, so the audit
trail stays in time order). Nothing is inserted behind the services' back, so
`qualify audit verify` holds on the demo database. The daily jobs (G4 recurrence, G6
clean-ups) run as the history moves on, and the quality events (change controls,
CAPAs, deviations, executions through the gate) happen in time order among the
revisions (plant_quality.py).

The scale data sets (medium, large) are too big for that; they are built set-based,
every row audited, by scale.py.
"""

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import time_machine
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from qualify.accounts import roles
from qualify.accounts.models import User
from qualify.accounts.services import user_create
from qualify.documents import services as docs
from qualify.documents.models import Document, DocumentVersion
from qualify.org import services as org
from qualify.org.models import Person
from qualify.seed import assessments
from qualify.seed import plant_data as data
from qualify.seed.logins import DEMO_PASSWORD, DEMO_USERS
from qualify.signatures.services import Credentials
from qualify.training import scheduler
from qualify.training import services as training
from qualify.training.models import (
    Assignment,
    AssignmentReason,
    AssignmentStatus,
    Method,
    Requirement,
)

EDITORIAL = "Editorial change only; no change to practice"
START = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)


@dataclass
class Plant:
    rng: random.Random
    users: dict[str, User] = field(default_factory=dict)
    people: list[Person] = field(default_factory=list)
    sites: dict = field(default_factory=dict)
    departments: dict = field(default_factory=dict)
    functions: dict = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)
    requirements: dict[str, Requirement] = field(default_factory=dict)
    reviewer: User | None = None
    summary: list[str] = field(default_factory=list)
    people_per_function: int | None = None

    def creds(self, user: User) -> Credentials:
        return Credentials(password=DEMO_PASSWORD, username=user.username, session={})


class Clock:
    """Moves the process clock forward, never back, so history stays ordered."""

    def __init__(self) -> None:
        self._traveller = None
        self.now = START
        # Read before any travel: the history must end before the real present.
        self.ceiling = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)

    def at(self, when: dt.datetime) -> None:
        when = max(when, self.now + dt.timedelta(seconds=1))
        when = min(when, self.ceiling)
        if self._traveller is not None:
            self._traveller.stop()
        self._traveller = time_machine.travel(when, tick=False)
        self._traveller.start()
        self.now = when

    def step(self, minutes: int = 1) -> None:
        self.at(self.now + dt.timedelta(minutes=minutes))

    def stop(self) -> None:
        if self._traveller is not None:
            self._traveller.stop()
            self._traveller = None


def load(
    *,
    scale: str,
    seed: int,
    people_per_function: int | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[str]:
    """Load the demo plant (through the services) or a scale data set (set-based).

    people_per_function caps the demo's staffing per job function (tests use 1);
    ``progress(steps done, steps, step now)`` follows the steps (P142)."""
    if scale != "demo":
        return _load_scale(scale, seed, progress)
    plant = Plant(rng=random.Random(seed), people_per_function=people_per_function)
    clock = Clock()
    try:
        clock.at(START)
        real_now = clock.ceiling
        steps = [
            ("accounts", lambda: _accounts(plant)),
            ("organisation", lambda: _organisation(plant, clock)),
            ("documents", lambda: _documents(plant, clock)),
            ("requirements and matrix", lambda: _requirements_and_matrix(plant, clock)),
            ("assessments", lambda: assessments.define(plant, clock)),
            ("staff", lambda: _staff(plant, clock)),
            ("initial training", lambda: _initial_training(plant, clock)),
            ("20 months of history", lambda: _history(plant, clock, real_now)),
        ]
        for done, (name, run) in enumerate(steps):
            if progress is not None:
                progress(done, len(steps), name)
            run()
        if progress is not None:
            progress(len(steps), len(steps), "done")
    finally:
        clock.stop()
    plant.summary.append(
        f"{Person.objects.count()} people, {Document.objects.count()} documents, "
        f"{DocumentVersion.objects.count()} versions"
    )
    open_count = Assignment.objects.filter(status=AssignmentStatus.OPEN).count()
    overdue = Assignment.objects.filter(
        status=AssignmentStatus.OPEN, due_at__lt=timezone.now()
    ).count()
    plant.summary.append(f"{open_count} open assignments, {overdue} overdue")
    return plant.summary


def _load_scale(
    scale: str, seed: int, progress: Callable[[int, int, str], None] | None = None
) -> list[str]:
    """medium or large: bulk-built and audited (qualify.seed.scale), plus the demo
    logins made through the services so someone can sign in and look around."""
    import time

    from qualify.seed import scale as scale_data

    started = time.perf_counter()
    built = scale_data.build(scale_data.SCALES[scale], seed=seed, progress=progress)
    _accounts(Plant(rng=random.Random(seed)))
    seconds = time.perf_counter() - started
    return [
        *built.summary(),
        f"demo logins: {len(DEMO_USERS) + 1} accounts",
        f"built in {seconds:.0f} s; history up to {scale_data.AT:%Y-%m-%d}"
        " (ask qualify qualified with --at for the plant as it stood)",
    ]


def _user(plant: Plant, username: str, name: str, role_names: list[str]) -> User:
    user = user_create(
        actor=None,
        username=username,
        printed_name=name,
        email=f"{username}@demo.qualify.local",
        password=DEMO_PASSWORD,
        roles=role_names,
    )
    plant.users[username] = user
    return user


@transaction.atomic
def _accounts(plant: Plant) -> None:
    for username, name, role_names, _what in DEMO_USERS:
        _user(plant, username, name, role_names)
    plant.reviewer = _user(
        plant, "qa.reviewer", "Rita Reviewer", [roles.EMPLOYEE, roles.QA_APPROVER]
    )
    _verify_all(plant)


def _verify_all(plant: Plant) -> None:
    """The administrator records each identity check; each person acknowledges the
    e-signature policy with their own password (U1)."""
    from qualify.accounts.services import (
        user_acknowledge_esig_policy,
        user_record_identity_verified,
    )

    admin = plant.users["admin"]
    mine = [user.pk for user in plant.users.values()]
    for user in User.objects.filter(
        pk__in=mine, identity_verified_at__isnull=True, is_service_account=False
    ).order_by("pk"):
        if user.pk != admin.pk:
            user_record_identity_verified(
                actor=admin, user=user, reason="Photo ID checked by HR at onboarding"
            )
        user.refresh_from_db()
        if user.pk != admin.pk:
            user_acknowledge_esig_policy(user=user, password=DEMO_PASSWORD)


def _organisation(plant: Plant, clock: Clock) -> None:
    admin, coordinator = plant.users["admin"], plant.users["coordinator"]
    for code, name, zone, policy in data.SITES:
        plant.sites[code] = org.site_create(
            actor=admin, code=code, name=name, time_zone=zone, gate_policy=policy
        )
    for site, code, name in data.DEPARTMENTS:
        plant.departments[(site, code)] = org.department_create(
            actor=admin, site=plant.sites[site], code=code, name=name
        )
    client = org.client_create(actor=admin, code=data.CLIENT[0], name=data.CLIENT[1])
    plant.client = client
    frameworks = {
        code: org.framework_ensure(actor=admin, code=code, name=name)
        for code, name in data.FRAMEWORKS
    }
    for code, name, site, fws, client_code in data.JOB_FUNCTIONS:
        plant.functions[code] = org.job_function_create(
            actor=coordinator,
            code=code,
            name=name,
            site=plant.sites[site],
            client=client if client_code else None,
            frameworks=[frameworks[f] for f in fws],
        )
    plant.frameworks = frameworks
    clock.step(30)


def _approve(plant: Plant, version: DocumentVersion, *, effective_from=None, exception="") -> None:
    author = plant.users["doccontrol"]
    docs.version_submit(actor=author, version=version, credentials=plant.creds(author))
    docs.version_review(
        actor=plant.reviewer, version=version, credentials=plant.creds(plant.reviewer)
    )
    docs.version_approve(
        actor=plant.users["qa"],
        version=version,
        credentials=plant.creds(plant.users["qa"]),
        effective_from=effective_from,
        window_exception_reason=exception,
    )


def _text(number: str, title: str, revision: str, summary: str) -> str:
    return (
        f"{number} {title}\nRevision {revision}\n\n1. Purpose\nThis procedure describes "
        f"{title.lower()}.\n\n2. Scope\nApplies to all personnel performing this activity.\n\n"
        f"3. Procedure\n3.1 Follow each step in order and record it contemporaneously.\n"
        f"3.2 Report any departure as a deviation (SOP-030).\n\nChange summary: {summary}\n"
    )


def _documents(plant: Plant, clock: Clock) -> None:
    author = plant.users["doccontrol"]
    for number, title, doc_type, fws, client_code, revisions in data.DOCUMENTS:
        document = docs.document_create(
            actor=author,
            number=number,
            title=title,
            doc_type=doc_type,
            owner=plant.users["qa"],
            frameworks=[plant.frameworks[f] for f in fws],
            site=plant.sites["CRK"],
            client=plant.client if client_code else None,
        )
        plant.documents[number] = document
        label, _retrain, summary = revisions[0]
        version = docs.version_draft(
            actor=author,
            document=document,
            revision=label,
            change_summary=summary,
            content_text=_text(number, title, label, summary),
        )
        _approve(plant, version, exception="First issue: nobody is trained on it yet")
    plant.summary.append(f"{len(plant.documents)} documents issued")
    clock.step(60)


def _requirements_and_matrix(plant: Plant, clock: Clock) -> None:
    coordinator = plant.users["coordinator"]
    for number, document in plant.documents.items():
        method = Method.READ_AND_UNDERSTAND
        plant.requirements[f"R:{number}"] = training.requirement_create(
            actor=coordinator,
            code=f"RU-{number}",
            title=f"Read and understand {number} {document.title}",
            method=method,
            document=document,
        )
    for code, title, method, number, months, evidence, mark, trainer_req in data.EXTRA_REQUIREMENTS:
        plant.requirements[code] = training.requirement_create(
            actor=coordinator,
            code=code,
            title=title,
            method=method,
            document=plant.documents[number] if number else None,
            recurrence_months=months,
            evidence_required=evidence,
            pass_mark=Decimal(mark) if mark else None,
            trainer_requirement=plant.requirements[trainer_req] if trainer_req else None,
            checklist="1. Set-up verified\n2. Operation demonstrated\n3. Clean-down demonstrated"
            if method == "ojt"
            else "",
        )
    clock.step(30)
    qa = plant.users["qa"]
    for function_code, entries in data.MATRIX.items():
        for key in entries:
            training.matrix_entry_add(
                actor=coordinator,
                job_function=plant.functions[function_code],
                requirement=plant.requirements[key],
                valid_from=clock.now,
                window_days=30,
                reason="Initial training matrix",
                qa_actor=qa,
                qa_credentials=plant.creds(qa),
            )
    plant.summary.append(f"{len(plant.requirements)} training requirements in the matrix")
    clock.step(60)


def _person_for(
    plant: Plant, user: User, number: str, site: str, dept: str, functions, when, manager=None
):
    coordinator = plant.users["coordinator"]
    person = org.person_create(
        actor=coordinator,
        employee_number=number,
        full_name=user.printed_name,
        email=user.email,
        site=plant.sites[site],
        department=plant.departments[(site, dept)],
        manager=manager,
        user=user,
    )
    for code in functions:
        org.job_assignment_start(
            actor=coordinator,
            person=person,
            job_function=plant.functions[code],
            valid_from=when,
            reason="Onboarding",
        )
    plant.people.append(person)
    return person


def _staff(plant: Plant, clock: Clock) -> None:
    from qualify.accounts.services import (
        user_acknowledge_esig_policy,
        user_record_identity_verified,
    )

    when = clock.now
    named = {
        "operator": ("CRK", "MFG", ["FILL-OP", "NVX-FILL"]),
        "trainer": ("CRK", "MFG", ["SUPV"]),
        "coordinator": ("CRK", "QA", []),
        "doccontrol": ("CRK", "QA", []),
        "qa": ("CRK", "QA", ["QA-REL"]),
        "qa.reviewer": ("CRK", "QA", ["QA-SPEC"]),
    }
    number = 1000
    for username, (site, dept, functions) in named.items():
        number += 1
        _person_for(plant, plant.users[username], f"E{number}", site, dept, functions, when)
    # Reporting lines, so overdue training reaches managers and escalates (reminders).
    supervisor, qa_lead = plant.users["trainer"].person, plant.users["qa"].person
    for username, manager in [
        ("operator", supervisor),
        ("trainer", qa_lead),
        ("coordinator", qa_lead),
        ("doccontrol", qa_lead),
        ("qa.reviewer", qa_lead),
    ]:
        org.person_update(
            actor=plant.users["coordinator"],
            person=plant.users[username].person,
            manager=manager,
            reason="Reporting line recorded from the HR organisation chart",
        )
    rng = plant.rng
    admin = plant.users["admin"]
    used = set()
    for function_code, count, site, dept in data.STAFFING:
        if plant.people_per_function is not None:
            count = min(count, plant.people_per_function)
        for _ in range(count):
            while True:
                first, last = rng.choice(data.FIRST_NAMES), rng.choice(data.LAST_NAMES)
                if (first, last) not in used:
                    used.add((first, last))
                    break
            username = f"{first}.{last}".lower().replace("'", "")
            user = _user(plant, username, f"{first} {last}", [roles.EMPLOYEE])
            user_record_identity_verified(actor=admin, user=user, reason="Photo ID checked by HR")
            user.refresh_from_db()
            user_acknowledge_esig_policy(user=user, password=DEMO_PASSWORD)
            number += 1
            functions = [function_code]
            if function_code == "FILL-OP" and rng.random() < 0.3:
                functions.append("NVX-FILL")
            manager = supervisor if dept == "MFG" else qa_lead
            _person_for(plant, user, f"E{number}", site, dept, functions, when, manager)
    plant.summary.append(f"{len(plant.people)} people on two sites")
    clock.step(60)
    # Trainers hold the train-the-trainer certificate before they train anyone.
    trainer_requirement = plant.requirements["TRN-TRAINER"]
    for username in ("trainer", "qa"):
        person = plant.users[username].person
        training.record_external(
            actor=plant.users["coordinator"],
            person=person,
            requirement=trainer_requirement,
            completed_at=clock.now - dt.timedelta(days=20),
            evidence_file=ContentFile(
                f"Train-the-trainer certificate for {person.full_name}".encode(),
                name=f"ttt-{person.employee_number}.txt",
            ),
            credentials=plant.creds(plant.users[username]),
        )


def _complete(plant: Plant, assignment: Assignment, clock: Clock) -> None:
    person = assignment.person
    user = person.user
    requirement = assignment.requirement
    trainer = plant.users["trainer"]
    if person.user_id == trainer.pk:
        trainer = plant.users["qa"]
    if requirement.method == Method.READ_AND_UNDERSTAND:
        training.record_read_and_understood(
            actor=user, assignment=assignment, credentials=plant.creds(user)
        )
    elif requirement.method == Method.ELEARNING:
        if user.username == "operator" and assignment.reason != AssignmentReason.RECURRENCE:
            # The demo's operator still has her e-learning to do: read POL-001 in the
            # viewer, then take its assessment.
            return
        assessments.complete(plant, assignment, clock)
    elif requirement.method == Method.CLASSROOM:
        training.record_classroom(
            actor=trainer,
            trainee=person,
            requirement=requirement,
            attested_at=clock.now - dt.timedelta(hours=3),
            trainee_credentials=plant.creds(user),
            trainer_credentials=plant.creds(trainer),
        )
    elif requirement.method == Method.ON_THE_JOB:
        training.record_on_the_job(
            actor=trainer,
            trainee=person,
            requirement=requirement,
            attested_at=clock.now - dt.timedelta(hours=2),
            trainee_credentials=plant.creds(user),
            trainer_credentials=plant.creds(trainer),
        )


def _work_through(
    plant: Plant,
    clock: Clock,
    start: dt.datetime,
    days: int,
    share: float,
    only: Callable[[Assignment], bool] = lambda a: True,
) -> int:
    """People complete a share of their open assignments over the next days."""
    open_assignments = [
        a
        for a in Assignment.objects.filter(status=AssignmentStatus.OPEN)
        .select_related("person__user", "requirement")
        .order_by("pk")
        if only(a) and a.requirement.method != Method.EXTERNAL
    ]
    chosen = [a for a in open_assignments if plant.rng.random() < share]
    schedule = sorted(
        (start + dt.timedelta(minutes=plant.rng.randrange(days * 24 * 60)), a.pk) for a in chosen
    )
    done = 0
    for when, pk in schedule:
        assignment = Assignment.objects.select_related("person__user", "requirement").get(pk=pk)
        if assignment.status != AssignmentStatus.OPEN:
            continue
        clock.at(when)
        _complete(plant, assignment, clock)
        done += 1
    return done


def _initial_training(plant: Plant, clock: Clock) -> None:
    done = _work_through(plant, clock, clock.now + dt.timedelta(days=1), 25, 0.97)
    plant.summary.append(f"{done} initial training records signed")


def _history(plant: Plant, clock: Clock, now: dt.datetime) -> None:
    """Revisions over 20 months: each retrains the people who need it; most sign in
    time, some late, and the newest are still open."""
    revisions = [
        (number, rev) for number, _t, _ty, _f, _c, revs in data.DOCUMENTS for rev in revs[1:]
    ]
    from qualify.seed import plant_quality as quality

    span = (now - dt.timedelta(days=12)) - (START + dt.timedelta(days=60))
    step = span / max(len(revisions), 1)
    author = plant.users["doccontrol"]
    changes = {}
    # Quality events that happen some days before a revision is drafted (time order).
    episodes = {
        ("SOP-035", "2"): lambda: quality.close_change_control(plant, clock, changes["SOP-020"]),
        ("SOP-041", "2"): lambda: quality.autoclave_deviation_and_capa(plant, clock),
        ("SOP-061", "2"): lambda: quality.packaging_batch(plant, clock),
    }
    for index, (number, (label, retrain, summary)) in enumerate(revisions):
        when = START + dt.timedelta(days=60) + step * index
        if (number, label) in episodes and "SOP-020" in changes:
            clock.at(when - dt.timedelta(days=12))
            episodes[(number, label)]()
        clock.at(when)
        # The daily jobs ran all along: periodic retraining (G4) is assigned before
        # records expire, and worked through with the revision below.
        scheduler.run_daily(now=clock.now, source="task")
        document = plant.documents[number]
        if number == "SOP-020":
            changes[number] = quality.change_control_for(
                plant,
                clock,
                number=f"CC-{clock.now:%Y}-014",
                document_number=number,
                title="Autoclave: daily Bowie-Dick test",
                why="Steam penetration to be tested daily, not weekly",
            )
        version = docs.version_draft(
            actor=author,
            document=document,
            revision=label,
            change_summary=summary,
            retraining_required=retrain,
            editorial_justification=""
            if retrain
            else "Editorial change only; no change to practice",
            content_text=_text(number, document.title, label, summary),
        )
        if number in changes:
            quality.link(plant, changes[number], version)
        effective = clock.now + dt.timedelta(days=31)
        _approve(plant, version, effective_from=effective)
        recent = now - clock.now < dt.timedelta(days=45)
        _work_through(
            plant,
            clock,
            clock.now + dt.timedelta(days=2),
            4 if recent else 20,
            0.5 if recent else 0.93,
            only=lambda a, d=document: (
                (a.document_version_id is not None and a.document_version.document_id == d.pk)
                or a.reason == AssignmentReason.RECURRENCE
            ),
        )
    plant.summary.append(f"{len(revisions)} revisions approved with retraining history")
    # The newest events: days ago, so their training is open but not yet overdue.
    clock.at(now - dt.timedelta(days=8))
    quality.open_change_control(plant, clock, now)
    clock.at(now - dt.timedelta(days=4))
    quality.filling_batch_and_open_capa(plant, clock)
