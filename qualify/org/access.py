"""The QA-signed exception to the segregation of administration (U3).

An account may hold the administrator role beside roles that create, approve or sign
GxP records only once a QA approver has signed an exception, with a reason, naming
those roles. The exception record and the rule live in `accounts`; signing it needs
`signatures`, which sits above `accounts`, so the signed write is composed here, in
the lowest layer that may use both.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from qualify.accounts import services as accounts
from qualify.accounts.models import RoleException
from qualify.accounts.roles import QA_APPROVER
from qualify.signatures.services import Credentials, authenticate_signer, sign


def role_exception_grant(
    *,
    actor: Any,
    user: Any,
    roles: list[str],
    reason: str,
    qa_actor: Any,
    qa_credentials: Credentials,
) -> RoleException:
    """An administrator (not the account's holder) asks; a QA approver signs the
    exception "approved" with their own credentials, checked before the transaction
    so a refused signature is still audited and counted (S1)."""
    errors: dict[str, str] = {}
    if not (reason or "").strip():
        errors["reason"] = "An exception needs a reason."
    if qa_actor is None:
        errors["qa_username"] = "No active user has this user id."
    elif not qa_actor.groups.filter(name=QA_APPROVER).exists():
        errors["qa_username"] = "Only a QA approver signs an exception to the segregation."
    elif qa_actor.pk in (actor.pk, user.pk):
        errors["qa_username"] = "The QA approver is neither the requester nor the account's holder."
    if errors:
        raise ValidationError(errors)
    proof = authenticate_signer(actor=qa_actor, credentials=qa_credentials, meaning="approved")
    with transaction.atomic():
        exception = accounts.role_exception_create(
            actor=actor, user=user, roles=roles, reason=reason, approved_by=qa_actor
        )
        sign(proof=proof, obj=exception, meaning="approved", comment=exception.reason)
    return exception
