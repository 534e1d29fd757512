"""Hooks the organisation services fire inside their transaction (see qualify.hooks)."""

from qualify.hooks import Hook

# kwargs: actor, assignment (JobAssignment)
job_assignment_started = Hook("org.job_assignment_started")
# kwargs: actor, assignment, reason
job_assignment_ended = Hook("org.job_assignment_ended")
# kwargs: actor, person, reason. Fired after the person is deactivated and their
# job assignments ended; those ends do not fire job_assignment_ended as well.
person_deactivated = Hook("org.person_deactivated")
