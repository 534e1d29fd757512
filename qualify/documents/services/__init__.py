"""Document lifecycle services: draft → in review → approved (effective and
superseded follow from the dates, Q1), withdrawn, and obsolete.

Signing services check the credentials with `authenticate_signer()` *before* their
transaction, so a refused attempt's audit event and lockout count are committed
even though the change is not; the signature itself is applied inside the
transaction of the change it signs. The cheap checks run once before asking for the
signature (so bad input costs no signing attempt) and again on the locked rows.

Every service that changes a document's versions locks the document row first, so
two concurrent approvals cannot both pass the Q1 interval check (on SQLite the
IMMEDIATE transactions already serialise writers).

The package re-exports every service: callers import `qualify.documents.services`.
"""

from qualify.documents.services._checks import DOCUMENT_FIELDS, DRAFT_FIELDS, OPEN_STATUSES
from qualify.documents.services.approval import ApprovalRefused, approval_problem, version_approve
from qualify.documents.services.documents import (
    document_create,
    document_introduce,
    document_update,
)
from qualify.documents.services.obsolete import document_obsolete
from qualify.documents.services.reviews import periodic_review_no_change, periodic_review_revise
from qualify.documents.services.versions import (
    version_draft,
    version_review,
    version_submit,
    version_update_draft,
    version_withdraw,
)

__all__ = [
    "DOCUMENT_FIELDS",
    "DRAFT_FIELDS",
    "OPEN_STATUSES",
    "ApprovalRefused",
    "approval_problem",
    "document_create",
    "document_introduce",
    "document_obsolete",
    "document_update",
    "periodic_review_no_change",
    "periodic_review_revise",
    "version_approve",
    "version_draft",
    "version_review",
    "version_submit",
    "version_update_draft",
    "version_withdraw",
]
