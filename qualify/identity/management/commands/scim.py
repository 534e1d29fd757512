"""`qualify scim create-client NAME`: a SCIM provisioning client and its bearer
token, printed once (give it to Entra ID, Okta… as the secret token)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from qualify.audit.context import audit_context
from qualify.identity.scim.services import client_create


class Command(BaseCommand):
    help = "Manage SCIM provisioning clients."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create-client", help="Create a client and print its token.")
        create.add_argument("name")

    def handle(self, *args, **options):
        with audit_context(source="cli"):
            try:
                client, raw = client_create(name=options["name"])
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"SCIM client {client.name}: token (shown once)\n{raw}")
