"""The demo plant's quality events, replayed through the quality services in time order
with the rest of its history (plant.py calls these from `_history`).

What a QA manager finds in the demo:

* CC-<year>-014, closed: the SOP-020 revision (daily Bowie-Dick test), approved under
  change control, trained, and closed once the last late signer signed (E2);
* CC-<year>-031, open: SOP-014 revision 6 approved under change control a few days
  ago; its retraining is still open, so it cannot close yet;
* a deviation reported by hand on the autoclave, with its qualification snapshot and
  a requalification order; the operator requalified and the deviation was closed;
* CAPA-<year>-007 from that deviation, root cause training: the sterilisation
  operators retrained on SOP-010 with a passed data-integrity assessment as the
  effectiveness check, reviewed by QA (E4) and closed;
* two batches with executions through the gate: a packaging batch in Raleigh (gate
  refuses) and a filling batch in Cork (gate accepts and opens a deviation) where an
  operator not qualified on the revision in force worked — an automatic deviation
  with its snapshot, and CAPA-<year>-019, still open, with a retraining action and a
  corrective action.
"""

import datetime as dt
from typing import TYPE_CHECKING

from qualify.documents import services as docs
from qualify.documents.models import DocumentVersion
from qualify.org.models import JobAssignment, Person
from qualify.quality import services as quality
from qualify.quality.models import (
    ActionKind,
    CapaSource,
    ChangeControl,
    Deviation,
    EffectivenessCheck,
    Risk,
    RootCause,
)
from qualify.quality.queries.gate import gate_check
from qualify.seed import assessments
from qualify.training.models import Assignment, AssignmentStatus

if TYPE_CHECKING:
    from qualify.seed.plant import Clock, Plant


def _holders(plant: "Plant", code: str) -> list[Person]:
    rows = JobAssignment.objects.filter(
        job_function=plant.functions[code], valid_to__isnull=True, person__active=True
    )
    return [r.person for r in rows.select_related("person__user").order_by("person__pk")]


def change_control_for(
    plant: "Plant", clock: "Clock", *, number: str, document_number: str, title: str, why: str
) -> ChangeControl:
    """Raise and approve a change control before the revision it covers is drafted."""
    author, qa = plant.users["doccontrol"], plant.users["qa"]
    document = plant.documents[document_number]
    functions = [
        plant.functions[code]
        for code, entries in _matrix_for(document_number).items()
        if entries  # job functions whose matrix names the document
    ]
    cc = quality.change_control_create(
        actor=author,
        number=number,
        title=title,
        description=f"Revise {document_number} {document.title}: {why}",
        reason=why,
        risk=Risk.MEDIUM,
        planned_effective_date=(clock.now + dt.timedelta(days=35)).date(),
        affected_documents=[document],
        affected_job_functions=functions,
        site=plant.sites["CRK"],
        risk_assessment="Procedure change with retraining of every holder before it takes effect.",
    )
    clock.step(45)
    return quality.change_control_approve(
        actor=qa, change_control=cc, credentials=plant.creds(qa), comment="Change assessed"
    )


def _matrix_for(document_number: str) -> dict[str, list[str]]:
    from qualify.seed import plant_data as data

    key = f"R:{document_number}"
    return {code: [k for k in keys if k == key] for code, keys in data.MATRIX.items()}


def link(plant: "Plant", cc: ChangeControl, version: DocumentVersion) -> None:
    quality.change_control_link_revision(
        actor=plant.users["doccontrol"], change_control=cc, version=version
    )


def close_change_control(plant: "Plant", clock: "Clock", cc: ChangeControl) -> None:
    """The late signers sign, then QA closes the change (E2 holds until then)."""
    from qualify.seed.plant import _complete

    versions = [link.version_id for link in cc.revisions.all()]
    late = list(
        Assignment.objects.filter(status=AssignmentStatus.OPEN, document_version_id__in=versions)
        .select_related("person__user", "requirement")
        .order_by("pk")
    )
    for assignment in late:
        clock.step(60 * 5)
        _complete(plant, assignment, clock)
    clock.step(60 * 24)
    qa = plant.users["qa"]
    quality.change_control_close(
        actor=qa,
        change_control=cc,
        credentials=plant.creds(qa),
        comment="Revision effective; every holder trained.",
    )
    late_text = f"{len(late)} late signature(s)" if late else "every holder signed in time"
    plant.summary.append(f"{cc.number} closed: {late_text}")


