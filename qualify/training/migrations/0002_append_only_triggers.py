from django.db import migrations

from qualify.audit.immutability import append_only


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial"), ("audit", "0002_append_only_triggers")]
    # R1: records are corrected by superseding, never edited; revocations likewise.
    operations = [append_only("training_trainingrecord", "training_requalificationorder")]
