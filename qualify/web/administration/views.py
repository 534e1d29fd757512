"""The administrator's pages: users, roles, client restrictions, unlock, deactivation
and identity verification, each change with a reason (U1, U2). Every change goes
through one account or org service, which checks the permission again."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from qualify.accounts import services as accounts
from qualify.org import services as org
from qualify.web.administration import forms, queries
from qualify.web.employee.common import add_errors, permission_required, zone_of

ADMIN = "accounts.manage_accounts"


@permission_required(ADMIN)
def users(request):
    text, status = request.GET.get("q", ""), request.GET.get("status", "")
    context = {
        "users": queries.users(text, status)[:500],
        "q": text,
        "status": status,
        "zone": zone_of(request.user),
    }
    template = (
        "web/administration/_users_table.html" if request.htmx else "web/administration/users.html"
    )
    return render(request, template, context)


def _detail(request, pk, **forms_with_errors):
    account = queries.user(pk)
    context = {
        "account": account,
        "zone": zone_of(request.user),
        "roles_form": forms.RolesForm(initial={"roles": account.role_names}, prefix="roles"),
        "unlock_form": forms.ReasonForm(prefix="unlock"),
        "deactivate_form": forms.ReasonForm(prefix="deactivate"),
        "reactivate_form": forms.ReasonForm(prefix="reactivate"),
        "identity_form": forms.ReasonForm(prefix="identity"),
        "otp_form": forms.ReasonForm(prefix="otp"),
        "grant_form": forms.ClientGrantForm(prefix="grant"),
        "revoke_form": forms.ClientRevokeForm(prefix="revoke"),
        **forms_with_errors,
    }
    return render(request, "web/administration/user.html", context)


@permission_required(ADMIN)
def user(request, pk: int):
    return _detail(request, pk)


def _change(prefix: str, form_class, call, success: str):
    """A POST view: validate the form, call one service, report back on the page."""

    @require_POST
    @permission_required(ADMIN)
    def view(request, pk: int):
        account = queries.user(pk)
        form = form_class(request.POST, prefix=prefix)
        if form.is_valid():
            try:
                call(request.user, account, form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, success.format(user=account.username))
                return redirect("web:admin_user", pk=pk)
        return _detail(request, pk, **{f"{prefix}_form": form})

    return view


set_roles = _change(
    "roles",
    forms.RolesForm,
    lambda actor, user, data: accounts.user_set_roles(
        actor=actor, user=user, roles=data["roles"], reason=data["reason"]
    ),
    "Roles of {user} changed.",
)
unlock = _change(
    "unlock",
    forms.ReasonForm,
    lambda actor, user, data: accounts.user_unlock(actor=actor, user=user, reason=data["reason"]),
    "{user} is unlocked.",
)
deactivate = _change(
    "deactivate",
    forms.ReasonForm,
    lambda actor, user, data: accounts.user_deactivate(
        actor=actor, user=user, reason=data["reason"]
    ),
    "{user} is deactivated.",
)
reactivate = _change(
    "reactivate",
    forms.ReasonForm,
    lambda actor, user, data: accounts.user_reactivate(
        actor=actor, user=user, reason=data["reason"]
    ),
    "{user} is active again.",
)
verify_identity = _change(
    "identity",
    forms.ReasonForm,
    lambda actor, user, data: accounts.user_record_identity_verified(
        actor=actor, user=user, reason=data["reason"]
    ),
    "Identity verification of {user} recorded.",
)
reset_otp = _change(
    "otp",
    forms.ReasonForm,
    lambda actor, user, data: accounts.user_otp_reset(
        actor=actor, user=user, reason=data["reason"]
    ),
    "The authenticator of {user} is reset.",
)
grant_client = _change(
    "grant",
    forms.ClientGrantForm,
    lambda actor, user, data: org.client_access_grant(
        actor=actor, user=user, client=data["client"]
    ),
    "{user} is restricted to the client.",
)
revoke_client = _change(
    "revoke",
    forms.ClientRevokeForm,
    lambda actor, user, data: org.client_access_revoke(
        actor=actor,
        user=user,
        client=data["client"],
        reason=data["reason"],
        make_unrestricted=data["make_unrestricted"],
    ),
    "Client restriction of {user} removed.",
)
