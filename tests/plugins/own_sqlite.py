"""Tests whose outcome is the same whatever the suite's database run in the SQLite pass
only; the PostgreSQL pass skips them, saying why.

- `own_sqlite`: the test builds a SQLite database of its own in subprocesses.
- `engine_free`: the test never touches a database (pure code: canonical encoding,
  Merkle proofs, PDF bytes, question drawing). The mark is checked, not trusted: a test
  so marked that asks for database access (pytest-django's `django_db` mark, the `db`
  fixtures or anything built on them) fails collection, and pytest-django refuses any
  database access a test did not ask for. In one CI run the PostgreSQL pass spent 97 s
  of test time repeating these modules.
"""

import pytest
from django.conf import settings

OWN_SQLITE = "builds a SQLite database of its own; the SQLite pass runs it"
ENGINE_FREE = "never touches a database; the SQLite pass runs it"
DATABASE_FIXTURES = {"_django_db_helper", "django_db_setup"}


def _asks_for_a_database(item: pytest.Item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    return item.get_closest_marker("django_db") is not None or bool(fixtures & DATABASE_FIXTURES)


def pytest_collection_modifyitems(session, config, items):
    wrong = [
        item.nodeid
        for item in items
        if item.get_closest_marker("engine_free") is not None and _asks_for_a_database(item)
    ]
    if wrong:
        raise pytest.UsageError(
            "marked engine_free but asking for a database: " + ", ".join(sorted(wrong)[:10])
        )
    if settings.DATABASES["default"]["ENGINE"] != "qualify.postgresql":
        return
    own_sqlite, engine_free = (
        pytest.mark.skip(reason=OWN_SQLITE),
        pytest.mark.skip(reason=ENGINE_FREE),
    )
    for item in items:
        if item.get_closest_marker("own_sqlite") is not None:
            item.add_marker(own_sqlite)
        elif item.get_closest_marker("engine_free") is not None:
            item.add_marker(engine_free)
