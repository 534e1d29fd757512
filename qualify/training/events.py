"""Hooks the training services fire inside their transaction (see qualify.hooks)."""

import datetime as dt
from dataclasses import dataclass

from qualify.hooks import Hook

# Fired by every completion service (record_read_and_understood, record_assessment,
# record_on_the_job, …) after the record is signed and the assignment it completes is
# marked completed, in the same transaction.
# kwargs: actor, assignment (Assignment, status completed), record (TrainingRecord)
# Quality subscribes so a CAPA action's status changes in that same transaction (E3).
assignment_completed = Hook("training.assignment_completed")

# Fired once per fan-out by create_assignments (services/assignments.py), the one place
# assignments are created, after the bulk insert and its audit append, in the same
# transaction. Never per row: a revision reaching 5,000 people fires once with 5,000.
# kwargs: actor, assignments (list[Assignment], saved, not empty)
assignment_created = Hook("training.assignment_created")


@dataclass(frozen=True)
class LostQualification:
    """Person P stops being qualified on requirement R at `lost_at` (Q4), because of
    `cause`; completing `assignment_id` restores it."""

    person_id: int
    requirement_id: int
    lost_at: dt.datetime  # may lie ahead: a revision approved to take effect later
    cause: str  # REQUALIFICATION or REVISION
    source: str  # what revoked it: "quality.deviation:5", "documents.documentversion:12"
    assignment_id: int | None
    reason_text: str = ""


REQUALIFICATION = "requalification"  # Q4: an order revokes it (G5)
REVISION = "revision"  # G3: a retraining-required version ends the baseline P held

# Fired where the system knows people lose a qualification: a requalification order
# (one loss), in the transaction of the change; a retraining-required revision approved
# (everyone qualified on the old baseline, computed set-based), by the task queued at the
# approval's commit (training.tasks.losses_on_revision), in a transaction of its own.
# kwargs: actor, losses (list[LostQualification], not empty)
# Quality subscribes to notify the people at once (after commit); the API to webhooks.
qualification_lost = Hook("training.qualification_lost")
