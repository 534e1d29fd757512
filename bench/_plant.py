"""The plant a page or load benchmark runs on, prepared once per database.

The medium plant (10,000 people) is bench.qualification's, copied from its SQLite
file so requests that write (sessions, token use) leave that file as it was; any
other size is `qualify.seed.scale`'s medium shape scaled to that many people
(documents a fifth of them, at least 50), built in the benchmark's own database, as
bench.reports does, except 50,000, the large plant of `qualify seed --scale large`;
small sizes are for the smoke tests. BENCH_DATABASE_URL is used
in place.
"""

import os
import shutil

from bench import _django


def prepare(name: str, people: int, *, fresh: bool = False) -> str:
    """Set up Django on `name`'s plant of `people` people; return the vendor."""
    from bench import qualification

    medium = people == qualification.PEOPLE
    database = name if medium else f"{name}-{people}"
    if medium and not os.environ.get("BENCH_DATABASE_URL"):
        source = _django.BENCH_DIR / f"{qualification.NAME}.sqlite3"
        target = _django.BENCH_DIR / f"{database}.sqlite3"
        if source.exists() and (fresh or not target.exists()):
            shutil.copy(source, target)
    vendor = _django.setup(database)
    from qualify.audit.context import audit_context
    from qualify.org.models import Person
    from qualify.seed import scale

    if not Person.objects.exists():
        if medium:
            qualification.build()
        else:
            shape = (
                scale.SCALES["large"]
                if people == scale.SCALES["large"].people
                else scale.Scale(f"{name}-{people}", people=people, documents=max(people // 5, 50))
            )
            with audit_context(source="cli"):
                scale.build(shape, seed=42)
    return vendor
