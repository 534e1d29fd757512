"""U1: tell a person whose idle session expired why they are asked to sign in again.

The session cookie lives until the browser closes while the session itself expires
after QUALIFY_IDLE_MINUTES idle (settings). A request that still carries the cookie
but whose session is gone was therefore idle too long: it gets a message, which the
login page it is redirected to shows. A logout deletes the cookie, so it never counts.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.http import JsonResponse
from django.shortcuts import redirect


class IdleExpiryNoticeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.COOKIES.get(settings.SESSION_COOKIE_NAME) and not request.user.is_authenticated:
            session = request.session
            session.get("_auth_user_id")  # load it: an expired session has no key after loading
            if session.session_key is None:
                messages.warning(
                    request,
                    f"Your session expired after {settings.QUALIFY_IDLE_MINUTES} minutes idle; "
                    "sign in again.",
                )
        return self.get_response(request)


# U1 (P184): how often, at most, a signed-in session is written to slide its expiry.
SLIDE_SECONDS = 60
SLID_AT = "_qualify_slid_at"


class SlidingSessionMiddleware:
    """U1: the idle expiry slides with use, writing the session at most once a
    SLIDE_SECONDS (Django's SESSION_SAVE_EVERY_REQUEST wrote it on every request: a
    page view took the database's write lock and a commit). A session therefore ends
    between QUALIFY_IDLE_MINUTES less SLIDE_SECONDS and QUALIFY_IDLE_MINUTES after its
    last request: sooner, never later. A session changed by the request is written
    anyway, and notes the time too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty() or SESSION_KEY not in session:
            return response  # anonymous, or signed out by this request
        now = int(time.time())
        if session.modified or now - session.get(SLID_AT, 0) >= SLIDE_SECONDS:
            session[SLID_AT] = now
        return response


# Where a person whose password has expired may still go: the page to change it,
# and out.
PASSWORD_EXPIRED_ALLOWED = frozenset({"web:account_password", "logout", "login"})


class PasswordExpiredMiddleware:
    """U4: a password older than QUALIFY_PASSWORD_MAX_AGE_DAYS (21 CFR 11.300(b)) is
    changed before anything else: every page sends its holder to the password page,
    and the API answers 403 to their session. Tokens (service accounts) never reach
    here signed in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.password_expired:
            return None
        match = request.resolver_match
        name = match.view_name if match else ""
        if name in PASSWORD_EXPIRED_ALLOWED:
            return None
        message = (
            f"Your password is older than {settings.QUALIFY_PASSWORD_MAX_AGE_DAYS} days; "
            "choose a new one to continue."
        )
        if match is not None and "api" in match.namespaces:
            return JsonResponse(
                {"title": "Password expired", "status": 403, "detail": message},
                status=403,
                content_type="application/problem+json",
            )
        messages.warning(request, message)
        return redirect("web:account_password")
