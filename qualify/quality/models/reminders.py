"""Reminder mail bookkeeping: at most one digest per person per day; immediate
notices are sent once per event."""

from django.conf import settings
from django.db import models

from qualify.org.models import Person


class ReminderDigest(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField()
    items = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "day"], name="one_digest_per_person_day")
        ]

    def __str__(self) -> str:
        return f"Digest for {self.person_id} on {self.day}"


class NoticeKind(models.TextChoices):
    REQUALIFICATION = "requalification", "Requalification ordered"
    QUALIFICATION_LOST = "qualification_lost", "Qualification lost"
    WORK_ARRIVED = "work_arrived", "Work arrived in the inbox"


class Notification(models.Model):
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # Work notices (qualify.quality.work_notices) go to users, some with no person record.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    kind = models.CharField(max_length=30, choices=NoticeKind.choices)
    key = models.CharField(max_length=120, help_text="What it is about, so it is sent once.")
    subject = models.CharField(max_length=300)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "kind", "key"], name="notice_once"),
            models.UniqueConstraint(
                fields=["user", "kind", "key"],
                condition=models.Q(user__isnull=False),
                name="notice_once_per_user",
            ),
            models.CheckConstraint(
                condition=models.Q(person__isnull=False) | models.Q(user__isnull=False),
                name="notice_has_recipient",
            ),
        ]

    def __str__(self) -> str:
        return self.subject
