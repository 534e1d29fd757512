"""Reads whose SQL is compiled once per process (issue 18, P209).

Every signed-in request reads its session and its user (with their person and site).
Through the ORM each read compiled its queryset again: the user's read took 0.69 ms
on PostgreSQL (medium plant, 2-CPU host), of which the database's round trip was
about 0.1 ms, the rest building and compiling the query. A `CompiledRead` builds the
queryset once, with stand-in values, keeps Django's compiler and its SQL, and for each
read sends that SQL with the values put where the stand-ins were. The rows become
model instances as Django's own iterable makes them: the same converters (SQLite's
text datetimes), `from_db` and `select_related` populators; the user's read took
0.21 ms. A queryset with annotations, prefetches or any other iterable is refused when
compiled, so a read is never answered differently from the queryset it was built from
(tests/test_compiled.py compares them).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators


@dataclass(frozen=True)
class _Compiled:
    compiler: Any
    sql: str
    params: tuple
    positions: tuple[int, ...]
    model: type[Model]
    start: int
    end: int
    init_list: list[str]
    populators: list


class CompiledRead:
    """`build(*stand_ins)` is a queryset; `rows(*values)` is what
    `build(*values)` gives, read with the SQL compiled for the stand-ins. Each
    stand-in must reach the SQL as itself, once: a key or a text compared as is."""

    def __init__(self, build: Callable[..., QuerySet], *stand_ins: Any) -> None:
        self._build = build
        self._stand_ins = stand_ins
        self._by_alias: dict[str, _Compiled] = {}

    def _compile(self, using: str) -> _Compiled:
        queryset = self._build(*self._stand_ins).using(using)
        if (
            queryset._iterable_class is not ModelIterable
            or queryset.query.annotations
            or queryset._prefetch_related_lookups
            or queryset._known_related_objects
        ):
            raise TypeError("CompiledRead reads model rows only, as the ORM's plain iterable")
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        positions = []
        for stand_in in self._stand_ins:
            found = [i for i, param in enumerate(params) if param == stand_in]
            if len(found) != 1:
                raise TypeError(f"stand-in {stand_in!r} reaches the SQL {len(found)} times")
            positions.append(found[0])
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        return _Compiled(
            compiler=compiler,
            sql=sql,
            params=tuple(params),
            positions=tuple(positions),
            model=klass_info["model"],
            start=start,
            end=end,
            init_list=[column[0].target.attname for column in select[start:end]],
            populators=get_related_populators(klass_info, select, using),
        )

    def rows(self, *values: Any, using: str = "default") -> list[Model]:
        compiled = self._by_alias.get(using)
        if compiled is None:
            compiled = self._by_alias[using] = self._compile(using)
        params = list(compiled.params)
        for position, value in zip(compiled.positions, values, strict=True):
            params[position] = value
        with connections[using].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            fetched = cursor.fetchall()
        out = []
        # The compiler applies the converters its select needs; it is only read here.
        start, end = compiled.start, compiled.end
        for row in compiled.compiler.results_iter([fetched]):
            obj = compiled.model.from_db(using, compiled.init_list, row[start:end])
            for populator in compiled.populators:
                populator.populate(row, obj)
            out.append(obj)
        return out
