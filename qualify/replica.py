"""Read-only reports may read from a replica of the database (issue 18, P140).

With `QUALIFY_REPLICA_DATABASE_URL` set (settings: the "replica" alias), the report
builders and their exports read the report's rows from the replica, so a long export
does not load the primary. Everything else stays on the primary:

* every write (a replica cannot take one; the export's own audit event, a background
  export's progress and its file are written to the primary);
* any read inside a transaction on the primary: a service that reads in order to
  write must see its own transaction, never a replica that lags behind it;
* the audit trail, the access log, signatures, accounts and permissions: what proves
  a record (the chain, its checkpoint, a signature's hash) and who may see it are
  never taken from a copy that may lag or be tampered with apart from the primary.

A replica lags: a report read from it describes the data as of a moment shortly
before the request. The report's header names the audit checkpoint it was made at,
read from the primary, which can only be newer.

Without the variable the router answers nothing and Django uses the primary.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
PRIMARY_ONLY_APPS = frozenset(
    {
        "audit",
        "signatures",
        "accounts",
        "auth",
        "identity",
        "otp_totp",
        "oauth2_provider",
        "api",
        "contenttypes",
        "sessions",
        "django_tasks_database",
    }
)

_report_reads: ContextVar[bool] = ContextVar("qualify_report_reads", default=False)


@contextmanager
def report_reads() -> Iterator[None]:
    """Reads of report rows inside this block may go to the replica."""
    token = _report_reads.set(True)
    try:
        yield
    finally:
        _report_reads.reset(token)


def configured() -> bool:
    return REPLICA in connections.settings


def _in_transaction(primary) -> bool:
    # A test case's wrapping transaction is not the code's own (Django's durable
    # blocks make the same exception).
    return any(not getattr(block, "_from_testcase", False) for block in primary.atomic_blocks)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if not (_report_reads.get() and configured()):
            return None  # Django's own choice: the primary, as without a replica
        # Named explicitly: a row read from the replica must not lead its related
        # audit events or signatures there (Django would follow the row's database).
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return DEFAULT_DB_ALIAS
        if _in_transaction(connections[DEFAULT_DB_ALIAS]):
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica is a copy of the primary: rows of either relate alike.
        return True

    def allow_migrate(self, db, app_label, **hints):
        # The replica follows the primary's schema by replication, never by migrate.
        return False if db == REPLICA else None
