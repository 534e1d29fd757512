"""Hooks the document services fire inside their transaction (see qualify.hooks)."""

from qualify.hooks import Hook

# kwargs: actor, version (DocumentVersion, approved, with effective_from and baseline
# set, the previous version already ended and the approval signature applied),
# window_exception_reason (QA's reason to let the version take effect before the
# training window ends, G3; "" when none was given)
version_approved = Hook("documents.version_approved")
# kwargs: actor, document (obsolete_from set, last version ended), reason
document_obsoleted = Hook("documents.document_obsoleted")
# kwargs: actor, version (DocumentVersion, now in review, signed "authored")
version_submitted = Hook("documents.version_submitted")
# kwargs: actor, version (DocumentVersion, still in review), signature ("reviewed")
version_reviewed = Hook("documents.version_reviewed")
# kwargs: actor, version (DocumentVersion, a draft whose file was just stored, replaced
# or removed; issue 15: the content app unpacks an e-learning package)
version_file_stored = Hook("documents.version_file_stored")
