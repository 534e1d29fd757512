from qualify.audit.registry import register_actions

register_actions(
    {
        "training.requirement.created": "Training requirement created",
        "training.requirement.updated": "Training requirement updated",
        "training.curriculum.created": "Curriculum created",
        "training.curriculum.item_added": "Requirement added to curriculum",
        "training.matrix.entry_added": "Matrix entry added",
        "training.matrix.entry_ended": "Matrix entry ended",
        "training.assignment.created": "Training assigned",
        "training.assignment.completed": "Assignment completed",
        "training.assignment.superseded": "Assignment superseded by a newer revision",
        "training.assignment.cancelled": "Assignment cancelled",
        "training.record.created": "Training record created",
        "training.record.corrected": "Training record corrected (superseded)",
        "training.record.superseded": "Training record superseded by a correction",
        # A5: a sign-off refused (trainer not qualified, evidence of understanding missing).
        "training.record.refused": "Training sign-off refused",
        "training.requalification.ordered": "Requalification ordered",
        # R2: the go-live migration of legacy data (qualify import legacy).
        "training.record.migrated": "Training record imported from a legacy system",
        "training.migration.reported": "Legacy import run (migration report)",
        "training.migration.verified": "Migration report verified and signed",
    }
)
