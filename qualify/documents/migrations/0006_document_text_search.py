"""Issue 18 (P203): documents searched by part of their number or title from an index
on PostgreSQL (qualify.text_search)."""

from django.db import migrations

from qualify import text_search

TABLE, COLUMNS = "documents_document", ("number", "title")


def forwards(apps, schema_editor):
    text_search.create_indexes(schema_editor, TABLE, COLUMNS)


def backwards(apps, schema_editor):
    text_search.drop_indexes(schema_editor, TABLE, COLUMNS)


class Migration(migrations.Migration):
    dependencies = [("documents", "0005_section_notes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
