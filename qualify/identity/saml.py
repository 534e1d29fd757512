"""SAML 2.0 service provider (issue 16), on pysaml2: SP-initiated sign-in with the
HTTP-Redirect binding, the response by HTTP-POST to the assertion consumer service,
assertions required to be signed (checked against the certificate in the provider's
metadata), audience, validity window and InResponseTo checked by pysaml2 (unsolicited
responses refused, each request answered once), and `ForceAuthn="true"` for the
re-authentication at signing with the AuthnInstant checked by Qualify.

Why pysaml2 directly and not djangosaml2's views: the re-authentication needs the
request id and ForceAuthn per request and the AuthnInstant of the answer, and the
account must come from `services.sign_in` (linking by subject, roles under U3), not
from djangosaml2's user backend.
"""

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.saml import NAMEID_FORMAT_PERSISTENT
from saml2.time_util import str_to_time

from qualify.identity import provider_settings
from qualify.identity.config import _role_pairs, allowed_domains

if TYPE_CHECKING:
    from saml2.client import Saml2Client
    from saml2.config import SPConfig

SAML = "saml"


@dataclass(frozen=True)
class SamlConfig:
    """The same shape as OidcConfig where `services.sign_in` reads it."""

    metadata_file: str
    entity_id: str
    name: str
    username_claim: str
    name_claim: str
    groups_claim: str
    email_attribute: str
    role_map: tuple
    role_prefix: str
    allowed_domains: tuple
    create_users: bool
    auth_time_skew: int

    @property
    def key(self) -> str:
        return SAML

    @property
    def maps_roles(self) -> bool:
        return bool(self.role_map or self.role_prefix)


class SamlRefused(Exception):
    """The provider's answer was refused; the reason in words."""


def saml_config() -> SamlConfig | None:
    """The configuration in force (environment, else the administrator's page, else
    the default: provider_settings), or None when SAML sign-in is off."""
    v = provider_settings.values()
    if not v["QUALIFY_SAML_IDP_METADATA_FILE"]:
        return None
    return SamlConfig(
        metadata_file=v["QUALIFY_SAML_IDP_METADATA_FILE"],
        entity_id=v["QUALIFY_SAML_SP_ENTITY_ID"],
        name=v["QUALIFY_SAML_NAME"],
        username_claim=v["QUALIFY_SAML_USERNAME_ATTRIBUTE"],
        name_claim=v["QUALIFY_SAML_NAME_ATTRIBUTE"],
        groups_claim=v["QUALIFY_SAML_GROUPS_ATTRIBUTE"],
        email_attribute=v["QUALIFY_SAML_EMAIL_ATTRIBUTE"],
        role_map=_role_pairs(v["QUALIFY_OIDC_ROLE_MAP"]),
        role_prefix=v["QUALIFY_OIDC_ROLE_PREFIX"],
        allowed_domains=allowed_domains(v["QUALIFY_OIDC_ALLOWED_DOMAINS"]),
        create_users=bool(v["QUALIFY_OIDC_CREATE_USERS"]),
        auth_time_skew=settings.QUALIFY_OIDC_AUTH_TIME_SKEW_SECONDS,
    )


def _sp_config(config: SamlConfig, request: Any) -> "SPConfig":
    # pysaml2's config, client and metadata load its XML schemas on import (0.65 s of
    # CPU at each process's start): imported on use, not with this module, which the
    # URL conf, and so every process, loads.
    from saml2.config import SPConfig

    acs = request.build_absolute_uri(reverse("identity:saml_acs"))
    slo = request.build_absolute_uri(reverse("identity:saml_slo"))
    entity = config.entity_id or request.build_absolute_uri(reverse("identity:saml_metadata"))
    sp = SPConfig()
    sp.load(
        {
            "entityid": entity,
            "xmlsec_binary": settings.QUALIFY_SAML_XMLSEC_BINARY,
            "metadata": {"local": [config.metadata_file]},
            "allow_unknown_attributes": True,
            "service": {
                "sp": {
                    "name": "Qualify",
                    "endpoints": {
                        "assertion_consumer_service": [(acs, BINDING_HTTP_POST)],
                        "single_logout_service": [(slo, BINDING_HTTP_REDIRECT)],
                    },
                    "want_assertions_signed": True,
                    "want_response_signed": False,
                    "allow_unsolicited": False,
                    "authn_requests_signed": False,
                    "name_id_format": NAMEID_FORMAT_PERSISTENT,
                }
            },
        }
    )
    return sp


