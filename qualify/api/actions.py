from qualify.audit.registry import register_actions

register_actions(
    {
        "api.token.created": "API token created",
        "api.token.revoked": "API token revoked",
        "api.token.used": "API token used",
        "api.webhook.subscribed": "Webhook subscription created",
        "api.webhook.deactivated": "Webhook subscription deactivated",
        "api.people.imported": "People imported from an HR file",
    }
)
