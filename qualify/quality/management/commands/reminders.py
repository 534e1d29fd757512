from django.core.management.base import BaseCommand

from qualify.audit.context import audit_context
from qualify.quality.tasks import run_reminders


class Command(BaseCommand):
    help = "Send training reminders now: notices of lost qualifications and daily digests."

    def handle(self, *args, **options):
        with audit_context(source="cli"):
            result = run_reminders()
        self.stdout.write(f"{result['lost']} notice(s), {result['digests']} digest(s) sent")
