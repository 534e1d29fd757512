"""Validation runs are GxP records (P90): database triggers keep them as recorded.

A run is written once by `validation_run_record` (with the executor's "validation
executed" signature, which vouches for `ValidationRun.signed_content()`), and after
that it may take exactly two one-way steps, each once, and nothing else:

* the pack's PDF hash is noted (`pdf_sha256` from empty to a value) while the run is
  still "executed";
* QA approves it (`status` executed → approved, `approved_by` and `approved_at` set
  from empty, `approval_comment` written) — only a passing run that its executor
  signed, and not by the executor.

Every other UPDATE is refused by the database, whatever the client (the application,
a shell, a DBA's SQL session): the identity, outcome, counts, deviations and results
hash never change, an approved run never changes at all, and no run is ever DELETEd
(nor TRUNCATEd on PostgreSQL). The services' own checks say the same in words; the
triggers are the guard a regulator relies on, like the audit trail's (A2, R1).

The triggers carry the names `qualify.audit.immutability.missing_triggers` expects, so
IQ-07 finds them missing or disabled like any append-only table's.

On SQLite the trigger lists the columns that must not change; the migration reads
them from the historical model, so a migration adding a column (SQLite rebuilds the
table and drops its triggers) re-installs the guard with the new column
(tests/validation/test_run_immutability.py fails if a column is left out). On
PostgreSQL the row is compared as JSONB less the columns the two steps may write, so
a new column is guarded as it comes.
"""

from __future__ import annotations

from django.db import migrations

TABLE = "validation_validationrun"
GUARDED_TABLES = (TABLE,)

MESSAGE = (
    "is append-only once recorded: only the PDF hash (once) and the approval by QA (once) "
    "may be added; UPDATE and DELETE are refused (21 CFR 11.10(e))"
)

# The columns the two permitted steps write; every other column is frozen at INSERT.
STEP_COLUMNS = ("pdf_sha256", "status", "approved_by_id", "approved_at", "approval_comment")


def _sqlite_condition(frozen: list[str]) -> str:
    # Quoted: a column may be a keyword (the run's "commit").
    same = " AND ".join(f'NEW."{c}" IS OLD."{c}"' for c in frozen)
    pdf_noted = (
        "OLD.status = 'executed' AND OLD.pdf_sha256 = '' AND NEW.pdf_sha256 <> '' "
        "AND NEW.status IS OLD.status AND NEW.approved_by_id IS OLD.approved_by_id "
        "AND NEW.approved_at IS OLD.approved_at AND NEW.approval_comment IS OLD.approval_comment"
    )
    approved = (
        "OLD.status = 'executed' AND NEW.status = 'approved' AND OLD.outcome = 'pass' "
        "AND OLD.executed_by_id IS NOT NULL AND OLD.approved_by_id IS NULL "
        "AND OLD.approved_at IS NULL AND NEW.approved_by_id IS NOT NULL "
        "AND NEW.approved_by_id <> OLD.executed_by_id AND NEW.approved_at IS NOT NULL "
        "AND NEW.pdf_sha256 IS OLD.pdf_sha256"
    )
    return f"({same}) AND (({pdf_noted}) OR ({approved}))"


def _sqlite(columns: list[str]) -> list[str]:
    frozen = [c for c in columns if c not in STEP_COLUMNS]
    return [
        f"CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
        f"WHEN NOT ({_sqlite_condition(frozen)}) "
        f"BEGIN SELECT RAISE(ABORT, '{TABLE} {MESSAGE}'); END",
        f"CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{TABLE} {MESSAGE}'); END",
    ]


_PG_FUNCTION = "qualify_validation_run_guard"


def _postgresql(columns: list[str]) -> list[str]:
    steps = ", ".join(f"'{c}'" for c in STEP_COLUMNS)
    return [
        f"CREATE OR REPLACE FUNCTION {_PG_FUNCTION}() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP = 'UPDATE' THEN "
        f"  IF (to_jsonb(NEW) - ARRAY[{steps}]) = (to_jsonb(OLD) - ARRAY[{steps}]) AND ( "
        "    (OLD.status = 'executed' AND OLD.pdf_sha256 = '' AND NEW.pdf_sha256 <> '' "
        "     AND NEW.status = OLD.status "
        "     AND NEW.approved_by_id IS NOT DISTINCT FROM OLD.approved_by_id "
        "     AND NEW.approved_at IS NOT DISTINCT FROM OLD.approved_at "
        "     AND NEW.approval_comment = OLD.approval_comment) "
        "    OR (OLD.status = 'executed' AND NEW.status = 'approved' AND OLD.outcome = 'pass' "
        "     AND OLD.executed_by_id IS NOT NULL AND OLD.approved_by_id IS NULL "
        "     AND OLD.approved_at IS NULL AND NEW.approved_by_id IS NOT NULL "
        "     AND NEW.approved_by_id <> OLD.executed_by_id AND NEW.approved_at IS NOT NULL "
        "     AND NEW.pdf_sha256 = OLD.pdf_sha256) "
        "  ) THEN RETURN NEW; END IF; "
        "END IF; "
        f"RAISE EXCEPTION '% {MESSAGE}', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; "
        "END $$",
        f"CREATE TRIGGER {TABLE}_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {_PG_FUNCTION}()",
        f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {_PG_FUNCTION}()",
    ]


def _drop(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {TABLE}_no_update",
            f"DROP TRIGGER IF EXISTS {TABLE}_no_delete",
        ]
    return [
        f"DROP TRIGGER IF EXISTS {TABLE}_no_change ON {TABLE}",
        f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
    ]


def guard_statements(vendor: str, columns: list[str], *, drop: bool = False) -> list[str]:
    """The SQL that installs (or, with drop, removes) the run's guard on `vendor`."""
    if vendor not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"validation run triggers are not written for {vendor}")
    if drop:
        return _drop(vendor)
    return (_sqlite if vendor == "sqlite" else _postgresql)(list(columns))


def guard_runs() -> migrations.RunPython:
    """The migration operation: install the guard with the columns the table has at this
    point of the migration history (reversible)."""

    def columns(apps) -> list[str]:
        model = apps.get_model("validation", "ValidationRun")
        return [f.column for f in model._meta.concrete_fields]

    # params=None: literal SQL (psycopg 3 would read RAISE's "%" as a placeholder).
    def forwards(apps, schema_editor):
        for sql in guard_statements(schema_editor.connection.vendor, columns(apps)):
            schema_editor.execute(sql, params=None)

    def backwards(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in guard_statements(vendor, columns(apps), drop=True):
            schema_editor.execute(sql, params=None)

    return migrations.RunPython(forwards, backwards)
