"""Login and logout, and the public password pages (U4). A login is never a
signature (S1): it leaves no signing state in the session, so the first signing
still asks for user id and password."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django_otp import login as otp_login

from qualify.accounts import installation, links
from qualify.accounts.forms import LoginForm, PasswordForgottenForm, PasswordSetForm

LINK_SESSION_KEY = "qualify_password_link"


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"

    def get_context_data(self, **kwargs):
        # P27: an installation without accounts says what to do next.
        return {
            **super().get_context_data(**kwargs),
            "empty_installation": installation.is_empty(),
            # Issue 16: single sign-on is offered when an OpenID provider is configured.
            "sso_name": settings.QUALIFY_OIDC_NAME if settings.QUALIFY_OIDC_ISSUER else "",
            "saml_name": settings.QUALIFY_SAML_NAME
            if settings.QUALIFY_SAML_IDP_METADATA_FILE
            else "",
        }

    def form_valid(self, form):
        response = super().form_valid(form)
        device = getattr(form.get_user(), "otp_device", None)
        if device is not None:
            # Marks the session as verified for django_otp's `user.is_verified()`.
            otp_login(self.request, device)
        return response


class LogoutView(auth_views.LogoutView):
    next_page = "login"


SENT = (
    "If an account with this user id or email address can sign in, a link to set a new "
    "password is on its way to its email address. The link is valid for {hours} hours and "
    "works once."
)


def password_forgotten(request):
    """U4, P23: the same answer whether or not the account exists; limited in rate."""
    form = PasswordForgottenForm(request.POST or None)
    status = 200
    sent = False
    if request.method == "POST" and form.is_valid():
        try:
            links.password_forgotten(
                asked=form.cleaned_data["asked"],
                client_address=request.META.get("REMOTE_ADDR", ""),
            )
        except links.TooManyRequests:
            form.add_error(
                None,
                "Too many links were asked for in the last hour. Wait an hour, or ask your "
                "administrator to reset your password.",
            )
            status = 429
        else:
            sent = True
    elif request.method == "POST":
        status = 422
    return render(
        request,
        "registration/password_forgotten.html",
        {
            "form": form,
            "sent": sent and SENT.format(hours=settings.QUALIFY_PASSWORD_LINK_HOURS),
        },
        status=status,
    )


def password_set(request):
    """The one-time link's page. The link's id and token move from the address into
    the session at once (a redirect), so they never stay in the browser's history or
    reach another site in a Referer."""
    if request.method == "GET" and ("u" in request.GET or "t" in request.GET):
        request.session[LINK_SESSION_KEY] = [request.GET.get("u", ""), request.GET.get("t", "")]
        return redirect("password_set")
    uid, token = request.session.get(LINK_SESSION_KEY) or ["", ""]
    user = links.user_for_uid(uid)
    problem = links.link_problem(user, token)
    if problem is not None:
        return render(
            request,
            "registration/password_set.html",
            {"link_error": links.problem_text(problem)},
            status=400 if request.method == "POST" else 200,
        )
    form = PasswordSetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            links.password_set_with_link(
                uid=uid, token=token, password=form.cleaned_data["password"]
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            request.session.pop(LINK_SESSION_KEY, None)
            messages.success(request, f"Your password is set. Sign in as {user.username}.")
            return redirect("login")
    return render(
        request,
        "registration/password_set.html",
        {"form": form, "account": user, "policy": password_validators_help_texts()},
        status=422 if form.errors else 200,
    )
