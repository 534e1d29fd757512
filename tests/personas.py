"""Test personas, one per role of U2, built through the real services."""

from django.utils import timezone

from qualify.accounts import roles
from qualify.accounts.models import User
from qualify.accounts.services import user_create
from qualify.audit import services as audit

PASSWORD = "correct horse battery staple 42"


def make_user(username: str, *role_names: str, may_sign: bool = True, **fields) -> User:
    user = user_create(
        actor=None,
        username=username,
        printed_name=fields.pop("printed_name", username.replace("_", " ").title()),
        email=fields.pop("email", f"{username}@plant.example"),
        password=PASSWORD,
        roles=list(role_names),
    )
    if may_sign:
        # Direct update: the fixture stands in for the administrator's recorded
        # verification and the person's acknowledgement, both tested in
        # tests/accounts. The event keeps the live row equal to its last audited
        # state, so `audit verify` (A4) holds on persona data.
        before = audit.state_of(user)
        now = timezone.now()
        User.objects.filter(pk=user.pk).update(identity_verified_at=now, esig_acknowledged_at=now)
        user.refresh_from_db()
        audit.record(
            "account.identity.verified",
            user,
            actor=None,
            before=before,
            reason="Test persona: identity verified and e-signature policy acknowledged",
        )
    for name, value in fields.items():
        setattr(user, name, value)
    return user


PERSONAS = {
    "employee": (roles.EMPLOYEE,),
    "trainer": (roles.EMPLOYEE, roles.TRAINER),
    "coordinator": (roles.EMPLOYEE, roles.COORDINATOR),
    "doc_controller": (roles.EMPLOYEE, roles.DOCUMENT_CONTROLLER),
    "qa": (roles.EMPLOYEE, roles.QA_APPROVER),
    "auditor": (roles.AUDITOR,),
    "admin": (roles.ADMINISTRATOR,),
}
