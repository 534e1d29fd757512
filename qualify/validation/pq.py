"""PQ (P60): scripted scenarios run through the real services on a copy of the demo
plant (a scratch database loaded by `qualify seed --scale demo`), never on the
installation's own data.

A scenario file is YAML:

    scenarios:
    - id: PQ-01
      title: A revision retrains the people who hold the procedure
      urs: [URS-03]
      steps:
      - revise_document: {document: SOP-008}
      - expect_assignments: {document: SOP-008, at_least: 1}

Each step names one function of STEPS with its parameters; people are named by their
login (the demo's `qa`, `doccontrol`, `operator`…), documents by number. A step
either succeeds and says what it saw, or fails with the difference; a scenario fails
at its first failing step and the rest of its steps are reported as not run. The
customer adds their own files with `qualify validate --scenarios FILE`.

Signatures in scenarios are real: each actor signs with the demo password (the demo
plant's accounts), through the signing service like a person on a page.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.utils import timezone

from qualify.signatures.services import Credentials
from qualify.validation import scratch

DEMO_PASSWORD = "Qualify-demo-2026!"  # the demo plant's (qualify.seed.logins), a scratch copy


class StepFailed(Exception):
    pass


@dataclass
class StepResult:
    step: str
    params: dict
    outcome: str  # passed, failed, not run
    said: str = ""


@dataclass
class ScenarioResult:
    id: str
    title: str
    urs: list[str]
    source: str
    steps: list[StepResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.outcome == "passed" for s in self.steps)


class Context:
    def __init__(self, password: str) -> None:
        self.password = password
        self.versions: dict[str, Any] = {}

    def user(self, username: str):
        from qualify.accounts.models import User

        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            raise StepFailed(f"no account {username!r} in the PQ plant") from None

    def person(self, username: str):
        from qualify.org.models import Person

        person = Person.objects.filter(user__username=username).first()
        if person is None:
            person = Person.objects.filter(employee_number=username).first()
        if person is None:
            raise StepFailed(f"no person with login or number {username!r}")
        return person

    def document(self, number: str):
        from qualify.documents.models import Document

        try:
            return Document.objects.get(number=number)
        except Document.DoesNotExist:
            raise StepFailed(f"no document {number!r} in the PQ plant") from None

    def creds(self, user) -> Credentials:
        return Credentials(username=user.username, password=self.password, session={})


def _next_revision(document) -> str:
    from qualify.documents.models import DocumentVersion

    revisions = DocumentVersion.objects.filter(document=document).values_list("revision", flat=True)
    numbers = [int(r) for r in revisions if str(r).isdigit()]
    return str(max(numbers, default=0) + 1)


def revise_document(
    ctx: Context,
    *,
    document: str,
    author: str = "doccontrol",
    reviewer: str = "qa.reviewer",
    approver: str = "qa",
    change: str = "PQ: revised procedure",
    effective_in_days: int = 31,
) -> str:
    """Draft, submit, review and approve a revision requiring retraining (G3)."""
    from qualify.documents import services as docs

    doc = ctx.document(document)
    author_u, reviewer_u, approver_u = ctx.user(author), ctx.user(reviewer), ctx.user(approver)
    revision = _next_revision(doc)
    version = docs.version_draft(
        actor=author_u,
        document=doc,
        revision=revision,
        change_summary=change,
        content_text=f"{doc.number} revision {revision}\n\n{change}\n",
    )
    version = docs.version_submit(actor=author_u, version=version, credentials=ctx.creds(author_u))
    version = docs.version_review(
        actor=reviewer_u, version=version, credentials=ctx.creds(reviewer_u)
    )
    version = docs.version_approve(
        actor=approver_u,
        version=version,
        credentials=ctx.creds(approver_u),
        effective_from=timezone.now() + dt.timedelta(days=effective_in_days),
    )
    ctx.versions[document] = version
    return (
        f"{doc.number} revision {revision} approved by {approver_u.printed_name}, "
        f"effective from {version.effective_from:%Y-%m-%d %H:%M} UTC"
    )


def expect_assignments(ctx: Context, *, document: str, at_least: int = 1) -> str:
    """The approved revision's retraining is assigned (G3)."""
    from qualify.training.models import Assignment, AssignmentStatus

    version = ctx.versions.get(document)
    if version is None:
        raise StepFailed(f"no revision of {document} was approved earlier in this scenario")
    count = Assignment.objects.filter(
        document_version=version, status=AssignmentStatus.OPEN
    ).count()
    if count < at_least:
        raise StepFailed(f"{count} open assignments for {document} rev {version.revision}")
    return f"{count} open assignments of {document} rev {version.revision}"


def gate(ctx: Context, *, person: str, document: str, expect: str) -> str:
    """The gate answers for work now (E1): `expect` is allowed or refused."""
    from qualify.quality.queries.gate import gate_check

    if expect not in ("allowed", "refused"):
        raise StepFailed("expect must be 'allowed' or 'refused'")
    answer = gate_check(ctx.person(person), [ctx.document(document)])
    got = "allowed" if answer.qualified else "refused"
    reasons = "; ".join(r for line in answer.documents for r in line.reasons)
    if got != expect:
        raise StepFailed(f"the gate {got} the work ({reasons or 'qualified'})")
    return f"the gate {got} {person} on {document}" + (f": {reasons}" if reasons else "")


