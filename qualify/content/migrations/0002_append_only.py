from django.db import migrations

from qualify.audit.immutability import append_only


class Migration(migrations.Migration):
    dependencies = [("content", "0001_initial"), ("audit", "0002_append_only_triggers")]
    # Evidence is kept as received: SCORM commits and xAPI statements are never changed
    # or deleted (a voided statement stays; the voiding statement names it).
    operations = [append_only("content_runtimecommit", "content_statement")]
