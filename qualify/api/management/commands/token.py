"""`qualify token create NAME --scopes read,executions-write [--expires-days N]`
prints the new token once, on its last line; `qualify token revoke NAME --reason ...`;
`qualify token list`."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from qualify.api.models import SCOPES, ApiToken
from qualify.api.tokens import token_create, token_revoke
from qualify.audit.context import audit_context


class Command(BaseCommand):
    help = "Create, revoke and list API tokens (one service account per token)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token; it is printed once.")
        create.add_argument("name")
        create.add_argument("--scopes", required=True, help=f"Comma-separated: {', '.join(SCOPES)}")
        create.add_argument("--expires-days", type=int, default=None)
        revoke = sub.add_parser("revoke", help="Revoke a token at once.")
        revoke.add_argument("name")
        revoke.add_argument("--reason", required=True)
        sub.add_parser("list", help="List tokens (never the tokens themselves).")

    def handle(self, *args, **options):
        try:
            with audit_context(source="cli"):
                getattr(self, f"_{options['action']}")(options)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None

    def _create(self, options):
        if options["expires_days"] is not None and options["expires_days"] < 1:
            raise CommandError("--expires-days must be at least 1.")
        token, raw = token_create(
            name=options["name"], scopes=options["scopes"], expires_days=options["expires_days"]
        )
        expiry = token.expires_at.isoformat() if token.expires_at else "never"
        self.stdout.write(
            f"Token {token.name} for service account {token.user.username}; "
            f"scopes {','.join(token.scopes)}; expires {expiry}."
        )
        self.stdout.write("Store it now: it is shown only once and kept only as a hash.")
        self.stdout.write(raw)

    def _revoke(self, options):
        token = token_revoke(name=options["name"], reason=options["reason"])
        self.stdout.write(f"Revoked {token.name} at {token.revoked_at.isoformat()}.")

    def _list(self, options):
        for token in ApiToken.objects.all():
            state = "revoked" if token.revoked_at else "active"
            self.stdout.write(
                f"{token.name}\t{token.prefix}…\t{','.join(token.scopes)}\t{state}\t"
                f"expires {token.expires_at or 'never'}\tlast used {token.last_used_at or '-'}"
            )
