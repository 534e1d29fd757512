import re

import pytest


@pytest.mark.requirement("P121")
@pytest.mark.django_db
def test_a_sample_on_a_copy_of_the_scratch_template():
    """The OQ's test database is the worker's copy of the run's migrated template.

    Steps: read the database this test runs on; it is named as the worker's copy and
    holds every append-only trigger, as a migrated database does."""
    from django.db import connection

    from qualify.audit.immutability import guarded_tables, missing_triggers

    name = str(connection.settings_dict["NAME"])
    assert re.search(r"(oq-db\.sqlite3|_validation_oq)_gw\d+$", name), name
    assert missing_triggers(connection, guarded_tables()) == []
