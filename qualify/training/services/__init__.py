"""Training services: every write to requirements, the matrix, assignments and records.

One transaction each, permission checked, audit events written explicitly; signatures
authenticated before the transaction and applied inside it (S1).
"""

from qualify.training.services.assignments import (
    AdHocResult,
    assignment_assign_adhoc,
    assignment_cancel,
    assignment_create_individual,
    cancel_problem,
    requalification_order,
)
from qualify.training.services.certificates import (
    certificate_reject,
    certificate_sign,
    certificate_submit,
    certificate_verify,
)
from qualify.training.services.elearning import elearning_read
from qualify.training.services.matrix import matrix_entry_add, matrix_entry_end
from qualify.training.services.records import (
    record_assessment,
    record_classroom,
    record_correct,
    record_external,
    record_on_the_job,
    record_read_and_understood,
)
from qualify.training.services.requirements import (
    curriculum_create,
    curriculum_item_add,
    requirement_create,
)
from qualify.training.services.rules import ImpactPreview, impact_preview
from qualify.training.services.sessions import (
    attendance_sign,
    session_cancel,
    session_close,
    session_enrol,
    session_schedule,
    session_unenrol,
    window_close,
    window_open,
)

__all__ = [
    "AdHocResult",
    "ImpactPreview",
    "assignment_assign_adhoc",
    "assignment_cancel",
    "assignment_create_individual",
    "attendance_sign",
    "cancel_problem",
    "certificate_reject",
    "certificate_sign",
    "certificate_submit",
    "certificate_verify",
    "curriculum_create",
    "curriculum_item_add",
    "elearning_read",
    "impact_preview",
    "matrix_entry_add",
    "matrix_entry_end",
    "record_assessment",
    "record_classroom",
    "record_correct",
    "record_external",
    "record_on_the_job",
    "record_read_and_understood",
    "requalification_order",
    "requirement_create",
    "session_cancel",
    "session_close",
    "session_enrol",
    "session_schedule",
    "session_unenrol",
    "window_close",
    "window_open",
]
