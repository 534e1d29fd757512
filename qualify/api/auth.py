"""Authentication (Bearer tokens beside people's sessions), scopes, rate limits."""

from typing import Any

from django.conf import settings
from rest_framework import authentication, exceptions, permissions, throttling

from qualify.accounts import policy
from qualify.api.models import ApiToken
from qualify.api.tokens import token_for, token_used
from qualify.env import env_str
from qualify.identity.oauth import OAuthAccess, access_for


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>`. The request acts as the token's service
    account: what it changes is audited under that account, what GxP records it
    opens goes to the access log; the token's last use is noted once a minute."""

    keyword = "Bearer"

    def authenticate(self, request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, raw = header.partition(" ")
        if keyword.lower() != "bearer":
            return None
        throttle = FailedTokenThrottle()
        wait = throttle.wait_for(request)
        if wait is not None:
            # Refused before the token is looked at: while an address is throttled,
            # a right guess and a wrong one get the same answer.
            raise exceptions.Throttled(
                wait=wait, detail="Too many wrong tokens from this address; try again later."
            )
        raw = raw.strip()
        if not raw or " " in raw:
            throttle.failed(request)
            raise exceptions.AuthenticationFailed("Send one token: Authorization: Bearer <token>.")
        token = token_for(raw)
        if token is None:
            # Issue 16: an OAuth2 client-credentials access token, same scopes.
            granted = access_for(raw)
            if granted is not None:
                return granted
            throttle.failed(request)
            raise exceptions.AuthenticationFailed("The token is unknown, expired or revoked.")
        token_used(token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="qualify"'


class FailedTokenThrottle(throttling.SimpleRateThrottle):
    """Wrong bearer tokens per client address (P23): QUALIFY_API_TOKEN_FAILURES, e.g.
    "10/min". Only failures are counted; once an address reaches the limit, every
    bearer request from it is answered 429 with Retry-After until the window passes.
    The count lives in the cache (per process unless CACHES names a shared one)."""

    scope = "token-failures"

    def get_rate(self) -> str:
        return getattr(settings, "QUALIFY_API_TOKEN_FAILURES", None) or env_str(
            "QUALIFY_API_TOKEN_FAILURES", "10/min"
        )

    def get_cache_key(self, request, view=None) -> str:
        return f"qualify-api-token-failures-{self.get_ident(request)}"

    def _recent(self, request) -> tuple[str, list[float]]:
        key = self.get_cache_key(request)
        now = self.timer()
        history = [t for t in self.cache.get(key, []) if t > now - self.duration]
        return key, history

    def wait_for(self, request) -> float | None:
        """Seconds until this address may try again, or None if it may now."""
        _, history = self._recent(request)
        if len(history) < self.num_requests:
            return None
        return max(1.0, history[-self.num_requests] + self.duration - self.timer())

    def failed(self, request) -> None:
        key, history = self._recent(request)
        self.cache.set(key, [*history, self.timer()], self.duration)


def _method(request) -> str:
    return "GET" if request.method in ("HEAD", "OPTIONS") else request.method


class ScopeAndRolePermission(permissions.BasePermission):
    """The declared access policy (qualify.accounts.policy) for the endpoint the
    request resolved to: the token scope its method needs, and the roles that may
    use it, for tokens and sessions alike (P15). An endpoint with no declared rule
    is refused. A service account is reachable only through its token. Which rows a
    permitted user then reaches (own records, trainees, clients) is the query
    functions' part."""

    def has_permission(self, request, view) -> bool:
        match = request.resolver_match
        rule = policy.rule_for(match.view_name if match else None, view.kwargs)
        if rule.public:
            return True
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        method = _method(request)
        token = request.auth if isinstance(request.auth, ApiToken | OAuthAccess) else None
        if token is not None:
            scope = rule.read_scope if policy.is_read(method, rule) else rule.write_scope
            if scope is None or scope not in token.scopes:
                self.message = (
                    f"The token lacks the scope {scope!r} for this operation."
                    if scope
                    else "No token scope gives access to this operation."
                )
                return False
        elif getattr(user, "is_service_account", False):
            return False
        if not policy.may(user, rule, method):
            self.message = policy.why_refused(rule, method)
            return False
        return True


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Requests per token (per user for sessions, per address when anonymous);
    QUALIFY_API_RATE, e.g. "1200/min". The cache is per process unless CACHES
    names a shared one."""

    scope = "api"

    def get_rate(self) -> str:
        return getattr(settings, "QUALIFY_API_RATE", None) or env_str(
            "QUALIFY_API_RATE", "1200/min"
        )

    def get_cache_key(self, request, view) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"addr-{self.get_ident(request)}"
        return f"qualify-api-throttle-{ident}"
