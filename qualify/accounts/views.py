"""Login and logout. A login is never a signature (S1): it leaves no signing
state in the session, so the first signing still asks for user id and password."""

from django.contrib.auth import views as auth_views
from django_otp import login as otp_login

from qualify.accounts.forms import LoginForm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        device = getattr(form.get_user(), "otp_device", None)
        if device is not None:
            # Marks the session as verified for django_otp's `user.is_verified()`.
            otp_login(self.request, device)
        return response


class LogoutView(auth_views.LogoutView):
    next_page = "login"
