"""`qualify accounts` — accounts from the command line, through the same services as
the Users page and the API, acting as a named administrator (audited as them):

    qualify accounts create jroe --as ada --person E1001 [--roles employee,trainer]
    qualify accounts onboard --as ada [--policy employee_number|email] [--dry-run]
    qualify accounts lock jroe --as ada --reason "Badge reported stolen"
    qualify accounts unlock jroe --as ada --reason "Badge found"
    qualify accounts reset-password jroe --as ada --reason "Forgot it"

New accounts and resets mail a one-time link to set the password.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from qualify.accounts import links
from qualify.accounts import services as accounts
from qualify.accounts.models import User
from qualify.audit.context import audit_context
from qualify.org import onboarding
from qualify.org.models import Person


def _user(username: str) -> User:
    found = User.objects.filter(username__iexact=(username or "").strip()).first()
    if found is None:
        raise CommandError(f"No account has the user id {username!r}.")
    return found


class Command(BaseCommand):
    help = "Create accounts (one, or everyone of the HR feed without one), lock, unlock, reset."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="An account; its holder is mailed a link.")
        create.add_argument("username")
        create.add_argument("--person", default="", help="Employee number of the person.")
        create.add_argument("--name", default="", help="Printed name (default: the person's).")
        create.add_argument("--email", default="", help="Email (default: the person's).")
        onboard = sub.add_parser("onboard", help="Accounts for people without a login.")
        onboard.add_argument(
            "--policy", default="employee_number", choices=sorted(onboarding.USERNAME_POLICIES)
        )
        onboard.add_argument("--dry-run", action="store_true")
        for name in ("create", "onboard"):
            sub.choices[name].add_argument(
                "--roles", default="employee", help="Comma-separated roles (default employee)."
            )
        for name, text in (
            ("lock", "Lock an account."),
            ("unlock", "Unlock an account."),
            ("reset-password", "Reset a password; the holder is mailed a link."),
        ):
            change = sub.add_parser(name, help=text)
            change.add_argument("username")
            change.add_argument("--reason", required=True)
        for parser_ in sub.choices.values():
            parser_.add_argument(
                "--as", dest="actor", required=True, help="The administrator acting (user id)."
            )

    def handle(self, *args, **options):
        actor = _user(options["actor"])
        action = options["action"].replace("-", "_")
        try:
            with audit_context(source="cli"):
                getattr(self, f"_{action}")(actor, options)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        except PermissionDenied as error:
            raise CommandError(str(error)) from None

    @staticmethod
    def _roles(options) -> list[str]:
        return [r.strip() for r in options["roles"].split(",") if r.strip()]

    def _create(self, actor, options):
        person = None
        if options["person"]:
            person = Person.objects.filter(employee_number__iexact=options["person"]).first()
            if person is None:
                raise CommandError(f"No person has the employee number {options['person']!r}.")
        user = onboarding.account_create(
            actor=actor,
            username=options["username"],
            printed_name=options["name"],
            email=options["email"],
            roles=self._roles(options),
            person=person,
        )
        self.stdout.write(
            f"Created {user.username}; a set-password link is mailed to {user.email}."
        )

    def _onboard(self, actor, options):
        report = onboarding.accounts_create_for_people(
            actor=actor,
            policy=options["policy"],
            roles=self._roles(options),
            dry_run=options["dry_run"],
        )
        verb = "would create" if options["dry_run"] else "created"
        for person, user in report.created:
            self.stdout.write(f"{verb}\t{person.employee_number}\t{user.username}")
        for person, why in report.refused:
            self.stdout.write(f"refused\t{person.employee_number}\t{why}")
        self.stdout.write(f"{len(report.created)} {verb}, {len(report.refused)} refused.")

    def _lock(self, actor, options):
        user = accounts.user_lock(
            actor=actor, user=_user(options["username"]), reason=options["reason"]
        )
        self.stdout.write(f"{user.username} is locked.")

    def _unlock(self, actor, options):
        user = accounts.user_unlock(
            actor=actor, user=_user(options["username"]), reason=options["reason"]
        )
        self.stdout.write(f"{user.username} is unlocked.")

    def _reset_password(self, actor, options):
        user = links.user_password_reset(
            actor=actor, user=_user(options["username"]), reason=options["reason"]
        )
        self.stdout.write(f"The password of {user.username} is reset; a link is mailed.")
