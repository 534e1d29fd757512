from django.db import migrations

from qualify.audit.immutability import append_only


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [append_only("audit_event", "audit_checkpoint")]
