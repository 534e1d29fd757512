from qualify.audit.registry import register_actions

register_actions(
    {
        "quality.change_control.created": "Change control raised",
        "quality.change_control.approved": "Change control approved",
        "quality.change_control.revision_linked": "Document revision linked to change control",
        "quality.change_control.closed": "Change control closed",
        # A5, E2: a closure refused while items are open.
        "quality.change_control.close_refused": "Change control closure refused (items open)",
        "quality.capa.close_refused": "CAPA closure refused (items open)",
        "quality.deviation.close_refused": "Deviation closure refused (items open)",
        "quality.capa.created": "CAPA raised",
        "quality.capa.flagged_for_review": "CAPA flagged for QA review (retraining only)",
        "quality.capa.qa_reviewed": "CAPA reviewed by QA",
        "quality.capa.closed": "CAPA closed",
        "quality.capa_action.created": "CAPA action added",
        "quality.capa_action.target_assigned": "CAPA training action assigned to a person",
        "quality.capa_action.training_completed": "CAPA action training completed",
        "quality.capa_action.completed": "CAPA action complete",
        "quality.capa_action.cancelled": "CAPA action cancelled",
        "quality.capa_action.reviewed": "CAPA action effectiveness reviewed",
        "quality.deviation.created": "Deviation reported",
        "quality.deviation.snapshot_taken": "Deviation qualification snapshot recorded",
        "quality.deviation.requalification_ordered": "Requalification ordered from deviation",
        "quality.deviation.closed": "Deviation closed",
        "quality.execution.recorded": "Work on a batch recorded",
        "quality.execution.refused": "Work on a batch refused at the gate",
    }
)
