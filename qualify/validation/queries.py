"""Reads of validation runs (installation-wide records: no client restriction)."""

from django.db.models import QuerySet

from qualify.validation.models import ValidationRun


def validation_runs() -> QuerySet[ValidationRun]:
    return ValidationRun.objects.select_related("executed_by", "approved_by").order_by(
        "-started_at", "-pk"
    )
