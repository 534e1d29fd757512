"""User accounts through the API (U1, U3, U4): list and create accounts (for a person
of the HR feed, who is mailed a one-time link to set the password), accounts for
everyone of the HR feed without a login, lock, unlock, password reset and identity
verification, each change with a reason. Administrators only (the access policy);
every change goes through one account or onboarding service."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from qualify.accounts import links
from qualify.accounts import queries as account_queries
from qualify.accounts import services as accounts
from qualify.accounts.models import User
from qualify.accounts.roles import EMPLOYEE, ROLES
from qualify.api.base import ApiView, ListView
from qualify.api.idempotency import idempotent
from qualify.org import onboarding
from qualify.org.models import Person


class UserOut(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    employee_number = serializers.SerializerMethodField()
    may_sign = serializers.BooleanField(read_only=True)
    is_locked = serializers.BooleanField(read_only=True)
    password_set = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "printed_name",
            "email",
            "roles",
            "employee_number",
            "is_active",
            "is_locked",
            "locked_at",
            "deactivated_at",
            "identity_verified_at",
            "esig_acknowledged_at",
            "may_sign",
            "password_set",
            "password_changed_at",
            "last_login",
        ]

    def get_roles(self, user) -> list[str]:
        return sorted(g.name for g in user.groups.all())

    def get_employee_number(self, user) -> str | None:
        person = getattr(user, "person", None)
        return person.employee_number if person is not None else None

    def get_password_set(self, user) -> bool:
        return user.has_usable_password()


class UserIn(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    printed_name = serializers.CharField(
        max_length=200, required=False, default="", help_text="Default: the person's name."
    )
    email = serializers.EmailField(
        required=False, default="", help_text="Default: the person's email address."
    )
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(ROLES)), default=[EMPLOYEE]
    )
    employee_number = serializers.CharField(
        max_length=40, required=False, default="", help_text="The person this login is for."
    )


class OnboardIn(serializers.Serializer):
    policy = serializers.ChoiceField(
        choices=sorted(onboarding.USERNAME_POLICIES), default="employee_number"
    )
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(ROLES)), default=[EMPLOYEE]
    )
    dry_run = serializers.BooleanField(default=False)


class OnboardCreatedOut(serializers.Serializer):
    employee_number = serializers.CharField()
    username = serializers.CharField()


class OnboardRefusedOut(serializers.Serializer):
    employee_number = serializers.CharField()
    reason = serializers.CharField()


class OnboardOut(serializers.Serializer):
    dry_run = serializers.BooleanField()
    created = OnboardCreatedOut(many=True)
    refused = OnboardRefusedOut(many=True)


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(help_text="Why (kept in the audit trail).")

    class Meta:
        ref_name = "AccountReasonIn"  # the schema's name; org.py has its own


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _user(pk: int) -> User:
    found = account_queries.users().select_related("person").filter(pk=pk).first()
    if found is None:
        raise NotFound("No such account.")
    return found


class UsersView(ListView):
    serializer_class = UserOut

    def get_queryset(self):
        return account_queries.users(
            self.request.query_params.get("q", ""), self.request.query_params.get("status", "")
        ).select_related("person")

    @extend_schema(
        request=UserIn,
        responses={201: UserOut},
        summary="Create an account; its holder is mailed a one-time link to set a password",
    )
    @idempotent
    def post(self, request):
        data = _valid(UserIn, request.data)
        person = None
        if data["employee_number"]:
            person = Person.objects.filter(employee_number__iexact=data["employee_number"]).first()
            if person is None:
                raise serializers.ValidationError(
                    {"employee_number": "No person has this employee number."}
                )
        user = onboarding.account_create(
            actor=request.user,
            username=data["username"],
            printed_name=data["printed_name"],
            email=data["email"],
            roles=data["roles"],
            person=person,
        )
        return Response(UserOut(_user(user.pk)).data, status=status.HTTP_201_CREATED)


class UserDetailView(ApiView):
    @extend_schema(responses=UserOut, summary="One account")
    def get(self, request, pk: int):
        return Response(UserOut(_user(pk)).data)


class UsersOnboardView(ApiView):
    @extend_schema(
        request=OnboardIn,
        responses=OnboardOut,
        summary="Accounts for every active person of the HR feed without a login",
    )
    def post(self, request):
        data = _valid(OnboardIn, request.data)
        report = onboarding.accounts_create_for_people(
            actor=request.user, policy=data["policy"], roles=data["roles"], dry_run=data["dry_run"]
        )
        return Response(
            {
                "dry_run": data["dry_run"],
                "created": [
                    {"employee_number": p.employee_number, "username": u.username}
                    for p, u in report.created
                ],
                "refused": [
                    {"employee_number": p.employee_number, "reason": why}
                    for p, why in report.refused
                ],
            }
        )


def _reason_action(service, summary: str):
    class View(ApiView):
        @extend_schema(request=ReasonIn, responses=UserOut, summary=summary)
        def post(self, request, pk: int):
            user = _user(pk)
            data = _valid(ReasonIn, request.data)
            service(actor=request.user, user=user, reason=data["reason"])
            return Response(UserOut(_user(pk)).data)

    View.__name__ = View.__qualname__ = f"{service.__name__.title().replace('_', '')}View"
    return View


UserLockView = _reason_action(accounts.user_lock, "Lock an account, with a reason")
UserUnlockView = _reason_action(accounts.user_unlock, "Unlock an account, with a reason")
UserPasswordResetView = _reason_action(
    links.user_password_reset,
    "Reset a password, with a reason: the holder is mailed a one-time link",
)
UserIdentityView = _reason_action(
    accounts.user_record_identity_verified,
    "Record that the holder's identity was verified (the reason says how)",
)
