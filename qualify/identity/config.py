"""The OpenID Connect provider's configuration, read from settings (QUALIFY_OIDC_*,
docs/identity.md) when asked, so a test or a reload sees the current values."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from qualify.accounts.roles import ROLES

OIDC = "oidc"


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    name: str
    scopes: str
    username_claim: str
    name_claim: str
    groups_claim: str
    role_map: tuple[tuple[str, str], ...]
    role_prefix: str
    allowed_domains: tuple[str, ...]
    create_users: bool
    auth_time_skew: int

    @property
    def key(self) -> str:
        """The provider's name in links and audit records."""
        return OIDC

    @property
    def maps_roles(self) -> bool:
        return bool(self.role_map or self.role_prefix)


def oidc_config() -> OidcConfig | None:
    """The configuration, or None when OpenID Connect sign-in is off."""
    issuer = settings.QUALIFY_OIDC_ISSUER.strip()
    if not issuer:
        return None
    if not settings.QUALIFY_OIDC_CLIENT_ID:
        raise ImproperlyConfigured("QUALIFY_OIDC_ISSUER is set but QUALIFY_OIDC_CLIENT_ID is not")
    pairs = _role_pairs()
    return OidcConfig(
        issuer=issuer,
        client_id=settings.QUALIFY_OIDC_CLIENT_ID,
        client_secret=settings.QUALIFY_OIDC_CLIENT_SECRET,
        name=settings.QUALIFY_OIDC_NAME,
        scopes=settings.QUALIFY_OIDC_SCOPES,
        username_claim=settings.QUALIFY_OIDC_USERNAME_CLAIM,
        name_claim=settings.QUALIFY_OIDC_NAME_CLAIM,
        groups_claim=settings.QUALIFY_OIDC_GROUPS_CLAIM,
        role_map=pairs,
        role_prefix=settings.QUALIFY_OIDC_ROLE_PREFIX,
        allowed_domains=tuple(d.lower().lstrip("@") for d in settings.QUALIFY_OIDC_ALLOWED_DOMAINS),
        create_users=settings.QUALIFY_OIDC_CREATE_USERS,
        auth_time_skew=settings.QUALIFY_OIDC_AUTH_TIME_SKEW_SECONDS,
    )


def _role_pairs() -> tuple[tuple[str, str], ...]:
    """QUALIFY_OIDC_ROLE_MAP as (group, role) pairs; an unknown role is an error."""
    pairs = []
    for item in settings.QUALIFY_OIDC_ROLE_MAP:
        group, sep, role = item.rpartition("=")
        if not sep or not group.strip():
            raise ImproperlyConfigured(f"QUALIFY_OIDC_ROLE_MAP: {item!r} is not 'group=role'")
        if role.strip() not in ROLES:
            raise ImproperlyConfigured(
                f"QUALIFY_OIDC_ROLE_MAP: {role.strip()!r} is not a role "
                f"({', '.join(sorted(ROLES))})"
            )
        pairs.append((group.strip(), role.strip()))
    return tuple(pairs)
