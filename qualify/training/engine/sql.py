"""The engine's reads: a few hand-written queries, portable to SQLite and PostgreSQL.

Building an ORM query costs far more than running these (about 150 us against 15 us
on SQLite), and the engine asks the same few questions every time. Each query
selects a model's columns by their names in `_meta`, and every value goes through
the converters the ORM itself applies to that column (`ops.get_db_converters` and
the field's own), so a value read here equals the one a queryset returns: datetimes
aware, decimals quantized, booleans as bool. Rows come back as lists; model
instances are made only for what an answer shows (`instance()`), with the state
`Model.from_db` gives them and the same deferred fields as before, but without
`Model.__init__` unless a pre_init/post_init receiver listens to the model.

Pairs of ids are a table q(column1, column2) joined to the indexed columns: a JSON
array read by json_each on SQLite, two arrays unnested on PostgreSQL; "a IN (...) AND
b IN (...)" would probe the cross product.
"""

import datetime as dt
import json

from django.conf import settings
from django.db import connections, router
from django.db.models import signals
from django.db.models.base import ModelState
from django.utils.dateparse import parse_datetime

from qualify.documents.models import Document, DocumentVersion
from qualify.ids import ids_condition, ids_parameter
from qualify.org.models import Person, Site
from qualify.signatures.models import Signature
from qualify.training.models import RequalificationOrder, Requirement, TrainingRecord

CHUNK = 2000  # parameters per statement, well below SQLite's variable limit

# Fields the engine reads first, in this order; the rest of each row follows.
VERSION_FIRST = (
    "id",
    "document_id",
    "sequence",
    "status",
    "retraining_required",
    "approved_at",
    "effective_from",
    "baseline_id",
)
VERSION_LOGIC = len(VERSION_FIRST)
VERSION_DEFERRED = ("content_text", "change_summary", "editorial_justification")
RECORD_FIRST = (
    "id",
    "person_id",
    "requirement_id",
    "document_version_id",
    "method",
    "completed_at",
    "recorded_at",
    "attested_at",
    "evidence",
    "score",
    "pass_mark",
    "trainer_id",
    "evidence_sha256",
    "supersedes_id",
)
SIGNATURE_FIRST = ("id", "signer_id", "meaning", "content_hash", "signed_at")
SIGNATURE_LOGIC = len(SIGNATURE_FIRST)
REQUIREMENT_DEFERRED = ("checklist",)


def _attnames(model, first=(), deferred=()) -> list[str]:
    names = [f.attname for f in model._meta.concrete_fields if f.attname not in deferred]
    rest = [name for name in names if name not in first]
    return [*first, *rest]


RECORD_ATTNAMES = tuple(_attnames(TrainingRecord, RECORD_FIRST))
RECORD_INDEX = {name: i for i, name in enumerate(RECORD_ATTNAMES)}


class Columns:
    """Some columns of one model under a table alias, with the ORM's converters."""

    def __init__(self, connection, model, alias, attnames, *, lazy_from=None) -> None:
        self.model = model
        self.attnames = list(attnames)
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        fields = [by_attname[name] for name in self.attnames]
        quote = connection.ops.quote_name
        self.sql = ", ".join(_select(connection, f"{alias}.{quote(f.column)}", f) for f in fields)
        self.table = quote(model._meta.db_table)
        self.column = {  # any column of the model, for joins and conditions
            f.attname: f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields
        }
        converters = []
        for i, field in enumerate(fields):
            col = field.get_col(alias)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if found:
                converters.append((i, tuple(_unrolled(f, connection) for f in found), col))
        lazy_from = len(fields) if lazy_from is None else lazy_from
        # Converted when read, and (the columns only an instance needs) when built.
        self.eager = tuple(c for c in converters if c[0] < lazy_from)
        self.lazy = tuple(c for c in converters if c[0] >= lazy_from)
        self.count = len(fields)


def _select(connection, column: str, field) -> str:
    """The column as selected. The sqlite3 module parses every datetime column it
    returns (Django registers a converter for the declared type) before the ORM's
    converter makes it aware; selected as text, a value is parsed only when the engine
    reads it, by the ORM's converter, which parses text itself. Same value either way."""
    if connection.vendor == "sqlite" and field.get_internal_type() == "DateTimeField":
        return f"CAST({column} AS TEXT)"
    return column


def _unrolled(converter, connection):
    """SQLite's datetime converter reads two settings per value, which for thousands of
    values is most of the cost of reading them; this one reads them once and does
    the same (parse text, then make a naive value aware in the connection's zone)."""
    try:
        from django.db.backends.sqlite3.operations import DatabaseOperations
    except ImportError:  # pragma: no cover
        return converter
    if getattr(converter, "__func__", None) is not DatabaseOperations.convert_datetimefield_value:
        return converter
    if not settings.USE_TZ:
        return converter
    zone = connection.timezone

    def convert_datetimefield_value(value, expression, connection):
        if value is not None:
            if not isinstance(value, dt.datetime):
                value = parse_datetime(value)
            if value.utcoffset() is None:
                value = value.replace(tzinfo=zone)
        return value

    return convert_datetimefield_value


