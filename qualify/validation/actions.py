from qualify.audit.registry import register_actions

register_actions(
    {
        "validation.run.recorded": "Validation run recorded (IQ/OQ/PQ pack)",
        "validation.run.pack_signed": "Validation pack PDF signed",
        "validation.run.approved": "Validation run approved by QA",
    }
)
