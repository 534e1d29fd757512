from django.core.management.base import BaseCommand

from qualify.seed.logins import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = "Print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, url, **options):
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})\n")
        for username, name, _roles, what in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {name:<18} {what}")
        self.stdout.write(f"\nOpen {url}\n")
