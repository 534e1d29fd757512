"""Driving the document lifecycle through the real services in tests."""

from qualify.documents import services
from qualify.signatures.services import Credentials
from tests.personas import PASSWORD


def creds(user, password: str = PASSWORD) -> Credentials:
    return Credentials(password=password, username=user.username, session={})


def submitted(document, author, reviewer, revision, **draft):
    """A version of `document`, drafted and submitted by author and reviewed by reviewer."""
    draft.setdefault("change_summary", f"Revision {revision}")
    draft.setdefault("content_text", f"Procedure text, revision {revision}.")
    version = services.version_draft(actor=author, document=document, revision=revision, **draft)
    services.version_submit(actor=author, version=version, credentials=creds(author))
    services.version_review(actor=reviewer, version=version, credentials=creds(reviewer))
    return version


def released(document, author, reviewer, approver, revision, *, effective_from=None, **draft):
    """A version taken through draft, review and approval."""
    version = submitted(document, author, reviewer, revision, **draft)
    reason = "Backdated in test" if effective_from is not None else ""
    return services.version_approve(
        actor=approver,
        version=version,
        credentials=creds(approver),
        effective_from=effective_from,
        reason=reason,
    )
