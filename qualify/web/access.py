"""The access policy on every page (P15, U2).

One middleware reads the declared table (qualify.accounts.policy) for the URL the
request resolved to: anyone not signed in goes to the login page, a signed-in user
the rule does not name gets 403, and a refused write is audited (A5). The API is
left to its permission class, which reads the same table. Which rows a permitted
user then reaches (their own, their trainees', their clients') is the query
functions' part, answered 404 when out of reach.
"""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from qualify.accounts import policy


def _is_api(match) -> bool:
    return match is not None and "api" in match.namespaces


class AccessPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or _is_api(match):
            return None
        rule = policy.rule_for(match.view_name, view_kwargs)
        if rule.public or rule.token:
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if policy.may(request.user, rule, request.method):
            return None
        why = policy.why_refused(rule, request.method)
        policy.audit_forbidden_write(request, why=why)
        raise PermissionDenied(why)

    def process_exception(self, request, exception):
        # A service refusing a write the page let through (a 403 from the view).
        if isinstance(exception, PermissionDenied) and not _is_api(request.resolver_match):
            policy.audit_forbidden_write(request, why=str(exception))
        return None
