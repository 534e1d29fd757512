"""Background tasks (django-tasks; the database backend shares one queue between
workers). `qualify scheduler` runs the same jobs synchronously for cron."""

import datetime as dt

from django_tasks import task

from qualify.training import scheduler


@task()
def daily_training_jobs() -> dict[str, dict[str, int]]:
    """G4 recurrence and G6 clean-ups; idempotent, so a duplicate run is harmless."""
    return scheduler.run_daily(source="task")


@task()
def losses_on_revision(
    *,
    version: int,
    actor: int | None,
    known_at: str,
    effective: str,
    reason_text: str,
    people: str,
    requirements: str,
    assignments: str,
) -> int:
    """Q4 after G3, queued at the commit of a revision's approval
    (rules.queue_losses_on_revision): who of the people it assigned loses a
    qualification when it takes effect, as known at the approval, told through
    training.events.qualification_lost (notices, webhooks). Returns how many."""
    from django.contrib.auth import get_user_model

    from qualify.audit.context import audit_context
    from qualify.documents.models import DocumentVersion
    from qualify.ids import ids_of
    from qualify.training.services.rules.revision import tell_losses_on_revision

    pairs = zip(ids_of(people), ids_of(requirements), strict=True)
    assigned = dict(zip(pairs, ids_of(assignments), strict=True))
    with audit_context(source="task"):
        return tell_losses_on_revision(
            DocumentVersion.objects.get(pk=version),
            assigned,
            actor=get_user_model().objects.filter(pk=actor).first(),
            effective=dt.datetime.fromisoformat(effective),
            known_at=dt.datetime.fromisoformat(known_at),
            reason_text=reason_text,
        )
