"""`{% reauth_dialog form %}`: the part of any signing dialog that re-authenticates
a person at the identity provider (issue 16, S1), for a form with `reauth` set
(qualify.web.signing.ProviderSigning). `meaning` overrides the form's own, for a
page that shows one form under two meanings. A form may name the page to come back
to (`reauth["return_url"]`) when its typed values must survive the round trip."""

from django import template
from django.utils.http import url_has_allowed_host_and_scheme

from qualify.identity.signing import offer

register = template.Library()


def _return_url(request) -> str:
    """The page to come back to: this page when it was fetched, else the page the
    form was posted from (a POST-only address cannot be fetched back)."""
    if request.method == "GET":
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return request.path


@register.inclusion_tag("identity/_reauth_fields.html", takes_context=True)
def reauth_dialog(context, form, meaning: str = ""):
    request = context["request"]
    pending = form.reauth
    made = offer(
        user=request.user,
        session=request.session,
        meaning=meaning or pending["meaning"],
        subject=pending["subject"],
        return_url=pending.get("return_url") or _return_url(request),
        signer=pending.get("signer"),
    )
    return {"form": form, "offer": made, "field": form["reauth_ticket"]}
