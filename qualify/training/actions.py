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
        # External certificates: submitted, verified (signed) or rejected by a coordinator.
        "training.certificate.submitted": "External certificate submitted",
        "training.certificate.verified": "External certificate verified and signed",
        "training.certificate.rejected": "External certificate rejected",
        # Classroom sessions: schedule, enrolment, signing window, attendance, closing.
        "training.session.scheduled": "Classroom session scheduled",
        "training.session.enrolled": "Enrolled in a classroom session",
        "training.session.withdrawn": "Enrolment in a classroom session withdrawn",
        "training.session.seats_changed": "Classroom session seats taken changed",
        "training.session.window_opened": "Signing window opened",
        "training.session.window_closed": "Signing window closed",
        "training.session.attendance_signed": "Attendance signed",
        "training.session.sign_refused": "Attendance signature refused",
        "training.session.closed": "Classroom session closed and signed by the trainer",
        "training.session.cancelled": "Classroom session cancelled",
        # E-learning: the version read in the viewer, which opens its assessment.
        "training.elearning.read": "Document read in the viewer (e-learning)",
    }
)
