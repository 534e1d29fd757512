"""Completion services: each creates an immutable, signed TrainingRecord (R1) with
recorded_at = now (Q7) and, in the same transaction, completes the open assignment it
satisfies (G7) and fires `training.events.assignment_completed` (E3).

Every record carries every signature its method needs (Q4): the trainee's, and for
classroom and on-the-job the trainer's. Credentials are checked before the
transaction (S1); signatures are applied inside it. Times: completed_at is the
server's time unless a trainer or a certificate attests when training happened (T1),
in which case that time is kept beside recorded_at, never in the future, and flagged
as a late entry when older than the site's delay.

The package re-exports every service: callers import `qualify.training.services.records`.
"""

from qualify.training.services.records._common import CENT, COMPLETED, READ, TRAINED_BY
from qualify.training.services.records.assessment import record_assessment
from qualify.training.services.records.correction import CORRECTABLE, record_correct
from qualify.training.services.records.elearning import elearning_version, record_elearning
from qualify.training.services.records.external import record_external
from qualify.training.services.records.reading import record_read_and_understood
from qualify.training.services.records.trained import (
    AttendeesRefused,
    record_classroom,
    record_classroom_session,
    record_on_the_job,
)

__all__ = [
    "CENT",
    "COMPLETED",
    "CORRECTABLE",
    "READ",
    "TRAINED_BY",
    "AttendeesRefused",
    "elearning_version",
    "record_assessment",
    "record_classroom",
    "record_classroom_session",
    "record_correct",
    "record_elearning",
    "record_external",
    "record_on_the_job",
    "record_read_and_understood",
]
