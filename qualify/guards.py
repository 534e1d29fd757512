"""The checks every service makes before it writes: permission, reason, aware time.

Kept outside the layers (like qualify.hooks) so every app's services share one
wording for the same refusal.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone


def require_perm(actor: Any, *permissions: str, message: str) -> None:
    """Refuse unless the actor holds every permission (U2)."""
    if actor is None or not all(actor.has_perm(p) for p in permissions):
        raise PermissionDenied(message)


def require_reason(reason: str | None) -> str:
    """A change to an existing record needs a reason (A1)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "A reason is required to change an existing record."})
    return reason


def require_aware(value: Any, field: str) -> dt.datetime:
    """Refuse anything but a timezone-aware datetime (T1)."""
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        raise ValidationError(
            {field: "A date and time with its time zone is required; this one has none."}
        )
    return value


class AlreadyDone(ValidationError):
    """A second submission of an action that is already done (P21): a double click,
    a second tab, a retried request. Nothing new was written; `existing` is what the
    first submission wrote, so pages can say so and the API can answer 409 with it."""

    def __init__(self, message: str, *, existing: Any = None):
        super().__init__(message, code="already_done")
        self.existing = existing
