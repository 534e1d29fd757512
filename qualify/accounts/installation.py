"""The installation record written once by `qualify setup` (see
qualify.org.onboarding.installation_setup, which also creates the first site)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from qualify.accounts.models import Installation, User
from qualify.audit import keys
from qualify.audit import services as audit

ALREADY = (
    "This installation is already set up{detail}: `qualify setup` runs once, on an empty "
    "database. Sign in as an administrator to create more accounts and sites."
)


def installation() -> Installation | None:
    return Installation.objects.select_related("set_up_by").first()


def is_empty() -> bool:
    """No account at all: the login page tells what to do next."""
    return not User.objects.exists()


def refuse_if_set_up() -> None:
    found = installation()
    if found is not None:
        raise ValidationError(
            ALREADY.format(detail=f" as {found.name!r} on {found.set_up_at:%Y-%m-%d}")
        )
    if not is_empty():
        raise ValidationError(ALREADY.format(detail=" (it has user accounts)"))


def check_origin(origin: str) -> str:
    """The checkpoint origin recorded is the one checkpoints are signed with (the
    audit key's name: QUALIFY_CHECKPOINT_ORIGIN, or the one made with the key), or
    verification would refuse every checkpoint. An origin asked for must be that."""
    origin = (origin or "").strip()
    actual = keys.key_name()
    if origin and origin != actual:
        raise ValidationError(
            {
                "checkpoint_origin": f"Checkpoints are signed with the origin {actual!r}. To "
                f"use {origin!r}, set QUALIFY_CHECKPOINT_ORIGIN={origin} in the environment of "
                "every Qualify process, then run setup again."
            }
        )
    return actual


@transaction.atomic
def installation_record(*, administrator: User, name: str, checkpoint_origin: str) -> Installation:
    """Record the installation (one row, id 1, so a concurrent second setup fails)."""
    refuse_if_set_up_records_only()
    name = (name or "").strip()
    if not name:
        raise ValidationError({"installation_name": "Give the installation a name."})
    record = Installation(
        pk=1,
        name=name[:200],
        checkpoint_origin=check_origin(checkpoint_origin),
        set_up_at=timezone.now(),
        set_up_by=administrator,
    )
    try:
        with transaction.atomic():
            record.save(force_insert=True)
    except IntegrityError:
        raise ValidationError(ALREADY.format(detail="")) from None
    audit.record("installation.set_up", record, actor=administrator)
    return record


def refuse_if_set_up_records_only() -> None:
    if Installation.objects.exists():
        raise ValidationError(ALREADY.format(detail=""))
