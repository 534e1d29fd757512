"""Hooks the document services fire inside their transaction (see qualify.hooks)."""

from qualify.hooks import Hook

# kwargs: actor, version (DocumentVersion, approved, with effective_from and baseline set)
version_approved = Hook("documents.version_approved")
# kwargs: actor, document, reason
document_obsoleted = Hook("documents.document_obsoleted")
