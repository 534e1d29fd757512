"""Account mail sent through the task queue (django-tasks)."""

from django_tasks import task


@task()
def mail_password_link(*, user_id: int | None, kind: str) -> None:
    """Mail a one-time set-password link (qualify.accounts.links); nothing for None."""
    from qualify.accounts.links import mail_link_now

    mail_link_now(user_id, kind)
