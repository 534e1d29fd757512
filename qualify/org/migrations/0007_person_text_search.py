"""Issue 18 (P203): people searched by part of a name or number from an index on PostgreSQL
(qualify.text_search)."""

from django.db import migrations

from qualify import text_search


class Migration(migrations.Migration):
    dependencies = [("org", "0006_person_person_name")]

    operations = [text_search.indexes_operation("org_person", ("full_name", "employee_number"))]
