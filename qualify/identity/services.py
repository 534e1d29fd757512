"""Sign-in through an identity provider (issue 16): just-in-time linking by the
provider's stable subject, account creation only by policy, group claims mapped to
roles through the account services (so U3's least-privilege rules and the audit of
every role change hold exactly as for an administrator's change).

Hazards:
- An account is linked by the provider's subject, never by e-mail alone. The first
  sign-in of a subject links it to the account whose user id equals the configured
  user-id claim, unless that claim is an e-mail address; after that the subject alone
  decides, and a second subject claiming a linked account is refused.
- Changes made on the provider's word (account created, roles) are audited with the
  provider's provisioning account as actor: a service account holding the
  administrator role, so `user_set_roles` applies every U3 check (an administrator
  is never given GxP roles by a group unless QA signed an exception).
- Every refusal is audited (A5) and logged with its reason, and the person reads the
  same reason.
"""

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from qualify.accounts.models import User
from qualify.accounts.roles import ADMINISTRATOR, ROLES
from qualify.accounts.services import user_create, user_set_roles
from qualify.audit import services as audit
from qualify.identity.models import ExternalIdentity

log = logging.getLogger("qualify.identity")


class SignInRefused(Exception):
    """A sign-in through the provider refused, with the reason in words."""


def provisioning_account(provider: str, label: str) -> User:
    """The service account that acts for a provider (sign-in changes, SCIM). Created
    on first use; it holds the administrator role, never signs and never signs in."""
    username = f"idp-{provider}"
    user = User.objects.filter(username__iexact=username).first()
    if user is not None:
        return user
    try:
        with transaction.atomic():
            user = user_create(
                actor=None,
                username=username,
                printed_name=f"Identity provider: {label}",
                roles=[ADMINISTRATOR],
                is_service_account=True,
            )
            audit.record(
                "identity.provisioning_account.created",
                user,
                actor=None,
                detail={"provider": provider},
            )
            return user
    except ValidationError:  # created meanwhile by a concurrent request
        return User.objects.get(username__iexact=username)


def refuse(provider: str, why: str, **detail: Any) -> SignInRefused:
    """Audit and log a refused sign-in; return the exception to raise."""
    log.warning("identity provider sign-in refused (%s): %s %s", provider, why, detail)
    audit.record_refusal(
        "identity.login.refused",
        actor=None,
        why=why,
        object_type="identity.provider",
        object_id=provider,
        detail={k: v for k, v in detail.items() if v is not None},
    )
    return SignInRefused(why)


def roles_from_groups(config: Any, groups: Any) -> list[str] | None:
    """The roles the group claim gives, or None when roles are not mapped. A group
    with the role prefix that names no role is an error (refused at sign-in)."""
    if not config.maps_roles:
        return None
    if groups is None:
        groups = []
    if isinstance(groups, str):
        groups = [groups]
    names = [str(g) for g in groups]
    roles = {role for group, role in config.role_map if group in names}
    if config.role_prefix:
        unknown = []
        for name in names:
            if name.startswith(config.role_prefix):
                role = name[len(config.role_prefix) :]
                if role in ROLES:
                    roles.add(role)
                else:
                    unknown.append(name)
        if unknown:
            raise ValueError(
                f"The group claim names roles that do not exist: {', '.join(sorted(unknown))} "
                f"(roles: {', '.join(sorted(ROLES))})."
            )
    return sorted(roles)


def _domain_of(value: str) -> str:
    return value.rpartition("@")[2].lower() if "@" in value else ""