def sp_client(config: SamlConfig, request: Any) -> "Saml2Client":
    from saml2.client import Saml2Client  # on use: see _sp_config

    return Saml2Client(_sp_config(config, request))


def metadata_xml(config: SamlConfig, request: Any) -> str:
    from saml2.metadata import entity_descriptor

    return str(entity_descriptor(_sp_config(config, request)))


def authn_request(
    config: SamlConfig, request: Any, *, force: bool, relay_state: str = ""
) -> tuple[str, str]:
    """(request id, the provider's address to redirect to)."""
    client = sp_client(config, request)
    idps = list(client.metadata.identity_providers())
    if len(idps) != 1:
        raise SamlRefused("The SAML metadata must name exactly one identity provider.")
    extra = {"force_authn": "true"} if force else {}
    request_id, info = client.prepare_for_authenticate(
        entityid=idps[0], relay_state=relay_state, binding=BINDING_HTTP_REDIRECT, **extra
    )
    location = dict(info["headers"])["Location"]
    return request_id, location


@dataclass(frozen=True)
class SamlAnswer:
    in_response_to: str
    subject: str
    attributes: dict
    authn_instant: dt.datetime | None
    authn_context: str

    def claims(self, config: SamlConfig) -> dict:
        def first(name: str) -> str:
            values = self.attributes.get(name) or []
            return str(values[0]) if values else ""

        return {
            "sub": self.subject,
            config.username_claim: first(config.username_claim),
            config.name_claim: first(config.name_claim),
            "email": first(config.email_attribute),
            config.groups_claim: list(self.attributes.get(config.groups_claim) or []),
            "acr": self.authn_context,
        }


def parse_response(config: SamlConfig, request: Any, raw: str, outstanding: dict) -> SamlAnswer:
    """Validate the provider's SAMLResponse against the outstanding request ids."""
    if not raw:
        raise SamlRefused("The identity provider sent no SAML response.")
    client = sp_client(config, request)
    try:
        response = client.parse_authn_request_response(raw, BINDING_HTTP_POST, outstanding)
    except Exception as error:  # pysaml2 raises many kinds, each a refusal
        raise SamlRefused(_reason(error)) from None
    if response is None:
        raise SamlRefused("The SAML response could not be read.")
    if not response.assertion or not response.assertion.authn_statement:
        raise SamlRefused("The SAML response has no authentication statement.")
    name_id = response.name_id
    subject = (name_id.text or "").strip() if name_id is not None else ""
    if not subject:
        raise SamlRefused("The SAML assertion names no subject (NameID).")
    statement = response.assertion.authn_statement[0]
    instant = None
    if statement.authn_instant:
        try:
            seconds = calendar.timegm(str_to_time(statement.authn_instant))
        except (TypeError, ValueError):
            raise SamlRefused("The SAML assertion's AuthnInstant cannot be read.") from None
        instant = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    context = ""
    if statement.authn_context and statement.authn_context.authn_context_class_ref:
        context = statement.authn_context.authn_context_class_ref.text or ""
    return SamlAnswer(
        in_response_to=response.in_response_to or "",
        subject=subject,
        attributes=response.ava or {},
        authn_instant=instant,
        authn_context=context,
    )


def _reason(error: Exception) -> str:
    name = type(error).__name__
    text = str(error)
    if name == "UnsolicitedResponse" or "Unsolicited" in text:
        return "The SAML response answers no pending request (replayed or unsolicited)."
    if "audience" in text.lower() or name == "AudienceRestriction":
        return "The SAML assertion is for another audience, not for Qualify."
    if name in ("ResponseLifetimeExceed", "ToEarly") or "lifetime" in text.lower():
        return "The SAML assertion has expired or is not yet valid."
    if name in ("SignatureError", "MissingSignature") or "signature" in text.lower():
        return "The SAML assertion is not signed by the identity provider."
    return f"The SAML response was refused: {name}: {text}"