# Parameters are named ("pyformat"): Django's SQLite cursor turns those into SQLite's
# style with one string formatting, where positional ones take a regular expression
# over the whole statement (10 us for these). On SQLite a list of ids or pairs is one
# JSON text read by json_each (JSON1, which Django's JSONField needs too): binding
# two thousand named parameters took about half of the records statement's time
# (P137). The statement's text is the same whatever the number of ids, so the
# sqlite3 module finds it in its cache.


def _ids(ids, arrays: bool, **fixed) -> tuple[str, dict]:
    """The condition "column IN (ids)" (after the column) and its parameters."""
    vendor = "postgresql" if arrays else "sqlite"
    return ids_condition(vendor, "%(ids)s"), dict(fixed, ids=ids_parameter(vendor, ids))


def _pairs(pairs, arrays: bool, **fixed) -> tuple[str, dict]:
    """A table q(column1, column2) of the pairs and its parameters."""
    if arrays:
        # PostgreSQL: two array parameters instead of thousands of placeholders
        # (which the driver would parse out of the statement one by one).
        sql = "unnest(%(a)s::bigint[], %(b)s::bigint[]) AS q (column1, column2)"
        return sql, dict(fixed, a=[a for a, _ in pairs], b=[b for _, b in pairs])
    sql = (
        "(SELECT json_extract(value, '$[0]') AS column1, json_extract(value, '$[1]') AS column2"
        " FROM json_each(%(pairs)s)) AS q"
    )
    return sql, dict(fixed, pairs=json.dumps([list(pair) for pair in pairs]))


class Statements:
    """The engine's statements and columns for one database connection."""

    def __init__(self, connection) -> None:
        quote = connection.ops.quote_name
        self.requirement = Columns(
            connection, Requirement, "r", _attnames(Requirement, deferred=REQUIREMENT_DEFERRED)
        )
        self.document = Columns(connection, Document, "d", _attnames(Document))
        self.version = Columns(
            connection,
            DocumentVersion,
            "v",
            _attnames(DocumentVersion, VERSION_FIRST, VERSION_DEFERRED),
            lazy_from=VERSION_LOGIC,
        )
        self.record = Columns(connection, TrainingRecord, "c", RECORD_ATTNAMES)
        self.correction = Columns(connection, TrainingRecord, "s", ["recorded_at"])
        self.signature = Columns(
            connection, Signature, "g", _attnames(Signature, SIGNATURE_FIRST),
            lazy_from=SIGNATURE_LOGIC,
        )  # fmt: skip
        self.order = Columns(
            connection, RequalificationOrder, "o", ["id", "issued_at", "recorded_at"]
        )
        self.person = Columns(
            connection, Person, "p", ["id", "user_id", "left_at", "deactivated_at"]
        )
        self.site = Columns(connection, Site, "t", ["id", "allow_untrained_documents"])
        d, r, v, c, s, g, o = (
            self.document,
            self.requirement,
            self.version,
            self.record,
            self.correction,
            self.signature,
            self.order,
        )
        column = TrainingRecord._meta.get_field
        supersedes = f"s.{quote(column('supersedes').column)}"
        # A document's versions and active requirements: one row per version and
        # requirement, either side empty (NULLs) when the document has none. With
        # the document's own columns when the caller did not hand it over.
        from_documents = (
            f"FROM {d.table} d "
            f"LEFT OUTER JOIN {v.table} v ON {v.column['document_id']} = {d.column['id']} "
            f"LEFT OUTER JOIN {r.table} r ON {r.column['document_id']} = {d.column['id']} "
            f"AND {r.column['active']} = %(active)s "
            f"WHERE {d.column['id']} {{}}"
        )
        self.documents = f"SELECT {d.column['id']}, {v.sql}, {r.sql} {from_documents}"
        self.documents_with_own = f"SELECT {d.sql}, {v.sql}, {r.sql} {from_documents}"
        self.requirements = f"SELECT {r.sql} FROM {r.table} r WHERE {r.column['id']} {{}}"
        self.versions = f"SELECT {v.sql} FROM {v.table} v WHERE {v.column['id']} {{}}"
        # The records of exactly the pairs asked about, each with the recorded time of
        # the correction that supersedes it (R1), if any, one row per signature
        # (signatures name the record by type and id as text) and requalification
        # order of the pair (which matter only where there is a record).
        self.records = (
            f"SELECT {c.sql}, {s.sql}, {g.sql}, {o.sql} FROM {{}} "
            f"INNER JOIN {c.table} c ON {c.column['person_id']} = q.column1 "
            f"AND {c.column['requirement_id']} = q.column2 "
            f"LEFT OUTER JOIN {s.table} s ON {supersedes} = {c.column['id']} "
            f"LEFT OUTER JOIN {g.table} g ON {g.column['object_type']} = %(object_type)s "
            f"AND {g.column['object_id']} = CAST({c.column['id']} AS VARCHAR(64)) "
            f"LEFT OUTER JOIN {o.table} o ON {o.column['person_id']} = {c.column['person_id']} "
            f"AND {o.column['requirement_id']} = {c.column['requirement_id']}"
        )
        self.users = (
            f"SELECT {self.person.sql} FROM {self.person.table} p "
            f"WHERE {self.person.column['id']} {{}}"
        )
        self.sites = (
            f"SELECT {self.site.sql} FROM {self.site.table} t WHERE {self.site.column['id']} {{}}"
        )


