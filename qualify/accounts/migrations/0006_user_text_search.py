"""Issue 18 (P203): accounts searched by part of a user id or name from an index on
PostgreSQL (qualify.text_search)."""

from django.db import migrations

from qualify import text_search

TABLE, COLUMNS = "accounts_user", ("username", "printed_name")


def forwards(apps, schema_editor):
    text_search.create_indexes(schema_editor, TABLE, COLUMNS)


def backwards(apps, schema_editor):
    text_search.drop_indexes(schema_editor, TABLE, COLUMNS)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_onboarding_passwords_installation")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
