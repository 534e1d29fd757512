"""The administrator's pages: users, roles, client restrictions, unlock, deactivation
and identity verification, each change with a reason (U1, U2). Every change goes
through one account or org service, which checks the permission again."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from qualify.accounts import links
from qualify.accounts import queries as account_queries
from qualify.accounts import services as accounts
from qualify.accounts.models import RoleException
from qualify.org import access, onboarding
from qualify.org import services as org
from qualify.web.administration import forms, queries
from qualify.web.approver_signing import carried_url
from qualify.web.documents.kit import set_zone, show_errors
from qualify.web.employee.common import add_errors, zone_of

ADMIN = "accounts.manage_accounts"
TRAIL = "audit.view_audit_trail"

PAGE_SIZE = 50


def users(request):
    text, status = request.GET.get("q", ""), request.GET.get("status", "")
    # Issue 18: a page of the accounts; all of them are in the access-rights report.
    page = Paginator(queries.users(text, status), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "users": queries.with_roles_and_clients(page.object_list),
        "page": page,
        "query": query.urlencode(),
        "q": text,
        "status": status,
        "zone": zone_of(request.user),
    }
    template = (
        "web/administration/_users_table.html" if request.htmx else "web/administration/users.html"
    )
    return render(request, template, context)


def _detail(request, pk, status=200, **forms_with_errors):
    account = queries.user(pk)
    history = account_queries.access_history(account)
    context = {
        "account": account,
        "zone": zone_of(request.user),
        "own_account": account.pk == request.user.pk,
        "changes": list(reversed(history.changes))[:10],
        "exception": accounts.active_role_exception(account),
        "exception_form": _exception_form(request, account),
        "exception_end_form": forms.ReasonForm(prefix="exception_end"),
        "roles_form": forms.RolesForm(initial={"roles": account.role_names}, prefix="roles"),
        "unlock_form": forms.ReasonForm(prefix="unlock"),
        "lock_form": forms.ReasonForm(prefix="lock"),
        "reset_form": forms.ReasonForm(prefix="reset"),
        "person": queries.person_of(account),
        "deactivate_form": forms.ReasonForm(prefix="deactivate"),
        "reactivate_form": forms.ReasonForm(prefix="reactivate"),
        "identity_form": forms.ReasonForm(prefix="identity"),
        "otp_form": forms.ReasonForm(prefix="otp"),
        "grant_form": forms.ClientGrantForm(prefix="grant"),
        "revoke_form": forms.ClientRevokeForm(prefix="revoke"),
        **forms_with_errors,
    }
    context["own_change_forms"] = [
        context[name] for name in ("roles_form", "grant_form", "revoke_form")
    ]
    return render(request, "web/administration/user.html", context, status=status)


def user(request, pk: int):
    return _detail(request, pk)


def _change(prefix: str, form_class, call, success: str):
    """A POST view: validate the form, call one service, report back on the page."""

    @require_POST
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
        return _detail(request, pk, status=422, **{f"{prefix}_form": form})

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
lock = _change(
    "lock",
    forms.ReasonForm,
    lambda actor, user, data: accounts.user_lock(actor=actor, user=user, reason=data["reason"]),
    "{user} is locked.",
)
password_reset = _change(
    "reset",
    forms.ReasonForm,
    lambda actor, user, data: links.user_password_reset(
        actor=actor, user=user, reason=data["reason"]
    ),
    "The password of {user} is reset; a link to choose a new one is mailed to them.",
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
        actor=actor, user=user, client=data["client"], reason=data["reason"]
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


def _qa_actor(username: str):
    return (
        get_user_model()
        .objects.filter(username__iexact=(username or "").strip(), is_active=True)
        .first()
    )


def _exception_form(request, account, data=None):
    """The exception's form; a QA approver who signs through the identity provider
    re-authenticates there for the exception on this account (issue 16), and the
    page comes back with what was typed (`exception-…` in its address)."""
    carried = request.GET
    initial = {}
    if carried.get("exception-qa_username"):
        initial = {
            "roles": carried.getlist("exception-roles"),
            "reason": carried.get("exception-reason", ""),
            "qa_username": carried["exception-qa_username"],
        }
    form = forms.RoleExceptionForm(data, prefix="exception", initial=initial)
    form.approver_through_provider(
        meaning="approved",
        subject=account,
        return_url=carried_url(reverse("web:admin_user", args=[account.pk]), data or carried),
    )
    return form


@require_POST
def grant_exception(request, pk: int):
    """U3: a QA approver signs, on this screen, the exception to the segregation."""
    account = queries.user(pk)
    form = _exception_form(request, account, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            access.role_exception_grant(
                actor=request.user,
                user=account,
                roles=data["roles"],
                reason=data["reason"],
                qa_actor=_qa_actor(data["qa_username"]),
                qa_credentials=form.qa_credentials(),
            )
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
                for old, new in (("username", "qa_username"), ("password", "qa_password")):
                    if old in exc.error_dict:
                        exc.error_dict.setdefault(new, []).extend(exc.error_dict.pop(old))
            show_errors(exc, form)
        else:
            messages.success(
                request, f"The exception for {account.username} is signed by the QA approver."
            )
            return redirect("web:admin_user", pk=pk)
    return _detail(request, pk, status=422, exception_form=form)


@require_POST
def end_exception(request, pk: int):
    account = queries.user(pk)
    exception = get_object_or_404(RoleException, user=account, ended_at__isnull=True)
    form = forms.ReasonForm(request.POST, prefix="exception_end")
    if form.is_valid():
        try:
            accounts.role_exception_end(
                actor=request.user, exception=exception, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"The exception for {account.username} has ended.")
            return redirect("web:admin_user", pk=pk)
    return _detail(request, pk, status=422, exception_end_form=form)


def access_history(request):
    """P26: who held which role and client access, when, granted by whom and why."""
    zone = zone_of(request.user)
    form = forms.AccessHistoryForm(request.GET or None)
    set_zone(form, zone)
    history = None
    if request.GET and form.is_valid():
        account = account_queries.find_user(form.cleaned_data["user"])
        if account is None:
            form.add_error("user", "No account has this user id.")
        else:
            history = account_queries.access_history(
                account, start=form.cleaned_data["start"], end=form.cleaned_data["end"]
            )
    return render(
        request,
        "web/administration/access_history.html",
        {"form": form, "history": history, "zone": zone},
        status=422 if form.errors else 200,
    )


def user_new(request):
    """U4: an account for a person, who is mailed a one-time link to set the password.
    A refused form comes back with every value kept and the error on its field."""
    form = forms.AccountNewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = None
        number = data["person"].strip()
        if number:
            person = queries.person_by_number(number)
            if person is None:
                form.add_error("person", f"No person has the employee number {number!r}.")
        if not form.errors:
            try:
                created = onboarding.account_create(
                    actor=request.user,
                    username=data["username"],
                    printed_name=data["printed_name"],
                    email=data["email"],
                    roles=data["roles"],
                    person=person,
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(
                    request,
                    f"Account {created.username} created; a link to set the password is "
                    f"mailed to {created.email}.",
                )
                return redirect("web:admin_user", pk=created.pk)
    return render(
        request,
        "web/administration/user_new.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


def onboard(request):
    """U4: accounts for every person of the HR feed without a login, by policy; a
    dry run first shows who would get which user id and who would be refused."""
    form = forms.OnboardForm(request.POST or None)
    report = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = onboarding.accounts_create_for_people(
                actor=request.user,
                policy=data["policy"],
                roles=data["roles"],
                dry_run=data["dry_run"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            if not data["dry_run"]:
                messages.success(
                    request,
                    f"{len(report.created)} accounts created; {len(report.refused)} refused.",
                )
    return render(
        request,
        "web/administration/onboard.html",
        {
            "form": form,
            "report": report,
            "dry_run": bool(form.is_bound and form.is_valid() and form.cleaned_data["dry_run"]),
            "waiting": onboarding.people_without_login().count(),
        },
        status=422 if form.errors else 200,
    )
