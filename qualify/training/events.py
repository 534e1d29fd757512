"""Hooks the training services fire inside their transaction (see qualify.hooks)."""

from qualify.hooks import Hook

# Fired by every completion service (record_read_and_understood, record_assessment,
# record_on_the_job, …) after the record is signed and the assignment it completes is
# marked completed, in the same transaction.
# kwargs: actor, assignment (Assignment, status completed), record (TrainingRecord)
# Quality subscribes so a CAPA action's status changes in that same transaction (E3).
assignment_completed = Hook("training.assignment_completed")
