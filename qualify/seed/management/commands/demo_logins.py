from django.core.management.base import BaseCommand

from qualify.seed.logins import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = "Print the demo logins."

    def handle(self, *args, **options):
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})\n")
        for username, name, _roles, what in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {name:<18} {what}")
        self.stdout.write("\nOpen http://127.0.0.1:8000/\n")
