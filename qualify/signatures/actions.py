from qualify.audit.registry import register_actions

register_actions(
    {
        "signature.applied": "Electronic signature applied",
        "signature.refused": "Electronic signature refused",
    }
)
