"""The provider's claims: user name, e-mail, groups, and `amr`/`acr`, plus the
misbehaviours a test switches on through /control/ (see __init__)."""

import datetime as dt

from oauth2_provider.oauth2_validators import OAuth2Validator

# Set by the control endpoint; read per token.
MODE: dict[str, str] = {"mode": "normal"}


class Validator(OAuth2Validator):
    oidc_claim_scope = None  # every claim below goes into every ID token

    def get_additional_claims(self, request):
        user = request.user
        return {
            "preferred_username": user.username,
            "email": user.email,
            "name": user.get_full_name() or user.username,
            "groups": sorted(user.groups.values_list("name", flat=True)),
            "amr": ["pwd"],
            "acr": "urn:example:password",
        }

    def get_id_token_dictionary(self, token, token_handler, request):
        claims, expiration = super().get_id_token_dictionary(token, token_handler, request)
        mode = MODE["mode"]
        if mode == "wrong_audience":
            claims["aud"] = "someone-else"
        elif mode == "expired":
            claims["exp"] = int((dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).timestamp())
        elif mode == "no_subject":
            claims.pop("sub", None)
        return claims, expiration

    def finalize_id_token(self, id_token, token, token_handler, request):
        if MODE["mode"] == "no_subject":
            id_token.pop("sub", None)
        return super().finalize_id_token(id_token, token, token_handler, request)
