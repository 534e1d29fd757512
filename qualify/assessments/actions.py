from qualify.audit.registry import register_actions

register_actions(
    {
        "assessment.bank.saved": "Question bank draft: questions saved",
        "assessment.defined": "Assessment defined",
        "assessment.updated": "Assessment changed",
        "assessment.attempt.started": "Assessment attempt started",
        "assessment.attempt.submitted": "Assessment attempt submitted and scored",
        "assessment.attempt.reviewed": "Assessment attempt: free-text answers reviewed",
        "assessment.attempt.expired": "Assessment attempt ended by its time limit",
        "assessment.attempt.voided": "Assessment attempt void: its bank version was retired",
        "assessment.attempt.signed": "Assessment result signed by the trainee",
        # A5: refusals that matter (late submission, tampering, a second attempt...).
        "assessment.attempt.refused": "Assessment attempt refused",
    }
)
