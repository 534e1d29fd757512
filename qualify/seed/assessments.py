"""The demo's assessments: a data-integrity question bank (a controlled document,
QB-001, reviewed and approved) assessing the e-learning requirements, and e-learning
completed as a person does it: the document read in the viewer, an attempt drawn from
the bank, answered, scored and signed ("completed assessment")."""

import datetime as dt
from typing import Any

from qualify.assessments import services as assessments
from qualify.assessments.models import Assessment, Attempt, QuestionKind
from qualify.documents import services as docs
from qualify.training.models import Assignment, Evidence, Method, TrainingRecord
from qualify.training.services import elearning

BANK_NUMBER = "QB-001"
PER_TOPIC = {"ALCOA+ principles": 2, "Records and signatures": 2, "Audit trail": 1}

BANK = """
questions:
  - key: A1
    topic: ALCOA+ principles
    kind: single
    prompt: What does the "C" in ALCOA stand for?
    options: [Complete, Contemporaneous, Consistent, Controlled]
    answer: Contemporaneous
    explanation: Recorded at the time the activity is performed.
  - key: A2
    topic: ALCOA+ principles
    kind: multiple
    prompt: Which of these are ALCOA+ attributes?
    options: [Attributable, Legible, Approximate, Enduring]
    answer: [Attributable, Legible, Enduring]
  - key: A3
    topic: ALCOA+ principles
    kind: true_false
    prompt: A value may be written on a sticky note and copied into the batch record later.
    answer: false
    explanation: Original data is recorded directly and contemporaneously.
  - key: A4
    topic: ALCOA+ principles
    kind: short_text
    prompt: What is the first record of a value called (two words)?
    answer: [original record, original data, source data]
  - key: R1
    topic: Records and signatures
    kind: single
    prompt: You made an error in a GMP record. What do you do?
    options:
      - Overwrite it with correction fluid
      - Strike through once, keep it legible, correct, initial, date and give the reason
      - Tear out the page and rewrite it
    answer: Strike through once, keep it legible, correct, initial, date and give the reason
  - key: R2
    topic: Records and signatures
    kind: true_false
    prompt: You may sign electronically with a colleague's password if they agree.
    answer: false
  - key: R3
    topic: Records and signatures
    kind: wrong_step
    prompt: Which step of this excerpt is wrong?
    excerpt: "POL-001 section 4: correcting an electronic entry"
    options:
      - Open the entry and choose Correct
      - Enter the new value
      - Delete the audit trail entry of the old value
      - Give the reason and sign
    answer: Delete the audit trail entry of the old value
  - key: R4
    topic: Records and signatures
    kind: ordering
    prompt: Put the steps of a signature in order.
    options:
      - Review the record
      - Read the meaning of the signature
      - Enter user id and password
      - Confirm
  - key: T1
    topic: Audit trail
    kind: single
    prompt: Who may switch off the audit trail of a GMP system?
    options: [Nobody, The administrator, QA, The system owner]
    answer: Nobody
  - key: T2
    topic: Audit trail
    kind: numeric
    prompt: How many years are batch records kept at least after the expiry of the batch?
    answer: 1
    tolerance: 0
  - key: T3
    topic: Audit trail
    kind: true_false
    prompt: The audit trail records who changed a value, when, the old and new value and why.
    answer: true
"""


def define(plant: Any, clock: Any) -> list[Assessment]:
    """QB-001 issued and approved like an SOP, then an assessment for every e-learning
    requirement that needs one."""
    author = plant.users["doccontrol"]
    bank = docs.document_create(
        actor=author,
        number=BANK_NUMBER,
        title="Data integrity (ALCOA+) question bank",
        doc_type="qbank",
        owner=plant.users["qa"],
        site=plant.sites["CRK"],
    )
    version = docs.version_draft(
        actor=author, document=bank, revision="1", change_summary="First issue"
    )
    assessments.bank_save(actor=author, version=version, text=BANK, reason="First issue")
    version.refresh_from_db()
    docs.version_submit(actor=author, version=version, credentials=plant.creds(author))
    docs.version_review(
        actor=plant.reviewer, version=version, credentials=plant.creds(plant.reviewer)
    )
    docs.version_approve(
        actor=plant.users["qa"],
        version=version,
        credentials=plant.creds(plant.users["qa"]),
        window_exception_reason="A question bank: nobody trains on it",
    )
    clock.step(5)
    made = []
    for requirement in plant.requirements.values():
        if requirement.method == Method.ELEARNING and (
            requirement.evidence_required == Evidence.ASSESSMENT
        ):
            made.append(
                assessments.assessment_define(
                    actor=plant.users["coordinator"],
                    requirement=requirement,
                    bank=bank,
                    per_topic=PER_TOPIC,
                    attempt_limit=3,
                    time_limit_minutes=20,
                    cooldown_minutes=60,
                )
            )
    plant.summary.append(f"{len(made)} assessment(s) drawn from {BANK_NUMBER}")
    return made


def answers_for(attempt: Attempt, *, right: bool = True) -> dict[str, Any]:
    """What a person who knows (or does not) would post: by shown position."""
    out: dict[str, Any] = {}
    for item in attempt.items.select_related("question").order_by("position"):
        q, order, key = item.question, item.option_order, str(item.position)
        shown = {k: n for n, k in enumerate(order, 1)}
        if q.kind in (QuestionKind.SINGLE, QuestionKind.WRONG_STEP):
            good = shown[q.answer["correct"]]
            out[key] = str(good if right else (good % len(order)) + 1)
        elif q.kind == QuestionKind.MULTIPLE:
            keys = q.answer["correct"] if right else q.answer["correct"][:1]
            out[key] = [str(shown[k]) for k in keys]
        elif q.kind == QuestionKind.ORDERING:
            rank = {k: n for n, k in enumerate(q.answer["order"], 1)}
            places = [str(rank[k]) for k in order]
            out[key] = places if right else list(reversed(places))
        elif q.kind == QuestionKind.TRUE_FALSE:
            out[key] = "true" if q.answer["correct"] == right else "false"
        elif q.kind == QuestionKind.NUMERIC:
            out[key] = str(q.answer["value"] if right else q.answer["value"] + 100)
        elif q.kind == QuestionKind.SHORT_TEXT:
            out[key] = q.answer["accepted"][0] if right else "not sure"
        else:
            out[key] = "A considered answer."
    return out


def complete(plant: Any, assignment: Assignment, clock: Any) -> TrainingRecord:
    """E-learning as the person does it: read the version in the viewer, take the
    assessment (passed), sign the result; the record completes the assignment."""
    user = assignment.person.user
    elearning.elearning_read(actor=user, assignment=assignment)
    attempt = assessments.attempt_start(actor=user, assessment=assignment.requirement.assessment)
    clock.at(clock.now + dt.timedelta(minutes=plant.rng.randrange(6, 18)))
    attempt = assessments.attempt_submit(actor=user, attempt=attempt, answers=answers_for(attempt))
    return assessments.attempt_sign(actor=user, attempt=attempt, credentials=plant.creds(user))
