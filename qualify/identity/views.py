"""Pages of single sign-on: start, the provider's callbacks, logout. Thin: each calls
one function of `oidc`, `services` or `reauth` and redirects."""

import logging
import secrets

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qualify.accounts.models import User
from qualify.audit import services as audit
from qualify.identity import oidc, reauth, saml, saml_logout, services, signing
from qualify.identity.config import oidc_config
from qualify.identity.models import SamlInbox
from qualify.signatures.meanings import get_meaning

log = logging.getLogger("qualify.identity")

BACKEND = "qualify.accounts.backends.LockoutAwareBackend"
SESSION_SSO = signing.SESSION_SSO


def _config():
    config = oidc_config()
    if config is None:
        raise Http404("Single sign-on is not configured.")
    return config


def _safe_next(request, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return "/"


@require_GET
def oidc_login(request):
    config = _config()
    request.session["qualify_sso_next"] = _safe_next(request, request.GET.get("next", ""))
    try:
        return oidc.authorize_redirect(
            config, request, request.build_absolute_uri(reverse("identity:oidc_callback"))
        )
    except oidc.TokenRefused as error:
        services.refuse(config.key, str(error))
        messages.error(request, str(error))
        return redirect("login")


@require_GET
def oidc_callback(request):
    config = _config()
    try:
        claims = oidc.claims_of_callback(config, request)
        user = services.sign_in(config=config, claims=claims)
    except oidc.TokenRefused as error:
        services.refuse(config.key, str(error))
        messages.error(request, f"Sign-in refused. {error}")
        return redirect("login")
    except services.SignInRefused as error:
        messages.error(request, f"Sign-in refused. {error}")
        return redirect("login")
    following = request.session.pop("qualify_sso_next", "/")
    # A new session: a login is never a signature (S1), the first signing asks again.
    auth_login(request, user, backend=BACKEND)
    request.session[SESSION_SSO] = {
        "provider": config.key,
        "sub": str(claims.get("sub")),
        "id_token": getattr(request, "qualify_id_token", ""),
    }
    return HttpResponseRedirect(_safe_next(request, following))


@require_GET
def reauth_callback(request):
    """The provider's answer to a forced re-authentication for one signature."""
    config = _config()
    signer = request.user
    cosigners = request.session.get(COSIGNERS, {})
    cosigner = cosigners.pop(request.GET.get("state", ""), None)
    # Only the kiosk (nobody signed in) comes back without a session user, for the
    # attendee whose request its own browser started.
    if not request.user.is_authenticated and cosigner is None:
        return redirect("login")
    if cosigner is not None:
        request.session[COSIGNERS] = cosigners
        signer = User.objects.filter(pk=cosigner).first() or request.user
    try:
        done = reauth.complete_reauth(user=signer, config=config, http_request=request)
    except reauth.ReauthImpossible as error:
        messages.error(request, f"Signature not possible. {error}")
        pending = request.session.get("qualify_reauth_return") or "/"
        return HttpResponseRedirect(_safe_next(request, pending))
    whom = "you" if signer.pk == request.user.pk else signer.username
    messages.success(
        request, f"{config.name} re-authenticated {whom}. Confirm the signature to apply it."
    )
    return HttpResponseRedirect(_with_ticket(_safe_next(request, done.return_url), done.ticket))


COSIGNERS = "qualify_reauth_cosigners"


def start_reauth(request, *, meaning: str, obj, return_url: str, signer=None):
    """For a signing page: record the request for this one pending signature and send
    the browser to the provider with forced re-authentication. Returns the redirect,
    or raises reauth.ReauthImpossible (audited) with the reason.

    `signer`: another person signing on this screen. The request is theirs, so the
    provider's answer must name their linked subject (they sign in there as
    themselves); the session remembers whose request this state is for."""
    cosigner = signer is not None and signer.pk != request.user.pk
    who = signer if cosigner else request.user
    # A co-signer re-authenticates where their own account is linked, whatever
    # provider the screen's owner signed in through.
    config = signing.provider_config(None if cosigner else request.session, who)
    if isinstance(config, saml.SamlConfig):
        return _start_saml_reauth(
            request, meaning=meaning, obj=obj, return_url=return_url, signer=who
        )
    pending = reauth.request_reauth(
        user=who,
        config=config,
        meaning=meaning,
        obj=obj,
        return_url=return_url,
    )
    if cosigner:
        _remember_cosigner(request, pending.state, signer)
    request.session["qualify_reauth_return"] = return_url
    try:
        return oidc.authorize_redirect(
            config,
            request,
            request.build_absolute_uri(reverse("identity:reauth_callback")),
            state=pending.state,
            nonce=pending.nonce,
            prompt="login",
            max_age="0",  # a string: a bare 0 would be left out of the URL
        )
    except oidc.TokenRefused as error:
        raise reauth._refused(pending, request.user, str(error)) from None


def _remember_cosigner(request, state: str, signer) -> None:
    """Whose request this `state` (OIDC) or request id (SAML) is: the answer must
    name that person, not the one whose session this is."""
    request.session[COSIGNERS] = {**request.session.get(COSIGNERS, {}), state: signer.pk}


def _cosigner_of(request, state: str):
    """The co-signer whose request `state` is, forgotten once answered; or None."""
    cosigners = dict(request.session.get(COSIGNERS, {}))
    pk = cosigners.pop(state, None)
    if pk is None:
        return None
    request.session[COSIGNERS] = cosigners
    return User.objects.filter(pk=pk).first()


def signs_through_provider(request) -> bool:
    """Does this person's signing dialog re-authenticate at the provider?
    (`signing.signs_through_provider`, for a request.)"""
    return signing.signs_through_provider(request.user, request.session)


def provider_name(request) -> str:
    """The name of the provider this person signs through, for the signing dialog."""
    return signing.provider_name(request.session)


@require_http_methods(["GET", "POST"])
def sign_reauth(request):
    """Any signing dialog's "Re-authenticate to sign" button: start the forced
    re-authentication for the pending signature its signed offer names. GET: the
    page an API client sends its signer to (P110): what is signed, and the button."""
    if request.method == "GET":
        return _offer_page(request)
    try:
        pending = signing.read_offer(user=request.user, token=request.POST.get("reauth_for", ""))
    except reauth.ReauthImpossible as error:
        messages.error(request, f"Signature not possible. {error}")
        return HttpResponseRedirect(_safe_next(request, request.headers.get("Referer", "")))
    back = _safe_next(request, pending.return_url)
    try:
        return start_reauth(
            request,
            meaning=pending.meaning,
            obj=pending.subject,
            return_url=back,
            signer=pending.signer,
        )
    except reauth.ReauthImpossible as error:
        messages.error(request, f"Signature not possible. {error}")
        return HttpResponseRedirect(back)


def _offer_page(request):
    token = request.GET.get("offer", "")
    pending = None
    if token:
        try:
            pending = signing.read_offer(user=request.user, token=token)
        except reauth.ReauthImpossible as error:
            messages.error(request, f"Signature not possible. {error}")
    return render(
        request,
        "identity/sign_reauth.html",
        {
            "token": token if pending else "",
            "pending": pending,
            "meaning": get_meaning(pending.meaning) if pending else None,
            "provider": signing.provider_name(request.session),
            "done": bool(request.GET.get("reauth")),
        },
    )


def _with_ticket(url: str, ticket: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}reauth={ticket}"


@require_POST
def logout(request):
    """End the Qualify session, and the provider's too: OIDC RP-initiated logout
    (with the ID token as hint) or a SAML LogoutRequest (single logout)."""
    sso = request.session.get(SESSION_SSO) or {}
    auth_logout(request)
    if sso.get("provider") == saml.SAML:
        return _saml_logout(request, sso)
    config = oidc_config()
    if config is not None and sso:
        url = oidc.logout_url(
            config, sso.get("id_token", ""), request.build_absolute_uri(reverse("login"))
        )
        if url:
            return HttpResponseRedirect(url)
    return redirect("login")


SAML_LOGOUT = "qualify_saml_logout"


def _saml_logout(request, sso: dict):
    config = saml.saml_config()
    if config is None or not sso.get("sub"):
        return redirect("login")
    try:
        started = saml_logout.logout_request(config, request, sso["sub"])
    except saml.SamlRefused as error:
        saml_logout.refuse(str(error))
        messages.error(request, f"Signed out of Qualify, not of the identity provider. {error}")
        return redirect("login")
    if started is None:
        return redirect("login")
    request_id, location = started
    # The new, signed-out session remembers the request its answer must name.
    request.session[SAML_LOGOUT] = request_id
    return HttpResponseRedirect(location)


@require_GET
def saml_slo(request):
    """The single logout service: the provider's LogoutResponse to our logout, or a
    LogoutRequest it started (the person signed out elsewhere)."""
    config = _saml_config()
    if "SAMLResponse" in request.GET:
        outstanding = request.session.pop(SAML_LOGOUT, "")
        try:
            saml_logout.check_logout_response(
                config, request, request.GET["SAMLResponse"], outstanding
            )
        except saml.SamlRefused as error:
            saml_logout.refuse(str(error), user=request.user)
            messages.error(request, f"Signed out of Qualify, not of the identity provider. {error}")
            return redirect("login")
        messages.success(request, f"Signed out of Qualify and of {config.name}.")
        return redirect("login")
    try:
        ended = saml_logout.provider_logout(config, request, request.GET)
    except saml.SamlRefused as error:
        saml_logout.refuse(str(error), user=request.user)
        return HttpResponse(f"Logout refused. {error}", status=400, content_type="text/plain")
    sso = request.session.get(SESSION_SSO) or {}
    if sso.get("provider") == saml.SAML and sso.get("sub") == ended.subject:
        user = request.user
        auth_logout(request)
        audit.record(
            "identity.logout.by_provider",
            object_type="accounts.user",
            object_id=user.pk,
            actor=user,
            detail={"provider": config.key, "subject": ended.subject},
        )
    return HttpResponseRedirect(ended.answer_location)


# --- SAML 2.0 ----------------------------------------------------------------------

SAML_OUTSTANDING = "qualify_saml_outstanding"


def _saml_config():
    config = saml.saml_config()
    if config is None:
        raise Http404("SAML sign-in is not configured.")
    return config


def _remember(request, request_id: str, purpose: str) -> None:
    outstanding = dict(request.session.get(SAML_OUTSTANDING) or {})
    outstanding[request_id] = purpose
    request.session[SAML_OUTSTANDING] = outstanding


@require_GET
def saml_metadata(request):
    """The service provider's metadata, for the provider (metadata exchange)."""
    config = _saml_config()
    return HttpResponse(
        saml.metadata_xml(config, request), content_type="application/samlmetadata+xml"
    )


@require_GET
def saml_login(request):
    config = _saml_config()
    following = _safe_next(request, request.GET.get("next", ""))
    try:
        request_id, location = saml.authn_request(config, request, force=False)
    except saml.SamlRefused as error:
        services.refuse(config.key, str(error))
        messages.error(request, str(error))
        return redirect("login")
    _remember(request, request_id, "login:" + following)
    return HttpResponseRedirect(location)


def _start_saml_reauth(request, *, meaning: str, obj, return_url: str, signer):
    """ForceAuthn for `signer`'s one pending signature; the request id is the
    `state` its answer (InResponseTo) must name."""
    config = saml.saml_config()
    if config is None:
        raise reauth._refused(None, signer, "SAML sign-in is not configured.")
    try:
        request_id, location = saml.authn_request(config, request, force=True)
    except saml.SamlRefused as error:
        raise reauth._refused(None, signer, str(error)) from None
    reauth.request_reauth(
        user=signer,
        config=config,
        meaning=meaning,
        obj=obj,
        return_url=return_url,
        state=request_id,
    )
    _remember(request, request_id, "reauth")
    if signer.pk != request.user.pk:
        _remember_cosigner(request, request_id, signer)
    request.session["qualify_reauth_return"] = return_url
    return HttpResponseRedirect(location)


def _reauth_signer_waiting(request, outstanding: dict):
    """Whose re-authentication an unreadable SAML answer refuses (for the audit
    record and the way back to the signing page): the signed-in person, or on the
    kiosk the attendee whose ForceAuthn this browser started; None when this browser
    waits for no re-authentication (a sign-in)."""
    waiting = [key for key, purpose in outstanding.items() if purpose == "reauth"]
    if not waiting:
        return None
    if request.user.is_authenticated:
        return request.user
    cosigners = request.session.get(COSIGNERS, {})
    pks = [cosigners[key] for key in waiting if key in cosigners]
    return User.objects.filter(pk=pks[-1]).first() if pks else None


@csrf_exempt
@require_POST
def saml_acs(request):
    """The provider's cross-site POST carries no session cookie (SameSite=Lax): keep
    the response for the same-site GET that follows, which does."""
    _saml_config()
    key = secrets.token_urlsafe(32)
    SamlInbox.objects.create(
        key=key,
        response=request.POST.get("SAMLResponse", "")[:1_000_000],
        relay_state=request.POST.get("RelayState", "")[:500],
        received_at=timezone.now(),
    )
    return HttpResponseRedirect(reverse("identity:saml_continue", args=[key]))


@require_GET
def saml_continue(request, key: str):
    config = _saml_config()
    with transaction.atomic():
        held = SamlInbox.objects.select_for_update().filter(key=key).first()
        raw = held.response if held else ""
        if held is not None:
            held.delete()
    outstanding = dict(request.session.get(SAML_OUTSTANDING) or {})
    try:
        answer = saml.parse_response(config, request, raw, outstanding)
    except saml.SamlRefused as error:
        signer = _reauth_signer_waiting(request, outstanding)
        if signer is not None:
            reauth._refused(None, signer, str(error))
            messages.error(request, f"Signature not possible. {error}")
            return HttpResponseRedirect(
                _safe_next(request, request.session.get("qualify_reauth_return") or "/")
            )
        services.refuse(config.key, str(error))
        messages.error(request, f"Sign-in refused. {error}")
        return redirect("login")
    purpose = outstanding.pop(answer.in_response_to, "")
    request.session[SAML_OUTSTANDING] = outstanding  # each request is answered once
    if purpose == "reauth":
        signer = _cosigner_of(request, answer.in_response_to) or request.user
        # Only the kiosk (nobody signed in) comes back without a session user, for
        # the attendee whose request its own browser started.
        if not signer.is_authenticated:
            return redirect("login")
        try:
            done = reauth.complete_saml_reauth(user=signer, config=config, answer=answer)
        except reauth.ReauthImpossible as error:
            messages.error(request, f"Signature not possible. {error}")
            pending = request.session.get("qualify_reauth_return") or "/"
            return HttpResponseRedirect(_safe_next(request, pending))
        whom = "you" if signer.pk == request.user.pk else signer.username
        messages.success(
            request, f"{config.name} re-authenticated {whom}. Confirm the signature to apply it."
        )
        return HttpResponseRedirect(_with_ticket(_safe_next(request, done.return_url), done.ticket))
    try:
        user = services.sign_in(config=config, claims=answer.claims(config))
    except services.SignInRefused as error:
        messages.error(request, f"Sign-in refused. {error}")
        return redirect("login")
    following = purpose.removeprefix("login:") or "/"
    auth_login(request, user, backend=BACKEND)
    request.session[SESSION_SSO] = {"provider": config.key, "sub": answer.subject}
    return HttpResponseRedirect(_safe_next(request, following))
