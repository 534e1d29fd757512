from qualify.audit.registry import register_actions

register_actions(
    {
        "document.created": "Document created",
        "document.updated": "Document updated",
        "document.obsoleted": "Document made obsolete",
        "document.version.drafted": "Document version drafted",
        "document.version.updated": "Draft version updated",
        "document.version.submitted": "Version submitted for review",
        "document.version.reviewed": "Version reviewed",
        "document.version.approved": "Version approved",
        # A5: refused for a missing review, or the approver wrote or reviewed it (S2).
        "document.version.approval_refused": "Version approval refused",
        "document.version.withdrawn": "Version withdrawn",
        "document.version.ended": "Version effective period ended",
        "document.periodic_review.no_change": "Periodic review: reviewed, no change",
        "document.periodic_review.revision": "Periodic review: new revision started",
    }
)
