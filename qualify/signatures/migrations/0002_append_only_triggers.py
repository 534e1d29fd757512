from django.db import migrations

from qualify.audit.immutability import append_only


class Migration(migrations.Migration):
    dependencies = [("signatures", "0001_initial"), ("audit", "0002_append_only_triggers")]
    operations = [append_only("signatures_signature")]
