"""Re-authentication offers for the API's signing endpoints (issue 16, S1; P110).

A person who signs through the identity provider has no password to put in a
signing request. Their client asks here for an offer for one pending signature,
naming the signing endpoint it is about to call; the offer is bound to the signer,
the meaning that endpoint signs and the hash of the object it names (the same
binding as the pages' signing dialogs). The person opens `browser_url` in a browser
signed in to Qualify as themselves and re-authenticates at the provider (forced,
prompt=login / ForceAuthn); the client then reads the ticket with the offer and
posts it to the signing endpoint as `reauth_ticket`. The signing service redeems it
once, for that signature only.

Only the signer's own session asks and reads: a token never signs, so a token never
gets an offer or a ticket.
"""

import datetime as dt
from urllib.parse import urlparse

from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from qualify.accounts import policy
from qualify.api.base import ApiView
from qualify.audit.registry import object_type_of
from qualify.identity import reauth, signing
from qualify.identity.models import ReauthRequest
from qualify.signatures.meanings import get_meaning
from qualify.signatures.services import pending_binding


class OfferIn(serializers.Serializer):
    signing_url = serializers.CharField(
        max_length=500,
        help_text="The signing endpoint this signature will be posted to, as a path or "
        "an absolute address (e.g. /api/v1/certificates/12/sign/).",
    )


class OfferOut(serializers.Serializer):
    offer = serializers.CharField(help_text="The signed offer; give it back to read the ticket.")
    provider = serializers.CharField(help_text="The identity provider's name.")
    meaning = serializers.CharField(help_text="The meaning of the pending signature.")
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    binding = serializers.CharField(help_text="SHA-256 of the meaning, object and its content.")
    browser_url = serializers.CharField(
        help_text="Open in a browser signed in to Qualify as the signer: it shows what is "
        "signed and re-authenticates the signer at the provider for this signature only."
    )
    expires_at = serializers.DateTimeField(help_text="The offer is honoured until then.")


class TicketOut(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["pending", "completed"],
        help_text="completed: reauth_ticket signs the pending signature, once.",
    )
    reauth_ticket = serializers.CharField(allow_blank=True)
    refused = serializers.CharField(
        allow_blank=True, help_text="Why the latest re-authentication for it was refused, if so."
    )


def _no_token(request) -> None:
    if request.auth is not None:
        raise PermissionDenied(
            "A token never signs: ask for a re-authentication in the signer's own session."
        )


def _pending_signature(request, signing_url: str):
    """(meaning, object) of the signing endpoint at `signing_url`, found with the
    caller's own visibility (404 for what they may not reach)."""
    try:
        match = resolve(urlparse(signing_url).path)
    except Resolver404:
        match = None
    view = getattr(match.func, "view_class", None) if match else None
    if view is None or not match.view_name.startswith("api:") or not hasattr(view, "signs"):
        raise serializers.ValidationError(
            {"signing_url": "This is not an API signing endpoint that takes a reauth_ticket."}
        )
    rule = policy.POLICY[match.view_name]
    if not policy.may(request.user, rule, "POST"):
        raise PermissionDenied(policy.why_refused(rule, "POST"))
    return view.signs, view().signed_object(request, **match.kwargs)


class ReauthOffersView(ApiView):
    serializer_class = OfferIn

    @extend_schema(
        request=OfferIn,
        responses={201: OfferOut},
        summary="Ask for a re-authentication at the identity provider for one pending "
        "signature (instead of a password)",
    )
    def post(self, request):
        _no_token(request)
        body = OfferIn(data=request.data)
        body.is_valid(raise_exception=True)
        meaning, subject = _pending_signature(request, body.validated_data["signing_url"])
        if not signing.signs_through_provider(request.user, request.session):
            raise serializers.ValidationError(
                {
                    "signing_url": "You sign with your password: your account does not sign "
                    "through an identity provider."
                }
            )
        made = signing.offer(
            user=request.user,
            session=request.session,
            meaning=meaning,
            subject=subject,
            return_url=reverse("identity:sign_reauth"),
        )
        out = {
            "offer": made.token,
            "provider": made.provider,
            "meaning": made.meaning,
            "object_type": object_type_of(subject),
            "object_id": str(subject.pk),
            "binding": pending_binding(meaning=meaning, obj=subject),
            "browser_url": request.build_absolute_uri(
                f"{reverse('identity:sign_reauth')}?offer={made.token}"
            ),
            "expires_at": timezone.now() + dt.timedelta(seconds=signing.OFFER_MAX_AGE),
        }
        return Response(OfferOut(out).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("offer", str, required=True, description="The offer.")],
        responses={200: TicketOut},
        summary="The ticket of the completed re-authentication for an offer, once the signer "
        "has re-authenticated in the browser",
    )
    def get(self, request):
        _no_token(request)
        token = request.query_params.get("offer", "")
        if not token:
            raise serializers.ValidationError({"offer": "Give the offer this endpoint made."})
        try:
            pending = signing.read_offer(user=request.user, token=token)
        except reauth.ReauthImpossible as error:
            raise serializers.ValidationError({"offer": str(error)}) from None
        ticket = signing.completed_ticket(
            user=request.user, meaning=pending.meaning, subject=pending.subject
        )
        latest = (
            ReauthRequest.objects.filter(
                user=request.user,
                meaning=get_meaning(pending.meaning).code,
                binding=pending_binding(meaning=pending.meaning, obj=pending.subject),
            )
            .order_by("-requested_at")
            .first()
        )
        out = {
            "status": "completed" if ticket else "pending",
            "reauth_ticket": ticket,
            "refused": (latest.refused if latest and not ticket else ""),
        }
        return Response(TicketOut(out).data)
