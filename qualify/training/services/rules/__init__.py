"""Assignment rules G1-G6: generated, never typed in.

Each rule runs in the transaction of the event that triggers it (the org and
documents services fire hooks; training subscribes in TrainingConfig.ready()) and is
idempotent: a pair (person, requirement) with an open assignment gets no second one,
and a rule that finds nothing to do writes nothing.

"Who is required" (Q5) is answered here set-based by `required_rows()`, which the
revision fan-out (G3), its impact preview, recurrence (G4) and the clean-ups (G6) all
share, so the preview an approver sees is computed by the very code that assigns.
The engine answers the same question for one person at an instant; here the question
is "from `start` on (until `end`)", because a job or matrix entry that begins next
month already makes its training due.

The package re-exports every rule: callers and the hook connections in
TrainingConfig.ready() use `qualify.training.services.rules`.
"""

from qualify.training.services.rules.cleanup import (
    cancel_for_ended_entry,
    cancel_for_obsolete_documents,
    cancel_unless_required,
    on_document_obsoleted,
    on_job_assignment_ended,
    on_person_deactivated,
    run_cleanup,
)
from qualify.training.services.rules.matrix_rules import (
    assign_for_matrix_entry,
    on_job_assignment_started,
)
from qualify.training.services.rules.recurrence import counts, lead_days, run_recurrence
from qualify.training.services.rules.required import (
    RequiredRow,
    matrix_entries_for,
    required_pairs,
    required_rows,
)
from qualify.training.services.rules.revision import (
    ImpactPreview,
    impact_preview,
    lost_on_revision,
    on_version_approved,
)

__all__ = [
    "ImpactPreview",
    "RequiredRow",
    "assign_for_matrix_entry",
    "cancel_for_ended_entry",
    "cancel_for_obsolete_documents",
    "cancel_unless_required",
    "counts",
    "impact_preview",
    "lead_days",
    "lost_on_revision",
    "matrix_entries_for",
    "on_document_obsoleted",
    "on_job_assignment_ended",
    "on_job_assignment_started",
    "on_person_deactivated",
    "on_version_approved",
    "required_pairs",
    "required_rows",
    "run_cleanup",
    "run_recurrence",
]
