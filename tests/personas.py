"""Test personas, one per role of U2, built through the real services."""

from django.utils import timezone

from qualify.accounts import roles
from qualify.accounts.models import User
from qualify.accounts.services import user_create

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
        # verification and the person's acknowledgement, both tested elsewhere.
        now = timezone.now()
        User.objects.filter(pk=user.pk).update(identity_verified_at=now, esig_acknowledged_at=now)
        user.refresh_from_db()
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
