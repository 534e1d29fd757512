"""People get an employment interval: employed_from, and left_at (when they left)
beside deactivated_at (when the system learnt it), for E5 and Q9 as known at K (Q7).

Existing people: employed_from is the earliest of their first job assignment and
their creation (the audit event that created them), else the migration's time;
left_at is deactivated_at. Each person so changed gets an audit event carrying the
new record hash, so `qualify audit verify` keeps matching the live rows (A4)."""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import Min


def backfill(apps, schema_editor):
    from django.utils import timezone

    from qualify.audit import services as audit

    Person = apps.get_model("org", "Person")
    JobAssignment = apps.get_model("org", "JobAssignment")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    people = list(Person.objects.order_by("pk"))
    if not people:
        return
    first_job = dict(
        JobAssignment.objects.values_list("person_id").annotate(first=Min("valid_from"))
    )
    created = dict(
        AuditEvent.objects.filter(object_type="org.person", action="org.person.created")
        .values_list("object_id")
        .annotate(first=Min("recorded_at"))
    )
    now = timezone.now()
    events = []
    for person in people:
        before = audit.state_of(person)
        known = [t for t in (first_job.get(person.pk), created.get(str(person.pk))) if t]
        person.employed_from = min(known) if known else now
        person.left_at = person.deactivated_at
        person.save(update_fields=["employed_from", "left_at"])
        events.append(
            audit.pending(
                "org.person.employment_backfilled",
                person,
                actor=None,
                before=before,
                reason="Employment interval added (E5): from the first job assignment "
                "or the person's creation; the leaving time from the deactivation.",
            )
        )
    audit.record_many(events)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_triggers"),
        ("org", "0002_jobassignment_interval_ordered"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="employed_from",
            field=models.DateTimeField(null=True, help_text="When the employment began."),
        ),
        migrations.AddField(
            model_name="person",
            name="left_at",
            field=models.DateTimeField(
                blank=True, help_text="When the person left (effective).", null=True
            ),
        ),
        migrations.AlterField(
            model_name="person",
            name="deactivated_at",
            field=models.DateTimeField(
                blank=True, help_text="When the leaving was recorded.", null=True
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="person",
            name="employed_from",
            field=models.DateTimeField(
                default=django.utils.timezone.now, help_text="When the employment began."
            ),
        ),
    ]