_statements: dict[str, Statements] = {}


class Reader:
    """Runs the statements on the connection the ORM would read `model` from."""

    def __init__(self, model) -> None:
        self.alias = router.db_for_read(model)
        self.connection = connections[self.alias]
        statements = _statements.get(self.alias)
        if statements is None:
            statements = _statements[self.alias] = Statements(self.connection)
        self.s = statements
        self.arrays = self.connection.vendor == "postgresql"

    def _rows(self, sql: str, params) -> list:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _convert(self, row, converters) -> list:
        row = list(row)
        connection = self.connection
        for i, functions, expression in converters:
            value = row[i]
            for function in functions:
                value = function(value, expression, connection)
            row[i] = value
        return row

    def _read(self, columns: Columns, sql: str, params) -> list[list]:
        rows = self._rows(sql, params)
        if not columns.eager:
            return [list(row) for row in rows]
        return [self._convert(row, columns.eager) for row in rows]

    def instance(self, columns: Columns, row: list):
        """A model instance from a row, as `Model.from_db` makes it (columns not read
        stay deferred)."""
        if columns.lazy:
            row = self._convert(row, columns.lazy)
        model = columns.model
        if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
            return model.from_db(self.alias, columns.attnames, row)
        obj = model.__new__(model)
        obj.__dict__.update(zip(columns.attnames, row, strict=True))
        state = obj._state = ModelState()
        state.adding = False
        state.db = self.alias
        return obj

    # The questions.

    def documents(self, ids, *, with_own: bool):
        """(document, version row or None, requirement or None) per row: the
        document's instance when with_own, else its id."""
        s = self.s
        d, v, r = s.document, s.version, s.requirement
        where, params = _ids(ids, self.arrays, active=True)
        rows = self._rows((s.documents_with_own if with_own else s.documents).format(where), params)
        n = d.count if with_own else 1
        m = n + v.count
        documents: dict[int, object] = {}
        requirements: dict[int, Requirement] = {}
        out = []
        for row in rows:
            document = row[0]
            if with_own:
                document = documents.get(row[0])
                if document is None:
                    document = documents[row[0]] = self.instance(d, self._convert(row[:n], d.eager))
            version = None
            if row[n] is not None:
                version = self._convert(row[n:m], v.eager)
            requirement = None
            if row[m] is not None:
                requirement = requirements.get(row[m])
                if requirement is None:
                    requirement = requirements[row[m]] = self.instance(
                        r, self._convert(row[m:], r.eager)
                    )
            out.append((document, version, requirement))
        return out

    def requirements(self, ids) -> list[Requirement]:
        columns = self.s.requirement
        where, params = _ids(ids, self.arrays)
        rows = self._read(columns, self.s.requirements.format(where), params)
        return [self.instance(columns, row) for row in rows]

    def versions(self, ids) -> list[list]:
        where, params = _ids(ids, self.arrays)
        return self._read(self.s.version, self.s.versions.format(where), params)

    def version_instance(self, row: list) -> DocumentVersion:
        return self.instance(self.s.version, row)

    def records(self, pairs):
        """(record row, correction's recorded_at, signature row, order row) per record,
        signature and order of its pair, the last three None where there is none; a
        record's row is converted once."""
        s = self.s
        record, correction, signature, order = s.record, s.correction, s.signature, s.order
        values, params = _pairs(pairs, self.arrays, object_type=TrainingRecord._meta.label_lower)
        rows = self._rows(s.records.format(values), params)
        n = record.count
        m = n + 1
        k = m + signature.count
        converted: dict[int, tuple] = {}
        out = []
        for row in rows:
            first = converted.get(row[0])
            if first is None:
                first = converted[row[0]] = (
                    self._convert(row[:n], record.eager),
                    self._convert(row[n:m], correction.eager)[0],
                )
            sig = None if row[m] is None else self._convert(row[m:k], signature.eager)
            ordered = None if row[k] is None else self._convert(row[k:], order.eager)
            out.append((first[0], first[1], sig, ordered))
        return out

    def record_instance(self, row: list) -> TrainingRecord:
        return self.instance(self.s.record, row)

    def signature_instance(self, row: list) -> Signature:
        return self.instance(self.s.signature, row)

    def users(self, ids) -> list[list]:
        where, params = _ids(ids, self.arrays)
        return self._read(self.s.person, self.s.users.format(where), params)

    def sites(self, ids) -> list[list]:
        where, params = _ids(ids, self.arrays)
        return self._read(self.s.site, self.s.sites.format(where), params)
