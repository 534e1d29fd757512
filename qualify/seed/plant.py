"""Deterministic demo and scale data, loaded through the real services."""

from django.db import transaction
from django.utils import timezone

from qualify.accounts.models import User
from qualify.accounts.services import user_create
from qualify.seed.logins import DEMO_PASSWORD, DEMO_USERS


@transaction.atomic
def load(*, scale: str, seed: int) -> list[str]:
    users = _demo_users()
    return [f"{len(users)} demo users"]


def _demo_users() -> list[User]:
    users = []
    for username, name, role_names, _what in DEMO_USERS:
        user = user_create(
            actor=None,
            username=username,
            printed_name=name,
            email=f"{username}@demo.qualify.local",
            password=DEMO_PASSWORD,
            roles=role_names,
        )
        users.append(user)
    now = timezone.now()
    User.objects.filter(pk__in=[u.pk for u in users]).update(
        identity_verified_at=now, esig_acknowledged_at=now
    )
    return users