def sign_in(*, config: Any, claims: dict[str, Any]) -> User:
    """The account for a validated ID token's claims: linked, created (by policy) and
    its roles set from the groups (when mapped). Raises SignInRefused, audited."""
    provider = config.key
    subject = str(claims.get("sub") or "").strip()
    if not subject:
        raise refuse(provider, "The identity provider sent no subject (sub) claim.")
    username = str(claims.get(config.username_claim) or "").strip()
    email = str(claims.get("email") or "").strip()
    if config.allowed_domains:
        domain = _domain_of(email) or _domain_of(username)
        if domain not in config.allowed_domains:
            raise refuse(
                provider,
                f"The domain {domain or '(none)'} is not allowed to sign in here.",
                subject=subject,
            )
    try:
        roles = roles_from_groups(config, claims.get(config.groups_claim))
    except ValueError as error:
        raise refuse(provider, str(error), subject=subject) from None
    link = (
        ExternalIdentity.objects.select_related("user")
        .filter(provider=provider, subject=subject)
        .first()
    )
    if link is not None:
        user = link.user
    else:
        user = _link_or_create(
            config, subject=subject, username=username, email=email, claims=claims
        )
    user.refresh_from_db()
    if not user.is_active or user.is_locked or user.is_service_account:
        raise refuse(
            provider,
            "This account is deactivated or locked in Qualify.",
            subject=subject,
            user=user.username,
        )
    if roles is not None:
        current = sorted(user.groups.values_list("name", flat=True))
        if current != roles:
            actor = provisioning_account(provider, config.name)
            groups = ", ".join(sorted(map(str, claims.get(config.groups_claim) or [])))
            try:
                user_set_roles(
                    actor=actor,
                    user=user,
                    roles=roles,
                    reason=f"Group claim from {config.name} at sign-in: {groups or 'none'}",
                )
            except ValidationError as error:
                why = "; ".join(error.messages)
                raise refuse(provider, why, subject=subject, user=user.username) from None
    with transaction.atomic():
        ExternalIdentity.objects.filter(provider=provider, subject=subject).update(
            last_login_at=timezone.now()
        )
        audit.record(
            "identity.login.succeeded",
            user,
            actor=user,
            detail={
                "provider": provider,
                "subject": subject,
                "acr": str(claims.get("acr") or ""),
                "amr": list(claims.get("amr") or []),
            },
        )
    return user


def _link_or_create(config: Any, *, subject: str, username: str, email: str, claims: dict) -> User:
    provider = config.key
    if not username:
        raise refuse(
            provider,
            f"The identity provider sent no user id ({config.username_claim} claim).",
            subject=subject,
        )
    existing = User.objects.filter(username__iexact=username).first()
    if existing is not None:
        if config.username_claim == "email" or ("@" in username and username == email):
            # Never by e-mail alone: an e-mail address can be reassigned or spoofed.
            raise refuse(
                provider,
                "This sign-in is not linked to an account yet, and accounts are never linked "
                "by e-mail address alone; an administrator or SCIM provisioning links it.",
                subject=subject,
            )
        if ExternalIdentity.objects.filter(provider=provider, user=existing).exists():
            raise refuse(
                provider,
                f"The account {existing.username} is linked to another subject at this provider.",
                subject=subject,
            )
        return link(provider=provider, subject=subject, user=existing, how="user id claim")
    if not config.create_users:
        raise refuse(
            provider,
            "There is no Qualify account for you, and new accounts are made only by an "
            "administrator or by provisioning (QUALIFY_OIDC_CREATE_USERS is off).",
            subject=subject,
            username=username,
        )
    actor = provisioning_account(provider, config.name)
    printed = str(claims.get(config.name_claim) or "").strip() or username
    with transaction.atomic():
        user = user_create(actor=actor, username=username, printed_name=printed, email=email)
        return link(provider=provider, subject=subject, user=user, how="created at sign-in")


def link(*, provider: str, subject: str, user: User, how: str, actor: User | None = None) -> User:
    """Link an account to a provider subject (audited)."""
    try:
        with transaction.atomic():
            ExternalIdentity.objects.create(
                provider=provider, subject=subject, user=user, linked_at=timezone.now()
            )
            audit.record(
                "identity.linked",
                user,
                actor=actor or user,
                detail={"provider": provider, "subject": subject, "how": how},
            )
    except IntegrityError:
        raise refuse(
            provider, "This subject or account is already linked.", subject=subject
        ) from None
    return user
