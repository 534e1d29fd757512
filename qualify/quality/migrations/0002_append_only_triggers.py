from django.db import migrations

from qualify.audit.immutability import append_only


class Migration(migrations.Migration):
    dependencies = [("quality", "0001_initial"), ("audit", "0002_append_only_triggers")]
    # Q7: a deviation's snapshot stays as recorded; executions are the batch record;
    # links, targets and reviews are facts, never edited.
    operations = [
        append_only(
            "quality_deviationsnapshot",
            "quality_execution",
            "quality_executiondocument",
            "quality_changecontrolrevision",
            "quality_capaactiontarget",
            "quality_effectivenessreview",
        )
    ]
