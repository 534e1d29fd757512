"""Rows a whole test module shares, built once: Django's setUpTestData pattern for
pytest. The rows live in a transaction rolled back when the module ends; each test runs
in pytest-django's savepoint inside it, so what a test writes is undone before the next."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.test.utils import override_settings


@contextmanager
def rolled_back(django_db_blocker, **settings) -> Iterator[None]:
    """Open the module's transaction (with `settings` overridden while it is built)."""
    with django_db_blocker.unblock(), override_settings(**settings):
        atomic = transaction.atomic()
        atomic.__enter__()
        # Marked as a TestCase marks its class-wide block: the signing service refuses
        # to run inside any other open transaction, and durable blocks inside
        # (refusals) stay allowed.
        connection.atomic_blocks[-1]._from_testcase = True
        try:
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
