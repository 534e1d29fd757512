"""What every quality service shares: permission checks, refusals that list what
is open, and the engine's answers turned into plain, storable JSON."""

import dataclasses
import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import timezone

from qualify.audit import services as audit


class QualityRefused(ValidationError):
    """A refusal with the list of what stands in the way (E2: open items)."""

    def __init__(self, message: str, items: list[str] | None = None) -> None:
        self.items = list(items or [])
        full = (
            message
            if not self.items
            else message + " " + " ".join(f"({n}) {item}" for n, item in enumerate(self.items, 1))
        )
        super().__init__(full)


def refuse_closure(actor: Any, obj: models.Model, action: str, items: list[str]) -> None:
    """E2, A5: refuse closing `obj` while `items` are open, and audit the refusal (actor,
    what, why, the open items) in a transaction of its own so that it survives."""
    message = f"{getattr(obj, 'number', obj)} cannot close: {len(items)} item(s) open."
    audit.record_refusal(action, actor=actor, obj=obj, why=message, detail={"open_items": items})
    raise QualityRefused(message, items)


def require(actor: Any, permission: str, doing: str) -> None:
    if actor is None or not actor.is_authenticated or not actor.has_perm(permission):
        raise PermissionDenied(f"You are not permitted to {doing}.")


def now() -> dt.datetime:
    return timezone.now()


def refuse_future(value: dt.datetime | None, what: str) -> None:
    """T1: an attested time is never in the future."""
    if value is None:
        return
    if timezone.is_naive(value):
        raise ValidationError({what: "The time must carry its time zone."})
    if value > timezone.now():
        raise ValidationError(
            {what: f"{value:%Y-%m-%d %H:%M %Z} is in the future; it cannot have happened yet."}
        )


def plain(value: Any) -> Any:
    """A JSON-storable copy of an engine answer: model instances become references."""
    if isinstance(value, models.Model):
        return {"type": value._meta.label_lower, "id": value.pk, "label": str(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date | dt.timedelta | Decimal):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    for name in ("as_dict", "to_dict"):
        if hasattr(value, name):
            return plain(getattr(value, name)())
    if hasattr(value, "__dict__"):
        return {k: plain(v) for k, v in vars(value).items() if not k.startswith("_")}
    return str(value)


def is_qualified(answer: Any) -> bool:
    return bool(getattr(answer, "qualified", False))


def reasons_of(answer: Any) -> list[str]:
    """The engine's reasons (or evidence) as sentences."""
    reasons = getattr(answer, "reasons", None) or []
    if isinstance(reasons, str):
        return [reasons]
    return [str(getattr(r, "label", r)) for r in reasons]


def no_training_defined(answer: Any) -> bool:
    if getattr(answer, "no_training_defined", False):
        return True
    status = getattr(answer, "status", None)
    return str(getattr(status, "value", status)) == "no_training_defined"
