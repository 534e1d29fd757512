"""Django's PostgreSQL backend, its parameters bound on the server and its statements
prepared (P202), made safe for what that brings (P205).

A statement whose parameters are bound on the server carries their number in 16 bits:
65,535 at most. Django's binding on the client, which Qualify used before 0.7.4, had
no such limit, and Django neither splits `__in` lists nor, on PostgreSQL, batches
`bulk_create` by it: filtering by the ids of 70,000 people failed with "number of
parameters must be between 0 and 65535". Such a statement is composed on the client
(psycopg's `mogrify`, the quoting of Django's client-side binding) and sent without
parameters, and is not prepared: its text differs with every set of ids.

A prepared statement whose columns change type (a migration run by another process,
while this one keeps its connection) fails with "cached plan must not change result
type" on every later run, and psycopg keeps it. The connection then forgets its
prepared statements (DEALLOCATE ALL) before its next statement, and a statement that
failed outside a transaction is run again at once; one that failed inside a
transaction has failed that transaction, as any error does.
"""

import psycopg
from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus

MAX_PARAMETERS = 65_535
STALE_PLAN = "cached plan must not change result type"


def _within_limit(connection, query, params):
    """`query` and `params` as they may be sent on `connection`: unchanged, or composed
    into one text, with the connection's adapters, when there are more parameters than
    the protocol takes."""
    if params is None or len(params) <= MAX_PARAMETERS:
        return query, params
    return psycopg.ClientCursor(connection).mogrify(query, params), None


def _forget_plans_if_stale(connection) -> None:
    if (
        getattr(connection, "qualify_stale_plans", False)
        and connection.info.transaction_status != TransactionStatus.INERROR
    ):
        connection.qualify_stale_plans = False
        # psycopg forgets its own names of them when it sees this command.
        connection.cursor().execute("DEALLOCATE ALL", prepare=False)


class ServerBindingCursor(base.ServerBindingCursor):
    def execute(self, query, params=None, *, prepare=None, binary=None):
        sent, params = _within_limit(self.connection, query, params)
        if sent is not query:
            prepare = False
        _forget_plans_if_stale(self.connection)
        try:
            return super().execute(sent, params, prepare=prepare, binary=binary)
        except psycopg.errors.FeatureNotSupported as error:
            if STALE_PLAN not in str(error):
                raise
            self.connection.qualify_stale_plans = True
            if self.connection.info.transaction_status != TransactionStatus.IDLE:
                raise
        _forget_plans_if_stale(self.connection)
        return super().execute(sent, params, prepare=prepare, binary=binary)


class ServerCursor(psycopg.ServerCursor):
    """The cursor of `QuerySet.iterator()` (a named cursor, always bound on the server)."""

    def execute(self, query, params=None, **kwargs):
        sent, params = _within_limit(self.connection, query, params)
        return super().execute(sent, params, **kwargs)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        if params.get("cursor_factory") is base.ServerBindingCursor:
            params["cursor_factory"] = ServerBindingCursor
        return params

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        connection.server_cursor_factory = ServerCursor
        return connection
