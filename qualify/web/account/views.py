"""My account: password change under the policy, authenticator enrolment, and the
e-signature policy acknowledgement (U1)."""

import base64

import segno
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from qualify.accounts import services
from qualify.web.account.forms import AcknowledgeForm, OtpConfirmForm, PasswordChangeForm
from qualify.web.employee.common import add_errors, person_of, zone_of


@login_required
def overview(request):
    user = request.user
    return render(
        request,
        "web/account/overview.html",
        {
            "person": person_of(user),
            "zone": zone_of(user),
            "roles": sorted(user.groups.values_list("name", flat=True)),
            "enrolled": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
            "acknowledge_form": AcknowledgeForm(),
        },
    )


@login_required
def password_change(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_change_password(
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, "Your password is changed.")
            return redirect("web:account_overview")
    return render(
        request,
        "web/account/password.html",
        {"form": form, "policy": password_validators_help_texts()},
    )


def _qr_svg(url: str) -> str:
    """The enrolment QR code drawn on the server as SVG (no script, no network)."""
    svg = segno.make(url, error="m").svg_inline(scale=5, dark="#000", light="#fff")
    return svg.replace(
        "<svg ", '<svg role="img" aria-label="QR code for the authenticator app" ', 1
    )


@login_required
def authenticator(request):
    user = request.user
    enrolled = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    form = OtpConfirmForm(request.POST or None)
    if request.method == "POST" and device is not None and form.is_valid():
        try:
            services.otp_device_confirm(actor=user, device=device, token=form.cleaned_data["token"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request, "Your authenticator is enrolled: sign-in and signing now ask for a code."
            )
            return redirect("web:account_overview")
    context = {"enrolled": enrolled, "device": device, "form": form}
    if device is not None:
        context["qr_svg"] = _qr_svg(device.config_url)
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "web/account/authenticator.html", context)


@require_POST
@login_required
def authenticator_start(request):
    try:
        services.otp_device_create(actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("web:account_authenticator")


@require_POST
@login_required
def acknowledge(request):
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            services.user_acknowledge_esig_policy(
                user=request.user, password=form.cleaned_data["password"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "You acknowledged the electronic signature policy.")
    return redirect("web:account_overview")
