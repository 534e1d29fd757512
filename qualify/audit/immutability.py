"""Database triggers that make a table append-only (A2, R1).

Used from migrations. The triggers reject UPDATE and DELETE (and TRUNCATE on
PostgreSQL) whatever the client: the application, a shell or a DBA's SQL session.
Removing them takes DDL, which leaves its own trace in the database's logs, and
`audit verify` still finds what was changed while they were gone.
"""

from django.db import migrations

MESSAGE = "is append-only: UPDATE and DELETE are refused (21 CFR 11.10(e))"


def _sqlite(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} {MESSAGE}'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} {MESSAGE}'); END",
    ]


def _postgresql(table: str) -> list[str]:
    return [
        "CREATE OR REPLACE FUNCTION qualify_reject_change() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"RAISE EXCEPTION '% {MESSAGE}', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; "
        "END $$",
        f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION qualify_reject_change()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION qualify_reject_change()",
    ]


def _drop_sqlite(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update",
        f"DROP TRIGGER IF EXISTS {table}_no_delete",
    ]


def _drop_postgresql(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
    ]


_CREATE = {"sqlite": _sqlite, "postgresql": _postgresql}
_DROP = {"sqlite": _drop_sqlite, "postgresql": _drop_postgresql}


def trigger_statements(vendor: str, table: str, *, drop: bool = False) -> list[str]:
    table_map = _DROP if drop else _CREATE
    if vendor not in table_map:
        raise NotImplementedError(f"append-only triggers are not written for {vendor}")
    return table_map[vendor](table)


def append_only(*tables: str) -> migrations.RunPython:
    # params=None: the statements are literal SQL. With any params (even an empty tuple)
    # psycopg 3 reads the "%" of RAISE EXCEPTION '% ...' as a placeholder and refuses it.
    def forwards(apps, schema_editor):
        for table in tables:
            for sql in trigger_statements(schema_editor.connection.vendor, table):
                schema_editor.execute(sql, params=None)

    def backwards(apps, schema_editor):
        for table in tables:
            for sql in trigger_statements(schema_editor.connection.vendor, table, drop=True):
                schema_editor.execute(sql, params=None)

    return migrations.RunPython(forwards, backwards)


# Every table made append-only by a migration (audit 0002/0003, training 0002,
# signatures 0002, quality 0002). `audit verify` names any whose triggers are missing
# or disabled (A6): dropping them takes DDL, and what changed meanwhile is found by
# the chain and record checks, but the missing guard itself is reported too.
APPEND_ONLY_TABLES = (
    "audit_event",
    "audit_access_event",
    "audit_checkpoint",
    "audit_cosignature",
    "signatures_signature",
    "training_trainingrecord",
    "training_requalificationorder",
    "quality_deviationsnapshot",
    "quality_execution",
    "quality_executiondocument",
    "quality_changecontrolrevision",
    "quality_capaactiontarget",
    "quality_effectivenessreview",
)


def guarded_tables() -> tuple[str, ...]:
    """Every table whose append-only triggers `audit verify` and IQ-07 check: the ones
    above and those an app declares as `append_only_tables` on its AppConfig (the
    validation runs, P90). Declared there because an app above the audit layer guards
    its own tables with triggers of these names, and audit must not import it."""
    from django.apps import apps

    declared = [
        table
        for config in apps.get_app_configs()
        for table in getattr(config, "append_only_tables", ())
    ]
    return (*APPEND_ONLY_TABLES, *(t for t in declared if t not in APPEND_ONLY_TABLES))


_EXPECTED = {
    "sqlite": lambda table: [f"{table}_no_update", f"{table}_no_delete"],
    "postgresql": lambda table: [f"{table}_no_change", f"{table}_no_truncate"],
}

_PRESENT_SQL = {
    "sqlite": "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'",
    # A disabled trigger (ALTER TABLE ... DISABLE TRIGGER) guards nothing.
    "postgresql": (
        "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        " WHERE NOT t.tgisinternal AND t.tgenabled <> 'D'"
        " AND pg_catalog.pg_table_is_visible(c.oid)"
    ),
}


def missing_triggers(connection, tables) -> list[tuple[str, str]]:
    """(table, trigger) for every expected append-only trigger that is absent or disabled,
    among the tables that exist."""
    vendor = connection.vendor
    if vendor not in _PRESENT_SQL:
        return []
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        cursor.execute(_PRESENT_SQL[vendor])
        present = {(table, name) for table, name in cursor.fetchall()}
    return [
        (table, name)
        for table in tables
        if table in existing
        for name in _EXPECTED[vendor](table)
        if (table, name) not in present
    ]
