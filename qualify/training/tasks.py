"""Background tasks (django-tasks; the database backend shares one queue between
workers). `qualify scheduler` runs the same jobs synchronously for cron."""

from django_tasks import task

from qualify.training import scheduler


@task()
def daily_training_jobs() -> dict[str, dict[str, int]]:
    """G4 recurrence and G6 clean-ups; idempotent, so a duplicate run is harmless."""
    return scheduler.run_daily(source="task")
