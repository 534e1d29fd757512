"""`qualify setup`: the first run of an empty installation (after `qualify migrate`).

Creates the first administrator (the password policy applies), records the
installation's name and its audit checkpoint origin, and creates the first site with
its time zone. Interactive by default; `--no-input` takes every answer from flags or
environment variables, for automation:

    QUALIFY_SETUP_PASSWORD=... qualify setup --no-input --username admin \\
        --name "Ada Admin" --email admin@plant.example --installation "Cork plant" \\
        --site-code CORK --site-name "Cork" --time-zone Europe/Dublin

Each flag has a variable: QUALIFY_SETUP_USERNAME, _NAME, _EMAIL, _PASSWORD (give the
password only this way or interactively: a flag would show in the process list),
_INSTALLATION, _SITE_CODE, _SITE_NAME, _TIME_ZONE; the origin is
QUALIFY_CHECKPOINT_ORIGIN. It refuses to run on an installation already set up.
"""

import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from qualify.accounts import installation as installation_rules
from qualify.accounts.models import User
from qualify.accounts.passwords import validate_new_password
from qualify.audit.context import audit_context
from qualify.org.onboarding import installation_setup

# (option, environment variable, question, default)
QUESTIONS = [
    ("username", "QUALIFY_SETUP_USERNAME", "Administrator's user id", "admin"),
    ("name", "QUALIFY_SETUP_NAME", "Administrator's full name (as printed)", None),
    ("email", "QUALIFY_SETUP_EMAIL", "Administrator's email address", None),
    ("installation", "QUALIFY_SETUP_INSTALLATION", "Installation name", None),
    ("site_code", "QUALIFY_SETUP_SITE_CODE", "First site's code", None),
    ("site_name", "QUALIFY_SETUP_SITE_NAME", "First site's name", None),
    ("time_zone", "QUALIFY_SETUP_TIME_ZONE", "First site's time zone (IANA, e.g. Europe/Dublin)",
     "UTC"),
]  # fmt: skip

# Service field → the flag that sets it, for messages.
FLAGS = {
    "username": "--username",
    "printed_name": "--name",
    "email": "--email",
    "password": "QUALIFY_SETUP_PASSWORD",
    "installation_name": "--installation",
    "checkpoint_origin": "QUALIFY_CHECKPOINT_ORIGIN",
    "site_code": "--site-code",
    "site_name": "--site-name",
    "time_zone": "--time-zone",
}


class Command(BaseCommand):
    help = "Set up an empty installation: first administrator, installation name, first site."

    def add_arguments(self, parser):
        for option, variable, question, _default in QUESTIONS:
            parser.add_argument(
                f"--{option.replace('_', '-')}", dest=option, help=f"{question} (or {variable})."
            )
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Ask nothing: take the answers from flags and environment variables.",
        )

    def handle(self, *args, **options):
        try:
            installation_rules.refuse_if_set_up()
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        interactive = options["interactive"]
        answers = {}
        for option, variable, question, default in QUESTIONS:
            value = options.get(option) or os.environ.get(variable) or ""
            if not value and interactive:
                value = self._ask(question, default)
            answers[option] = (value or default or "").strip()
        password = os.environ.get("QUALIFY_SETUP_PASSWORD", "")
        if not password and interactive:
            password = self._ask_password(answers)
        missing = [
            FLAGS[k]
            for k, v in (
                ("username", answers["username"]),
                ("printed_name", answers["name"]),
                ("password", password),
                ("installation_name", answers["installation"]),
                ("site_code", answers["site_code"]),
                ("site_name", answers["site_name"]),
            )
            if not v
        ]
        if missing:
            raise CommandError(
                f"Missing: {', '.join(missing)}. Give them, or run without --no-input."
            )
        try:
            with audit_context(source="cli"):
                result = installation_setup(
                    username=answers["username"],
                    printed_name=answers["name"],
                    email=answers["email"],
                    password=password,
                    installation_name=answers["installation"],
                    checkpoint_origin=os.environ.get("QUALIFY_CHECKPOINT_ORIGIN", ""),
                    site_code=answers["site_code"],
                    site_name=answers["site_name"],
                    time_zone=answers["time_zone"],
                )
        except ValidationError as error:
            raise CommandError(self._explain(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Set up {result.installation.name!r} (checkpoint origin "
                f"{result.installation.checkpoint_origin}).\n"
                f"Administrator: {result.administrator.username}; first site: "
                f"{result.site.code} {result.site.name} ({result.site.time_zone}).\n"
                "Next: sign in, create the departments, job functions and people, and the "
                "accounts of the people who will work in Qualify."
            )
        )

    def _ask(self, question: str, default: str | None) -> str:
        suffix = f" [{default}]" if default else ""
        return input(f"{question}{suffix}: ").strip() or (default or "")

    def _ask_password(self, answers: dict) -> str:
        """Asked until it meets the policy, so a weak one loses no other answer."""
        probe = User(username=answers["username"], printed_name=answers["name"])
        while True:
            first = getpass.getpass("Administrator's password: ")
            again = getpass.getpass("Password (again): ")
            if not first or first != again:
                self.stderr.write("The two passwords differ or are empty; try again.")
                continue
            try:
                validate_new_password(first, probe, "password")
            except ValidationError as error:
                self.stderr.write(" ".join(error.messages) + " Try again.")
                continue
            return first

    @staticmethod
    def _explain(error: ValidationError) -> str:
        if not hasattr(error, "error_dict"):
            return " ".join(error.messages)
        return "\n".join(
            f"{FLAGS.get(field, field)}: {' '.join(messages)}"
            for field, messages in error.message_dict.items()
        )
