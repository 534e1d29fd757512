from qualify.audit.registry import register_actions

register_actions(
    {
        "account.created": "Account created",
        "account.updated": "Account updated",
        "account.roles.changed": "Account roles changed",
        "account.roles.refused": "Account role change refused",
        "account.role_exception.granted": "Administrator role exception signed by QA",
        "account.role_exception.ended": "Administrator role exception ended",
        "account.identity.verified": "Identity verification recorded",
        "account.esig_policy.acknowledged": "E-signature policy acknowledged",
        "account.login.succeeded": "Login succeeded",
        "account.login.failed": "Login failed",
        "account.login.refused": "Login refused before the password check",
        "account.locked": "Account locked after failed attempts",
        "account.locked.by_administrator": "Account locked by an administrator",
        "account.unlocked": "Account unlocked",
        "account.deactivated": "Account deactivated",
        "account.reactivated": "Account reactivated",
        "account.password.changed": "Password changed",
        "account.password.set": "Password set with a one-time link",
        "account.password.reset": "Password reset by an administrator",
        "account.password.link_sent": "One-time set-password link sent",
        "account.person.linked": "Login linked to a person",
        "installation.set_up": "Installation set up (qualify setup)",
        "account.otp.enrolled": "One-time code device enrolled",
        "account.otp.reset": "One-time code devices reset",
        # A5: a write refused with HTTP 403 (pages and API), by the access policy.
        "access.denied": "Access refused",
    }
)
