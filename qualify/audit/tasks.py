"""Background work of the audit trail."""

from django_tasks import task

from qualify.audit.checkpoints import checkpoint_create
from qualify.audit.context import audit_context


@task()
def sign_checkpoint() -> int:
    """Sign a checkpoint over every event so far; return its tree size.

    Run daily by `qualify scheduler`: a signed checkpoint bounds what anyone with
    write access to the database could append or remove unnoticed since the last one.
    """
    with audit_context(source="task"):
        return checkpoint_create(actor=None).tree_size


@task()
def verify_in_background(run_id: int) -> str:
    """The inspector page's verification (P143), with its progress on the run."""
    from qualify.audit.background_verify import verification_execute

    return verification_execute(run_id).status
