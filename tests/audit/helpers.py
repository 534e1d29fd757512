"""Helpers for the audit tests: vendor gates and tampering behind the application's back."""

import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from qualify.audit.immutability import trigger_statements

IS_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "qualify.postgresql"


def postgres_only(test):
    """Mark a test postgres_only; on SQLite it is skipped, saying why."""
    test = pytest.mark.postgres_only(test)
    return pytest.mark.skipif(
        not IS_POSTGRES,
        reason="needs PostgreSQL (run with QUALIFY_DATABASE_URL=postgres://...): several"
        " processes appending at once through the advisory lock",
    )(test)


def execute(sql: str, params: list | tuple = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def drop_append_only_triggers(*tables: str) -> None:
    """What an attacker with DDL rights does first. Inside the test's transaction, so the
    triggers come back when the test's transaction rolls back."""
    for table in tables or ("audit_event", "audit_checkpoint"):
        for sql in trigger_statements(connection.vendor, table, drop=True):
            execute(sql)


def tamper(sql: str, params: list | tuple = ()) -> None:
    drop_append_only_triggers()
    execute(sql, params)


def run_audit(*args: str) -> tuple[CommandError | None, str]:
    """`qualify audit ...`: (the CommandError raised or None, what it printed)."""
    out = io.StringIO()
    try:
        # A savepoint: a failure inside must not poison the test's transaction.
        with transaction.atomic():
            call_command("audit", *args, stdout=out, stderr=io.StringIO())
    except CommandError as exc:
        return exc, out.getvalue()
    return None, out.getvalue()
