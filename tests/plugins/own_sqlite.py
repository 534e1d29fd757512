"""Tests marked `own_sqlite` build a SQLite database of their own in subprocesses,
whatever database the suite runs on: their outcome is the same in both passes, so the
PostgreSQL pass skips them (saying why) and the SQLite pass runs them."""

import pytest
from django.conf import settings

REASON = "builds a SQLite database of its own; the SQLite pass runs it"


def pytest_collection_modifyitems(session, config, items):
    if settings.DATABASES["default"]["ENGINE"] != "qualify.postgresql":
        return
    skip = pytest.mark.skip(reason=REASON)
    for item in items:
        if item.get_closest_marker("own_sqlite") is not None:
            item.add_marker(skip)
