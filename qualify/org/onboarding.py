"""First run and onboarding (U1, U3, U4): `qualify setup`, and accounts for people.

Accounts live in `accounts`, people and sites in `org`; linking a login to a person
and creating the first site with the first administrator need both, so they are
composed here, in the lowest layer that may use both.

- A person has at most one login and a login at most one person: checked first for
  a readable error, held by the one-to-one column under concurrent creation.
- A new account never gets a password from the administrator: it gets a one-time
  link by email (qualify.accounts.links), so the administrator never knows it.
- Accounts for everyone of the HR feed without a login are made one by one, each
  in a savepoint, so one refused person (no email, a user id taken) never stops the
  others, and the report says why each was refused.
"""

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from qualify.accounts import installation as installation_rules
from qualify.accounts import links
from qualify.accounts import roles as role_rules
from qualify.accounts import services as accounts
from qualify.accounts.models import Installation, User
from qualify.accounts.roles import ADMINISTRATOR, EMPLOYEE
from qualify.audit import services as audit
from qualify.org import services as org
from qualify.org.models import Person, Site

# How a user id is made for a person of the HR feed.
USERNAME_POLICIES = {
    "employee_number": "The employee number (E1042 → e1042)",
    "email": "The email address before the @ (jane.roe@plant.example → jane.roe)",
}


def _require_admin(actor: Any) -> None:
    if actor is None or not actor.has_perm("accounts.manage_accounts"):
        raise PermissionDenied("Only an administrator can create accounts.")


def username_for(person: Person, policy: str) -> str:
    if policy == "employee_number":
        return person.employee_number.strip().lower()
    if policy == "email":
        return person.email.split("@", 1)[0].strip().lower() if person.email else ""
    raise ValidationError({"policy": f"Unknown user id policy {policy!r}."})