def autoclave_deviation_and_capa(plant: "Plant", clock: "Clock") -> None:
    """A deviation with a requalification order, closed; its CAPA, closed."""
    from qualify.seed.plant import _complete

    qa = plant.users["qa"]
    operators = _holders(plant, "STER-OP")
    if not operators:
        return
    operator = operators[0]
    occurred = clock.now - dt.timedelta(hours=5)
    deviation = quality.deviation_create(
        actor=plant.users["trainer"],
        number="",  # the next DEV-<year>-NNNN
        site=plant.sites["CRK"],
        occurred_at=occurred,
        description=(
            "Autoclave cycle printout for load 3 not attached to the batch record; the "
            "operator completed the entries at the end of the shift from memory."
        ),
        batch=f"B{occurred:%y}-0517",
        people=[operator],
        documents=[plant.documents["SOP-020"], plant.documents["SOP-010"]],
    )
    clock.step(120)
    requirement = plant.requirements["R:SOP-010"]
    quality.deviation_order_requalification(
        actor=qa,
        deviation=deviation,
        person=operator,
        requirement=requirement,
        reason="Contemporaneous recording not applied: re-read SOP-010 before batch work.",
    )
    clock.step(60 * 26)
    requal = Assignment.objects.get(
        person=operator, requirement=requirement, status=AssignmentStatus.OPEN
    )
    _complete(plant, requal, clock)
    clock.step(60 * 24)
    quality.deviation_close(
        actor=qa,
        deviation=deviation,
        credentials=plant.creds(qa),
        comment="Investigation complete; operator requalified; CAPA raised.",
    )
    clock.step(60 * 3)
    capa = quality.capa_create(
        actor=qa,
        number=f"CAPA-{clock.now:%Y}-007",
        source=CapaSource.DEVIATION,
        deviation=deviation,
        problem_statement="Autoclave records completed after the fact (ALCOA+ contemporaneous).",
        root_cause_category=RootCause.TRAINING,
        root_cause="Sterilisation operators were never assessed on good documentation practice.",
    )
    action = quality.capa_action_add(
        actor=qa,
        capa=capa,
        kind=ActionKind.TRAINING,
        description="Retrain sterilisation operators on SOP-010; pass the ALCOA+ assessment.",
        owner=plant.users["coordinator"],
        due_at=clock.now + dt.timedelta(days=21),
        requirement=requirement,
        job_functions=[plant.functions["STER-OP"]],
        effectiveness_check=EffectivenessCheck.ASSESSMENT,
        effectiveness_requirement=plant.requirements["DI-ALCOA"],
    )
    clock.step(60 * 4)
    quality.capa_qa_review(
        actor=qa,
        capa=capa,
        comment="Retraining with a scored assessment addresses the root cause found.",
        credentials=plant.creds(qa),
    )
    for target in action.targets.select_related("assignment", "proof_assignment").order_by("pk"):
        for assignment in (target.assignment, target.proof_assignment):
            if assignment is None:
                continue
            assignment = Assignment.objects.select_related("person__user", "requirement").get(
                pk=assignment.pk
            )
            if assignment.status != AssignmentStatus.OPEN:
                continue
            clock.step(60 * 20)
            if assignment.requirement.method == "elearning":
                # Read in the viewer, the assessment drawn from QB-001, signed.
                assessments.complete(plant, assignment, clock)
            else:
                _complete(plant, assignment, clock)
    clock.step(60 * 24 * 2)
    quality.capa_close(
        actor=qa,
        capa=capa,
        credentials=plant.creds(qa),
        comment="Retraining complete, every assessment passed.",
    )
    plant.summary.append(f"{deviation.number} and {capa.number} closed")


