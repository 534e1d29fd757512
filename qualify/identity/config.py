"""The OpenID Connect provider's configuration, read when asked (so a test, a reload
or a change on the administrator's page is seen at once) from the QUALIFY_OIDC_*
settings in force: the environment, else the administrator's page, else the default
(`provider_settings.values`, docs/identity.md)."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from qualify.identity import provider_settings

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
    v = provider_settings.values()
    issuer = str(v["QUALIFY_OIDC_ISSUER"] or "").strip()
    if not issuer:
        return None
    if not v["QUALIFY_OIDC_CLIENT_ID"]:
        raise ImproperlyConfigured("QUALIFY_OIDC_ISSUER is set but QUALIFY_OIDC_CLIENT_ID is not")
    return OidcConfig(
        issuer=issuer,
        client_id=v["QUALIFY_OIDC_CLIENT_ID"],
        client_secret=v[provider_settings.SECRET],
        name=v["QUALIFY_OIDC_NAME"],
        scopes=v["QUALIFY_OIDC_SCOPES"],
        username_claim=v["QUALIFY_OIDC_USERNAME_CLAIM"],
        name_claim=v["QUALIFY_OIDC_NAME_CLAIM"],
        groups_claim=v["QUALIFY_OIDC_GROUPS_CLAIM"],
        role_map=_role_pairs(v["QUALIFY_OIDC_ROLE_MAP"]),
        role_prefix=v["QUALIFY_OIDC_ROLE_PREFIX"],
        allowed_domains=allowed_domains(v["QUALIFY_OIDC_ALLOWED_DOMAINS"]),
        create_users=bool(v["QUALIFY_OIDC_CREATE_USERS"]),
        auth_time_skew=settings.QUALIFY_OIDC_AUTH_TIME_SKEW_SECONDS,
    )


def allowed_domains(items) -> tuple[str, ...]:
    return tuple(str(d).lower().lstrip("@") for d in items)


def _role_pairs(items=None) -> tuple[tuple[str, str], ...]:
    """QUALIFY_OIDC_ROLE_MAP as (group, role) pairs; an unknown role is an error."""
    if items is None:
        items = provider_settings.value("QUALIFY_OIDC_ROLE_MAP")
    try:
        return tuple(provider_settings.role_pairs(items))
    except ValueError as error:
        raise ImproperlyConfigured(str(error)) from None
