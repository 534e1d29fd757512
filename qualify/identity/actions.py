from qualify.audit.registry import register_actions

register_actions(
    {
        "identity.login.succeeded": "Signed in through the identity provider",
        "identity.login.refused": "Sign-in through the identity provider refused",
        "identity.linked": "Account linked to an identity provider subject",
        "identity.reauth.requested": "Re-authentication for a signature requested",
        "identity.reauth.completed": "Re-authentication for a signature completed",
        "identity.reauth.refused": "Re-authentication for a signature refused",
        "identity.provisioning_account.created": "Provisioning account created",
        "identity.scim.refused": "SCIM provisioning change refused",
        "identity.oauth.client_created": "OAuth2 integration registered",
        "identity.oauth.token_issued": "OAuth2 access token issued",
        "identity.settings.changed": "Identity provider setting changed",
        "identity.settings.refused": "Identity provider setting change refused",
        "identity.logout.by_provider": "Session ended by the identity provider's logout",
        "identity.logout.refused": "Logout message from the identity provider refused",
    }
)