def inspector_question(ctx: Context, *, person: str, document: str, expect: str) -> str:
    """Was the person qualified on the document now? The engine's one answer (Q4, Q9)
    with its evidence: the records it rests on."""
    from qualify.training import engine

    if expect not in ("qualified", "not qualified"):
        raise StepFailed("expect must be 'qualified' or 'not qualified'")
    answer = engine.document_qualification(
        ctx.person(person), ctx.document(document), at=timezone.now()
    )
    got = "qualified" if answer.qualified else "not qualified"
    evidence = []
    for line in answer.requirements:
        record = getattr(line, "record", None)
        if record is not None:
            evidence.append(f"record {record.pk} of {record.completed_at:%Y-%m-%d}")
        evidence.extend(r.label for r in line.reasons)
    if got != expect:
        raise StepFailed(f"{person} is {got} on {document}: {'; '.join(evidence)}")
    if expect == "qualified" and not any(e.startswith("record") for e in evidence):
        raise StepFailed("qualified, but the answer cites no training record")
    return f"{person} {got} on {document}: {'; '.join(evidence) or 'no evidence needed'}"


def capa_closes(
    ctx: Context, *, number: str, qa: str = "qa", owner: str = "qa", problem: str = "PQ problem"
) -> str:
    """A CAPA with an open action is refused closure with the open item named (E2); once
    the action is completed and verified it closes."""
    from qualify.quality import services as quality
    from qualify.quality.models import CapaStatus

    qa_user, owner_user = ctx.user(qa), ctx.user(owner)
    capa = quality.capa_create(
        actor=qa_user,
        number=number,
        source="audit_finding",
        problem_statement=problem,
        root_cause_category="method",
        root_cause="PQ scenario",
    )
    action = quality.capa_action_add(
        actor=qa_user,
        capa=capa,
        kind="corrective",
        description="Correct the method",
        owner=owner_user,
        due_at=timezone.now() + dt.timedelta(days=14),
    )
    try:
        quality.capa_close(actor=qa_user, capa=capa, credentials=ctx.creds(qa_user))
    except ValidationError as exc:
        refused = " ".join(exc.messages)
    else:
        raise StepFailed(f"{number} closed with its action still open")
    quality.capa_action_complete(
        actor=qa_user, action=action, credentials=ctx.creds(qa_user), comment="Done and checked"
    )
    capa = quality.capa_close(actor=qa_user, capa=capa, credentials=ctx.creds(qa_user))
    if capa.status != CapaStatus.CLOSED:
        raise StepFailed(f"{number} is {capa.status} after closing")
    return f"{number}: closure refused while open ({refused[:160]}); closed once verified"


def audit_verify(ctx: Context) -> str:
    """`qualify audit verify` holds on everything the scenarios wrote (A3, A4)."""
    from qualify.audit.verify import verify_trail

    report = verify_trail()
    if not report.ok:
        raise StepFailed(report.summary())
    return report.summary()


STEPS: dict[str, Callable[..., str]] = {
    "revise_document": revise_document,
    "expect_assignments": expect_assignments,
    "gate": gate,
    "inspector_question": inspector_question,
    "capa_closes": capa_closes,
    "audit_verify": audit_verify,
}


def load_scenarios(paths: list[Path]) -> list[tuple[str, dict]]:
    """(source file, scenario) for every scenario; ValueError naming a bad one."""
    out = []
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for n, raw in enumerate(data.get("scenarios") or [], 1):
            where = f"{path.name} scenario {n}"
            if not isinstance(raw, dict) or not raw.get("id") or not raw.get("steps"):
                raise ValueError(f"{where}: needs an id and steps")
            for step in raw["steps"]:
                if not isinstance(step, dict) or len(step) != 1:
                    raise ValueError(f"{where}: each step is one 'name: {{parameters}}'")
                (name,) = step
                if name not in STEPS:
                    raise ValueError(
                        f"{where}: unknown step {name!r} (known: {', '.join(sorted(STEPS))})"
                    )
            out.append((path.name, raw))
    return out


def run_scenarios(
    scenarios: list[tuple[str, dict]], *, password: str = DEMO_PASSWORD
) -> list[ScenarioResult]:
    from qualify.audit.context import audit_context

    results = []
    ctx = Context(password)
    for source, raw in scenarios:
        result = ScenarioResult(
            id=str(raw["id"]),
            title=str(raw.get("title", "")),
            urs=[str(u) for u in raw.get("urs") or []],
            source=source,
        )
        started = time.monotonic()
        failed = False
        for step in raw["steps"]:
            (name, params) = next(iter(step.items()))
            params = dict(params or {})
            if failed:
                result.steps.append(StepResult(name, params, "not run"))
                continue
            try:
                with audit_context(source="cli"):
                    said = STEPS[name](ctx, **params)
            except Exception as exc:  # any error fails the step and is reported, never hidden
                text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                if not isinstance(exc, StepFailed | ValidationError):
                    text = f"{type(exc).__name__}: {text}"
                result.steps.append(StepResult(name, params, "failed", text))
                failed = True
            else:
                result.steps.append(StepResult(name, params, "passed", said))
        result.seconds = round(time.monotonic() - started, 2)
        results.append(result)
    return results


