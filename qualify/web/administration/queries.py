"""Reads for the administrator's pages. Accounts belong to no client; the client
restrictions shown are the users' own (U2)."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django_otp.plugins.otp_totp.models import TOTPDevice

from qualify.accounts import queries as account_queries
from qualify.accounts.models import User


def users(text: str = "", status: str = "") -> QuerySet[User]:
    # Their roles and clients are read for the page's rows alone (`with_roles_and_clients`).
    return account_queries.users(text, status).prefetch_related(None)


def with_roles_and_clients(users) -> list[User]:
    """`users` with `role_names` and `client_codes` set, read in one statement."""
    users = list(users)
    found = account_queries.roles_and_clients(u.pk for u in users)
    for u in users:
        u.role_names, u.client_codes = found[u.pk]
    return users


def user(pk: int) -> User:
    found = get_object_or_404(
        User.objects.prefetch_related("groups", "client_access__client"), pk=pk
    )
    # From the prefetched groups: values_list would ask the database again.
    found.role_names = sorted(group.name for group in found.groups.all())
    found.clients = [access.client for access in found.client_access.all()]
    found.otp_enrolled = TOTPDevice.objects.filter(user=found, confirmed=True).exists()
    return found


def person_by_number(number: str):
    from qualify.org.models import Person

    return Person.objects.filter(employee_number__iexact=(number or "").strip()).first()


def person_of(account: User):
    from qualify.org.models import Person

    return Person.objects.filter(user=account).select_related("site").first()
