"""A plant with a question bank in force and an e-learning requirement assessed from it,
built through the real services."""

import datetime as dt

from qualify.assessments import services as assessments
from qualify.documents import services as documents
from qualify.training.models import Method
from tests.quality.plant import Plant, creds

# Two topics: four questions on gowning (every kind with options), three on
# cleaning (numeric, short text, true/false); an assessment draws 2 + 2.
BANK_YAML = """
questions:
  - key: G1
    topic: Gowning
    kind: single
    prompt: Which glove layer is changed after a breach?
    options: [Inner only, Outer only, Both layers]
    answer: Both layers
    explanation: A breach compromises both layers.
  - key: G2
    topic: Gowning
    kind: multiple
    prompt: Which items are sterile?
    options: [Coverall, Goggles, Street shoes, Hood]
    answer: [Coverall, Goggles, Hood]
  - key: G3
    topic: Gowning
    kind: ordering
    prompt: Put the gowning steps in order.
    options: [Hand wash, Hood, Coverall, Boots, Gloves]
  - key: G4
    topic: Gowning
    kind: wrong_step
    prompt: Which step of this excerpt is wrong?
    excerpt: "SOP-010 section 5.2: gowning at the grade B entry"
    options: [Sanitise hands, Put on hood, Touch the floor, Put on gloves]
    answer: Touch the floor
  - key: C1
    topic: Cleaning
    kind: numeric
    prompt: Contact time of the sporicide in minutes?
    answer: 10
    tolerance: 0.5
  - key: C2
    topic: Cleaning
    kind: short_text
    prompt: Name the disinfectant used on grade A surfaces.
    answer: [IPA 70%, 70% IPA, isopropanol 70%]
  - key: C3
    topic: Cleaning
    kind: true_false
    prompt: Cleaning goes from the dirtiest to the cleanest area.
    answer: false
"""


def approved_bank(plant: Plant, number: str = "QB-001", text: str = BANK_YAML, *, revision="1"):
    """A question bank document with one approved, effective version holding `text`."""
    document = documents.document_create(
        actor=plant.doc_controller,
        number=number,
        title="Aseptic gowning question bank",
        doc_type="qbank",
        owner=plant.doc_controller,
        site=plant.site,
    )
    return document, bank_revision(plant, document, revision, text)


def bank_revision(plant: Plant, document, revision: str, text: str = BANK_YAML, approve=True):
    version = documents.version_draft(
        actor=plant.doc_controller,
        document=document,
        revision=revision,
        change_summary=f"Bank revision {revision}",
    )
    assessments.bank_save(actor=plant.doc_controller, version=version, text=text)
    version.refresh_from_db()
    version = documents.version_submit(
        actor=plant.doc_controller, version=version, credentials=creds(plant.doc_controller)
    )
    version = documents.version_review(
        actor=plant.reviewer, version=version, credentials=creds(plant.reviewer)
    )
    if approve:
        version = plant.approve(version)
    return version


def elearning(plant: Plant, bank, *, code="EL-ASEPTIC", per_topic=None, **options):
    """An e-learning requirement on an SOP, assessed from `bank`."""
    sop = plant.document(f"SOP-{code}", "Aseptic gowning")
    plant.approve(plant.revise(sop, "1"))
    requirement = plant.requirement(code, document=sop, method=Method.ELEARNING, pass_mark=75)
    assessment = assessments.assessment_define(
        actor=plant.coordinator,
        requirement=requirement,
        bank=bank,
        per_topic=per_topic or {"Gowning": 2, "Cleaning": 2},
        **options,
    )
    return requirement, assessment


def read(plant: Plant, person, requirement) -> None:
    """E-learning: the person reads the version in the viewer (the assessment's
    precondition), through their open assignment."""
    from qualify.training.services import elearning as reading

    reading.elearning_read(actor=person.user, assignment=plant.open_assignment(person, requirement))


def assign_and_read(plant: Plant, person, requirement) -> None:
    """The requirement in the operators' matrix (G1 assigns it), then read."""
    plant.matrix(requirement)
    read(plant, person, requirement)


def right_answers(attempt) -> dict[str, object]:
    """What the page would post for all-correct answers (positions as shown)."""
    out: dict[str, object] = {}
    for item in attempt.items.select_related("question").order_by("position"):
        q, order = item.question, item.option_order
        shown = {key: n for n, key in enumerate(order, 1)}
        if q.kind in ("single", "wrong_step"):
            out[str(item.position)] = str(shown[q.answer["correct"]])
        elif q.kind == "multiple":
            out[str(item.position)] = [str(shown[k]) for k in q.answer["correct"]]
        elif q.kind == "ordering":
            rank = {key: n for n, key in enumerate(q.answer["order"], 1)}
            out[str(item.position)] = [str(rank[key]) for key in order]
        elif q.kind == "true_false":
            out[str(item.position)] = "true" if q.answer["correct"] else "false"
        elif q.kind == "numeric":
            out[str(item.position)] = str(q.answer["value"])
        elif q.kind == "short_text":
            out[str(item.position)] = q.answer["accepted"][0]
        else:
            out[str(item.position)] = "A considered answer."
    return out


def wrong_answers(attempt) -> dict[str, object]:
    out = right_answers(attempt)
    for item in attempt.items.select_related("question").order_by("position"):
        q = item.question
        key = str(item.position)
        if q.kind in ("single", "wrong_step"):
            right = out[key]
            out[key] = next(str(n) for n in range(1, len(item.option_order) + 1) if str(n) != right)
        elif q.kind == "multiple":
            out[key] = out[key][:1]
        elif q.kind == "ordering":
            out[key] = list(reversed(out[key]))
        elif q.kind == "true_false":
            out[key] = "true" if out[key] == "false" else "false"
        elif q.kind == "numeric":
            out[key] = "99"
        else:
            out[key] = "something else"
    return out


def later(minutes: float) -> dt.timedelta:
    return dt.timedelta(minutes=minutes)
