"""SAML single logout (issue 16; P114), HTTP-Redirect binding, on pysaml2.

Qualify's logout of a SAML session sends a LogoutRequest for the session's subject
to the provider's single logout service, and checks the LogoutResponse that comes
back: it must answer that request (InResponseTo) and come from the provider. A
LogoutRequest the provider starts (the person signed out elsewhere) must be signed
by the certificate in the provider's metadata; it ends this browser's Qualify
session when that session belongs to the named subject, and is answered with a
LogoutResponse. Each refusal is audited (`identity.logout.refused`) and logged.
"""

import logging
from dataclasses import dataclass
from typing import Any

from saml2 import BINDING_HTTP_REDIRECT
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID
from saml2.samlp import STATUS_SUCCESS
from saml2.time_util import in_a_while

from qualify.audit import services as audit
from qualify.identity.saml import SamlConfig, SamlRefused, sp_client

log = logging.getLogger("qualify.identity")


def refuse(why: str, *, user: Any = None) -> SamlRefused:
    log.warning("SAML single logout refused: %s", why)
    known = user if getattr(user, "is_authenticated", False) else None
    audit.record_refusal(
        "identity.logout.refused",
        actor=known,
        why=why,
        object_type="accounts.user" if known else "identity.provider",
        object_id=known.pk if known else "saml",
        detail={"provider": "saml"},
    )
    return SamlRefused(why)


def _provider(client) -> tuple[str, str | None]:
    """The provider's entity id and its single logout address (Redirect), if any."""
    idps = list(client.metadata.identity_providers())
    if len(idps) != 1:
        raise SamlRefused("The SAML metadata must name exactly one identity provider.")
    services = client.metadata.single_logout_service(idps[0], BINDING_HTTP_REDIRECT, "idpsso")
    return idps[0], (services[0]["location"] if services else None)


def logout_request(config: SamlConfig, request: Any, subject: str) -> tuple[str, str] | None:
    """(request id, the provider's address to redirect to) for ending `subject`'s
    session at the provider; None when the provider has no single logout service."""
    client = sp_client(config, request)
    idp, destination = _provider(client)
    if destination is None:
        return None
    request_id, message = client.create_logout_request(
        destination,
        idp,
        name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=subject),
        reason="urn:oasis:names:tc:SAML:2.0:logout:user",
        expire=in_a_while(minutes=5),
    )
    info = client.apply_binding(BINDING_HTTP_REDIRECT, str(message), destination, "")
    return request_id, dict(info["headers"])["Location"]


def check_logout_response(config: SamlConfig, request: Any, raw: str, outstanding: str) -> None:
    """The provider's LogoutResponse: it answers our outstanding request, from the
    provider, with success; SamlRefused with the reason otherwise."""
    client = sp_client(config, request)
    idp, _ = _provider(client)
    try:
        answer = client.parse_logout_request_response(raw, BINDING_HTTP_REDIRECT)
    except Exception as error:  # pysaml2 raises many kinds, each a refusal
        raise SamlRefused(f"The provider's LogoutResponse cannot be read: {error}") from None
    if answer is None:
        raise SamlRefused("The provider's LogoutResponse cannot be read.")
    message = answer.response
    if not outstanding or message.in_response_to != outstanding:
        raise SamlRefused("The LogoutResponse answers no logout of this browser (replayed).")
    if message.issuer is None or message.issuer.text != idp:
        raise SamlRefused("The LogoutResponse does not come from the identity provider.")
    if message.status.status_code.value != STATUS_SUCCESS:
        raise SamlRefused("The identity provider could not end its session.")


@dataclass(frozen=True)
class ProviderLogout:
    subject: str
    answer_location: str  # the LogoutResponse to send the browser back with


def provider_logout(config: SamlConfig, request: Any, query: Any) -> ProviderLogout:
    """A LogoutRequest the provider started: signed (Redirect binding signature,
    checked against the metadata's certificate), from the provider, not expired.
    Returns the subject and the LogoutResponse to answer it with."""
    client = sp_client(config, request)
    idp, destination = _provider(client)
    raw = query.get("SAMLRequest", "")
    # pysaml2 checks a Redirect-binding signature through the SP's own key backend;
    # Qualify signs nothing, so it has none: the check itself needs only the
    # provider's certificate from the metadata.
    from saml2 import request as saml_request  # on use: see saml._sp_config
    from saml2.sigver import RSACrypto

    client.sec.sec_backend = client.sec.sec_backend or RSACrypto(None)
    receivers = client.config.endpoint("single_logout_service", BINDING_HTTP_REDIRECT, "sp")
    parsed = saml_request.LogoutRequest(client.sec, receivers, client.config.attribute_converters)
    try:
        xml = client.unravel(raw, BINDING_HTTP_REDIRECT, saml_request.LogoutRequest.msgtype)
        parsed = parsed.loads(
            xml,
            BINDING_HTTP_REDIRECT,
            origdoc=raw,
            must=True,
            relay_state=query.get("RelayState"),
            sigalg=query.get("SigAlg"),
            signature=query.get("Signature"),
        )
        if parsed and not parsed.verify():  # version, destination, issue instant
            parsed = None
    except Exception as error:  # pysaml2 raises many kinds, each a refusal
        raise SamlRefused(_why(error)) from None
    if parsed is None:
        raise SamlRefused("The provider's LogoutRequest is not valid (expired or misaddressed).")
    message = parsed.message
    if message.issuer is None or message.issuer.text != idp:
        raise SamlRefused("The LogoutRequest does not come from the identity provider.")
    if message.name_id is None or not (message.name_id.text or "").strip():
        raise SamlRefused("The LogoutRequest names no subject (NameID).")
    if destination is None:
        raise SamlRefused("The identity provider's metadata has no single logout service.")
    response = client.create_logout_response(message, [BINDING_HTTP_REDIRECT])
    info = client.apply_binding(
        BINDING_HTTP_REDIRECT,
        str(response),
        destination,
        query.get("RelayState", ""),
        response=True,
    )
    return ProviderLogout(
        subject=message.name_id.text.strip(), answer_location=dict(info["headers"])["Location"]
    )


def _why(error: Exception) -> str:
    if type(error).__name__ == "IncorrectlySigned":
        return "The provider's LogoutRequest is not signed by the identity provider."
    return f"The provider's LogoutRequest was refused: {type(error).__name__}: {error}"
