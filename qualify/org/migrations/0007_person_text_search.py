"""Issue 18 (P203): people searched by part of a name or number from an index on
PostgreSQL (qualify.text_search)."""

from django.db import migrations

from qualify import text_search

TABLE, COLUMNS = "org_person", ("full_name", "employee_number")


def forwards(apps, schema_editor):
    text_search.create_indexes(schema_editor, TABLE, COLUMNS)


def backwards(apps, schema_editor):
    text_search.drop_indexes(schema_editor, TABLE, COLUMNS)


class Migration(migrations.Migration):
    dependencies = [("org", "0006_person_person_name")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