def batch(
    plant: "Plant",
    clock: "Clock",
    *,
    name: str,
    function: str,
    documents: list[str],
    step: str,
    performers: int = 3,
    unqualified_fallback: str | None = None,
) -> list:
    """Executions on a batch through the gate (E1). Returns the automatic deviations."""
    docs_ = [plant.documents[n] for n in documents]
    people = _holders(plant, function)
    qualified, not_qualified = [], []
    for person in people:
        ok = gate_check(person, docs_, at=clock.now).qualified
        (qualified if ok else not_qualified).append(person)
    crew = qualified[:performers]
    if unqualified_fallback is not None:
        if not not_qualified:
            # Nobody on the line is behind on the revision in force: someone from
            # another job function covers the shift, never trained on it.
            not_qualified = _holders(plant, unqualified_fallback)
        crew += not_qualified[:1]
    deviations = []
    for person in crew:
        clock.step(35)
        try:
            execution = quality.execution_record(
                actor=plant.users["trainer"] if person.site.code == "CRK" else person.user,
                person=person,
                batch=name,
                documents=docs_,
                step=step,
            )
        except quality.GateRefused:
            continue  # refused at the gate: nothing recorded (a refusing site)
        deviations += list(Deviation.objects.filter(execution=execution))
    return deviations


def packaging_batch(plant: "Plant", clock: "Clock") -> None:
    batch(
        plant,
        clock,
        name=f"R{clock.now:%y}-2231",
        function="PKG-OP",
        documents=["SOP-070", "SOP-008"],
        step="Line set-up and reconciliation",
    )


def filling_batch_and_open_capa(plant: "Plant", clock: "Clock") -> None:
    """Filling line 2 under SOP-014 and WI-014-02; an operator not qualified on the
    revision in force works anyway (Cork accepts and opens a deviation)."""
    deviations = batch(
        plant,
        clock,
        name=f"B{clock.now:%y}-0412",
        function="FILL-OP",
        documents=["SOP-014", "WI-014-02"],
        step="Aseptic filling, line 2",
        unqualified_fallback="COMP-TECH",
    )
    if not deviations:
        return
    deviation = deviations[0]
    person = deviation.people.get()
    clock.step(60 * 6)
    qa = plant.users["qa"]
    capa = quality.capa_create(
        actor=qa,
        number=f"CAPA-{clock.now:%Y}-019",
        source=CapaSource.DEVIATION,
        deviation=deviation,
        problem_statement=(
            f"{person.full_name} filled batch {deviation.batch} while not qualified on the "
            "revision of SOP-014 in force."
        ),
        root_cause_category=RootCause.TRAINING,
        root_cause="Shift allocation does not check the training status before line start.",
    )
    quality.capa_action_add(
        actor=qa,
        capa=capa,
        kind=ActionKind.TRAINING,
        description=f"{person.full_name} re-reads SOP-014 before working on line 2 again.",
        owner=plant.users["trainer"],
        due_at=clock.now + dt.timedelta(days=14),
        requirement=plant.requirements["R:SOP-014"],
        people=[person],
        effectiveness_check=EffectivenessCheck.REVIEW,
        review_on=clock.now + dt.timedelta(days=60),
    )
    quality.capa_action_add(
        actor=qa,
        capa=capa,
        kind=ActionKind.CORRECTIVE,
        description="Add the gate check to the line start-up checklist (FRM-030-01).",
        owner=plant.users["doccontrol"],
        due_at=clock.now + dt.timedelta(days=30),
    )
    plant.summary.append(f"{deviation.number} (automatic, from the gate) and {capa.number} open")


def open_change_control(plant: "Plant", clock: "Clock", now: dt.datetime) -> None:
    """SOP-014 revision 6 under CC-<year>-031, approved days ago, training still open."""
    from qualify.seed.plant import _approve, _text, _work_through

    cc = change_control_for(
        plant,
        clock,
        number=f"CC-{clock.now:%Y}-031",
        document_number="SOP-014",
        title="Filling line 2: stopper bowl change-over",
        why="New stopper bowl with a tool-less change-over",
    )
    document = plant.documents["SOP-014"]
    summary = "Tool-less stopper bowl change-over"
    version = docs.version_draft(
        actor=plant.users["doccontrol"],
        document=document,
        revision="6",
        change_summary=summary,
        content_text=_text("SOP-014", document.title, "6", summary),
    )
    link(plant, cc, version)
    _approve(plant, version, effective_from=clock.now + dt.timedelta(days=31))
    _work_through(
        plant,
        clock,
        clock.now + dt.timedelta(days=1),
        2,
        0.5,
        # The demo's `operator` login keeps this one to sign: the first thing to try.
        only=lambda a: (
            a.document_version_id == version.pk and a.person.user_id != plant.users["operator"].pk
        ),
    )
    plant.summary.append(f"{cc.number} open: SOP-014 revision 6, retraining under way")
