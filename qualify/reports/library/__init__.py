"""The reports, one module each. Importing this package registers them all; a new
report is a new module here, imported below, and one line in
qualify.accounts.policy.REPORT_RULES saying who may run it."""

from qualify.reports.library import (  # noqa: F401
    access_rights,
    audit_trail,
    compliance,
    employee_file,
    matrix,
    performances,
    qualified,
    quality_record,
    revision_roster,
    system_history,
    training_effectiveness,
)
