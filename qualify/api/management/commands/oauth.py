"""`qualify oauth create-client NAME --scopes read,people-write`: an OAuth2
client-credentials integration; prints its client id and secret once."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from qualify.api.oauth_clients import oauth_client_create
from qualify.audit.context import audit_context


class Command(BaseCommand):
    help = "Manage OAuth2 client-credentials integrations."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create-client", help="Register an integration.")
        create.add_argument("name")
        create.add_argument("--scopes", required=True, help="Comma-separated API scopes.")

    def handle(self, *args, **options):
        with audit_context(source="cli"):
            try:
                integration, secret = oauth_client_create(
                    name=options["name"], scopes=options["scopes"]
                )
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(
            f"client_id: {integration.application.client_id}\n"
            f"client_secret (shown once): {secret}\n"
            f"scopes: {' '.join(integration.scopes)}"
        )
