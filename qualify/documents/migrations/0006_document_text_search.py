"""Issue 18 (P203): documents searched by part of their number or title from an index on PostgreSQL
(qualify.text_search)."""

from django.db import migrations

from qualify import text_search


class Migration(migrations.Migration):
    dependencies = [("documents", "0005_section_notes")]

    operations = [text_search.indexes_operation("documents_document", ("number", "title"))]