# --- The scratch plant ---------------------------------------------------------------

# Settings that point at the installation's own files: the child gets its own.
_OWN_FILES = (
    "QUALIFY_SIGNING_KEY",
    "QUALIFY_VERIFIER_KEY",
    "QUALIFY_CHECKPOINT_LOG",
    "QUALIFY_CHECKPOINT_ORIGIN",
    "QUALIFY_AUDIT_WITNESSES",
    "QUALIFY_REPORT_SIGNING_KEY",
    "QUALIFY_REPORT_SIGNING_CERT",
    "QUALIFY_MEDIA_ROOT",
    "QUALIFY_TEST_DATABASE_NAME",
)


def _scratch_database(folder: Path) -> tuple[str, Callable[[], None]]:
    """A URL for an empty scratch database beside the installation's, and its cleanup."""
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        path = folder / "pq-plant.sqlite3"
        for old in folder.glob("pq-plant.sqlite3*"):
            old.unlink()
        return f"sqlite:///{path}", lambda: None
    if connection.vendor != "postgresql":  # pragma: no cover - unsupported engines
        raise RuntimeError(f"PQ needs SQLite or PostgreSQL, not {connection.vendor}")
    name = f"{db['NAME']}_validation_pq"
    qn = connection.ops.quote_name(name)

    def drop() -> None:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {qn}")

    drop()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {qn}")
    auth = quote(db.get("USER") or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    host = f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"
    return f"postgres://{auth}@{host}/{name}", drop


def _copy_of(template: scratch.Template, folder: Path) -> str:
    # The SQLite plant stays in the pack as evidence (as a migrated one does); a
    # PostgreSQL copy is dropped with the template when the run ends.
    from django.db import connection

    if template.vendor == "sqlite":
        return scratch.copy(template, str(folder / "pq-plant.sqlite3"), keep_file=True)
    return scratch.copy(template, f"{connection.settings_dict['NAME']}_validation_pq")


def plant_database(
    template: scratch.Template | None, folder: Path
) -> tuple[str, Callable[[], None], list[list[str]]]:
    """The PQ plant's database: (URL, cleanup, the `qualify` steps that make its schema).
    A copy of the run's migrated template needs none; without a template (PQ called on
    its own, or the template failed to migrate) an empty scratch database is migrated."""
    if template is None:
        url, cleanup = _scratch_database(folder)
        return url, cleanup, [["migrate", "--no-input"]]
    return _copy_of(template, folder), lambda: None, []


def run_isolated(
    *,
    out: Path,
    scenario_files: list[Path],
    people_per_function: int | None,
    template: scratch.Template | None = None,
    progress=None,
) -> tuple[list[dict], str, float]:
    """Migrate a scratch database (or copy the run's migrated template), load the demo
    plant into it, run the scenarios there (each step in a child `qualify` process);
    (scenario results, error, seconds). `progress(steps done, steps, what now)` is
    called before each step and at the end."""
    import json
    import os
    import subprocess
    import sys

    folder = out / "pq"
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    url, cleanup, migrate = plant_database(template, folder)
    env = {k: v for k, v in os.environ.items() if k not in _OWN_FILES}
    env.update(QUALIFY_DATABASE_URL=url, QUALIFY_VAR_DIR=str(folder / "var"))
    seed = ["seed", "--scale", "demo"]
    if people_per_function:
        seed += ["--people-per-function", str(people_per_function)]
    result_file = folder / "pq-results.json"
    steps = [
        *migrate,
        seed,
        [
            "validate_pq",
            "--json",
            str(result_file),
            *[arg for f in scenario_files for arg in ("--scenarios", str(f))],
        ],
    ]
    log = folder / "pq-output.txt"
    error = ""
    try:
        with log.open("w", encoding="utf-8") as sink:
            for done, step in enumerate(steps):
                if progress is not None:
                    progress(done, len(steps), f"qualify {step[0]}")
                sink.write(f"$ qualify {' '.join(step)}\n")
                sink.flush()
                proc = subprocess.run(
                    [sys.executable, "-m", "qualify", *step],
                    env=env,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
                if proc.returncode != 0 and step[0] != "validate_pq":
                    error = f"`qualify {step[0]}` on the scratch plant exited {proc.returncode}"
                    break
    finally:
        cleanup()
    if progress is not None and not error:
        progress(len(steps), len(steps), "scenarios run")
    scenarios = []
    if not error:
        if result_file.is_file():
            scenarios = json.loads(result_file.read_text(encoding="utf-8"))
        else:
            error = "the scenarios wrote no results (see pq/pq-output.txt)"
    return scenarios, error, time.monotonic() - started