def _link_person(*, actor: User, person: Person, user: User) -> Person:
    """Give `person` the login `user` (at most one login per person)."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.user_id is not None:
        raise ValidationError(
            {
                "person": f"{person} already has the login {person.user.username}; "
                "a person has at most one login."
            }
        )
    if Person.objects.filter(user=user).exclude(pk=person.pk).exists():
        raise ValidationError({"username": f"{user.username} is the login of another person."})
    before = audit.state_of(person)
    person.user = user
    try:
        with transaction.atomic():
            person.save(update_fields=["user"])
    except IntegrityError:
        raise ValidationError(
            {"person": f"{person} was given a login meanwhile; a person has at most one."}
        ) from None
    audit.record(
        "account.person.linked",
        person,
        actor=actor,
        before=before,
        reason=f"Login {user.username} created for {person.full_name}",
    )
    return person


def _refuse_segregation(actor: User, username: str, roles) -> None:
    """U3: the administrator role beside a signing role is refused, and the refusal
    audited (A5), before any transaction opens: accounts.user_create owns both, and
    writes nothing when it refuses."""
    if role_rules.segregation_conflicts(roles):
        accounts.user_create(actor=actor, username=username, printed_name="-", roles=list(roles))


def account_create(
    *,
    actor: User,
    username: str,
    printed_name: str = "",
    email: str = "",
    roles: list[str] | tuple[str, ...] = (EMPLOYEE,),
    person: Person | None = None,
) -> User:
    """Create an account (for `person`, when given: their name and email are the
    defaults) and mail its holder the one-time link to set a password."""
    _require_admin(actor)
    _refuse_segregation(actor, username, roles)
    return _account_create(
        actor=actor,
        username=username,
        printed_name=printed_name,
        email=email,
        roles=roles,
        person=person,
    )


@transaction.atomic
def _account_create(
    *,
    actor: User,
    username: str,
    printed_name: str,
    email: str,
    roles: list[str] | tuple[str, ...],
    person: Person | None,
) -> User:
    if person is not None:
        person = Person.objects.select_related("user").get(pk=person.pk)
        if person.user_id is not None:
            raise ValidationError(
                {
                    "person": f"{person} already has the login {person.user.username}; "
                    "a person has at most one login."
                }
            )
        printed_name = (printed_name or "").strip() or person.full_name
        email = (email or "").strip() or person.email
    email = (email or "").strip()
    if not email:
        raise ValidationError(
            {"email": "An email address is needed: the person sets their password by a link."}
        )
    user = accounts.user_create(
        actor=actor,
        username=username,
        printed_name=printed_name,
        email=email,
        roles=list(roles),
    )
    if person is not None:
        _link_person(actor=actor, person=person, user=user)
    links.user_send_welcome(actor=actor, user=user)
    return user


@dataclass
class OnboardingReport:
    created: list[tuple[Person, User]] = field(default_factory=list)
    refused: list[tuple[Person, str]] = field(default_factory=list)


def people_without_login(site: Site | None = None):
    people = Person.objects.filter(active=True, user__isnull=True).select_related("site")
    if site is not None:
        people = people.filter(site=site)
    return people.order_by("employee_number")


def accounts_create_for_people(
    *,
    actor: User,
    policy: str = "employee_number",
    roles: list[str] | tuple[str, ...] = (EMPLOYEE,),
    site: Site | None = None,
    dry_run: bool = False,
) -> OnboardingReport:
    """An account for every active person of the HR feed without a login (of one
    site, when given), the user id made by `policy`. Each is mailed a link."""
    _require_admin(actor)
    if policy not in USERNAME_POLICIES:
        raise ValidationError({"policy": f"Choose one of: {', '.join(USERNAME_POLICIES)}."})
    _refuse_segregation(actor, "(accounts for the HR feed)", roles)
    report = OnboardingReport()
    for person in people_without_login(site):
        username = username_for(person, policy)
        if not username:
            report.refused.append((person, "No email address to make a user id from."))
            continue
        try:
            with transaction.atomic():
                user = _account_create(
                    actor=actor,
                    username=username,
                    printed_name="",
                    email="",
                    roles=roles,
                    person=person,
                )
                if dry_run:
                    transaction.set_rollback(True)
        except ValidationError as error:
            report.refused.append((person, " ".join(error.messages)))
            continue
        report.created.append((person, user))
    return report


# --- First run -------------------------------------------------------------------


@dataclass
class SetupResult:
    administrator: User
    installation: Installation
    site: Site


def installation_setup(
    *,
    username: str,
    printed_name: str,
    email: str,
    password: str,
    installation_name: str,
    checkpoint_origin: str = "",
    site_code: str,
    site_name: str,
    time_zone: str,
) -> SetupResult:
    """`qualify setup`: the first administrator (password policy applied), the
    installation's name and checkpoint origin, and the first site with its zone;
    all or nothing, and only on a database without accounts."""
    installation_rules.refuse_if_set_up()
    errors: dict[str, list[str]] = {}
    if checkpoint_origin:
        try:
            installation_rules.check_origin(checkpoint_origin)
        except ValidationError as error:
            errors.update(error.message_dict)
    if not (installation_name or "").strip():
        errors["installation_name"] = ["Give the installation a name."]
    site = Site(code=(site_code or "").strip(), name=(site_name or "").strip(), time_zone=time_zone)
    try:
        site.full_clean()
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            errors[{"code": "site_code", "name": "site_name"}.get(key, key)] = messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        installation_rules.refuse_if_set_up()
        admin = accounts.user_create(
            actor=None,
            username=username,
            printed_name=printed_name,
            email=email,
            password=password,
            roles=[ADMINISTRATOR],
        )
        record = installation_rules.installation_record(
            administrator=admin, name=installation_name, checkpoint_origin=checkpoint_origin
        )
        site = org.site_create(
            actor=admin, code=site.code, name=site.name, time_zone=site.time_zone
        )
    return SetupResult(administrator=admin, installation=record, site=site)
