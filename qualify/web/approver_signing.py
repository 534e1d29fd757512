"""A QA approver who signs on someone else's screen (issue 16, S1): the matrix
change on the coordinator's screen, the role exception on the administrator's.

The approver is known only once their user id is typed. When that person signs
through the identity provider (linked, local password off), the form drops the
password they could not use and offers the re-authentication for them instead; they
sign in at the provider as themselves on this screen, and the ticket is theirs,
bound to the meaning and the record the change is about. The page comes back with
the typed values in its address, so the approver stays named and the ticket is
found for them."""

from urllib.parse import urlencode

from django.contrib.auth import get_user_model

from qualify.signatures.services import Credentials
from qualify.web.signing import ProviderSigning

# What a page carries across the round trip to the provider: never a secret.
NOT_CARRIED = {"csrfmiddlewaretoken", "reauth_for", "reauth"}


def approver_named(username: str):
    if not (username or "").strip():
        return None
    return (
        get_user_model()
        .objects.filter(username__iexact=(username or "").strip(), is_active=True)
        .first()
    )


def carried_url(path: str, data, *, drop: tuple[str, ...] = ()) -> str:
    """`path` with the form's typed values (not passwords nor tickets), for the page
    to come back to after the provider."""
    pairs = [
        (name, value)
        for name in data
        if name not in NOT_CARRIED
        and not name.endswith(("password", "reauth_ticket"))
        and name not in drop
        for value in data.getlist(name)
        if value
    ]
    return f"{path}?{urlencode(pairs)}" if pairs else path


class ApproverSigning(ProviderSigning):
    """Mixed into a form with `qa_username` and `qa_password`."""

    approver = None

    def approver_through_provider(self, *, meaning: str, subject, return_url: str) -> None:
        """Name the approver from the typed user id (posted, or carried back in the
        address) and, when they sign through the provider, ask for their ticket for
        this pending signature instead of a password."""
        typed = self.data.get(self.add_prefix("qa_username")) if self.is_bound else None
        self.approver = approver_named(typed or self.initial.get("qa_username") or "")
        if self.approver is None or subject is None:
            return
        self.sign_through_provider(
            user=self.approver, session=None, meaning=meaning, subject=subject, cosigner=True
        )
        if self.reauth:
            self.fields.pop("qa_password", None)
            self.reauth["return_url"] = return_url

    def qa_credentials(self) -> Credentials:
        """The approver signs on another person's screen: never that session (S1)."""
        if self.reauth:
            return self.provider_credentials(None)
        data = self.cleaned_data
        return Credentials(username=data["qa_username"], password=data["qa_password"], session=None)
