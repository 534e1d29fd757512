"""How the API's signing endpoints take a signature (S1; issue 16, P111): the
caller's password (and one-time code), or instead `reauth_ticket`, the ticket of a
completed re-authentication at the identity provider for exactly this pending
signature (asked for with POST /api/v1/signatures/reauth/, docs/identity.md). The
signing service redeems the ticket once, for the meaning the endpoint signs and the
object it names, so it signs nothing else.

A signing endpoint declares what it signs for the offer endpoint: `signs` (the
meaning) and `signed_object(request, **url_kwargs)` (the object the ticket is
bound to, found with the same visibility as the signature itself)."""

from typing import Any

from rest_framework import serializers

from qualify.signatures.services import Credentials

TICKET_HELP = (
    "Instead of the password, for a person who signs through the identity provider: "
    "the ticket of a completed re-authentication for exactly this signature (POST "
    "/api/v1/signatures/reauth/ with this endpoint's address, the person "
    "re-authenticates in a browser, GET /api/v1/signatures/reauth/?offer=… returns "
    "it). One ticket signs one signature, once, within QUALIFY_REAUTH_MINUTES."
)


class SignatureIn(serializers.Serializer):
    """A signature's credentials: `password` or `reauth_ticket`, exactly one."""

    password = serializers.CharField(
        write_only=True,
        required=False,
        max_length=4096,
        help_text="Your password: your signature (or reauth_ticket instead).",
    )
    otp_token = serializers.CharField(
        required=False, write_only=True, max_length=12, help_text="With the password, if enrolled."
    )
    reauth_ticket = serializers.CharField(
        required=False, write_only=True, max_length=64, help_text=TICKET_HELP
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("password")) == bool(attrs.get("reauth_ticket")):
            raise serializers.ValidationError(
                {
                    "password": "Sign with your password or with reauth_ticket (a completed "
                    "re-authentication at your identity provider): exactly one of the two."
                }
            )
        return attrs


def credentials(request: Any, data: dict[str, Any], subject: Any) -> Credentials:
    """The signing service's credentials for a validated SignatureIn; a ticket is
    redeemed for `subject`, the object the endpoint signs."""
    if data.get("reauth_ticket"):
        return Credentials(reauth_ticket=data["reauth_ticket"], subject=subject, session=None)
    return Credentials(
        username=request.user.username,
        password=data["password"],
        otp_token=data.get("otp_token") or None,
        session=None,
    )
