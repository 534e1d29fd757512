"""Issue 18 (P203): accounts searched by part of a user id or name from an index on PostgreSQL
(qualify.text_search)."""

from django.db import migrations

from qualify import text_search


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_onboarding_passwords_installation")]

    operations = [text_search.indexes_operation("accounts_user", ("username", "printed_name"))]
