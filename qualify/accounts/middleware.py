"""U1: tell a person whose idle session expired why they are asked to sign in again.

The session cookie lives until the browser closes while the session itself expires
after QUALIFY_IDLE_MINUTES idle (settings). A request that still carries the cookie
but whose session is gone was therefore idle too long: it gets a message, which the
login page it is redirected to shows. A logout deletes the cookie, so it never counts.
"""

from django.conf import settings
from django.contrib import messages


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
