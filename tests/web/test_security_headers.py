"""Security headers on every page (issue 10): a Content-Security-Policy without inline
script or style, frame-ancestors 'none', Referrer-Policy, Permissions-Policy,
X-Frame-Options DENY, nosniff; HSTS, secure cookies and the proxy header when
configured for production; and `check --deploy` clean with the production settings
the README documents."""

import importlib
import re

import pytest
from django.core import checks
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.plumbing import _load_enum_name_overrides
from drf_spectacular.settings import spectacular_settings

from tests.web.headers import assert_page_headers, is_page, page_policy

pytestmark = pytest.mark.requirement("P19")

ARGUMENTS = {"int": "1", "str": "SOP-014", "slug": "SOP-014", "path": "x", "uuid": None}


def _pages(resolver: URLResolver = None, prefix: str = "", namespace: str = ""):
    """(name, path) of every page reachable with GET: web pages and the sign-in pages,
    with path arguments filled with a plausible value."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _pages(entry, prefix + route, entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            full = prefix + route
            if not is_page("/" + full):
                continue
            path = "/" + re.sub(
                r"<(?:(\w+):)?\w+>", lambda m: ARGUMENTS.get(m.group(1) or "str") or "x", full
            )
            if "^" in path or "(?P" in path:
                continue
            yield f"{namespace}:{entry.name}", path


@pytest.mark.django_db
def test_every_page_carries_the_security_headers_signed_out(client, reading):
    """Every page as a visitor not signed in (the sign-in pages answered, the others
    sent to them). Signed in, every URL is requested by every persona, GET and POST, in
    the access-policy walk (tests/test_access_policy.py), which checks these headers on
    each page it is answered."""
    pages = sorted(set(_pages()))
    assert len(pages) > 40, "the URL walk found too few pages"
    # A page that fails still answers with the headers; its failure is its own
    # page test's business.
    client.raise_request_exception = False
    for name, path in pages:
        assert_page_headers(f"anonymous {name} {path}", client.get(path))


@pytest.mark.django_db
def test_pages_have_no_inline_script_style_or_handlers(client, reading, employee, qa):
    """What the policy would block must not be in the markup either: no inline
    <script> body, no <style> block, no style="" or on…="" attribute."""
    inline = re.compile(
        rb"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+\s*=|\shx-on", re.IGNORECASE
    )
    seen = 0
    client.raise_request_exception = False
    for user in (employee, qa):
        client.force_login(user)
        for name, path in sorted(set(_pages())):
            if path.endswith("/logout/"):
                continue
            response = client.get(path)
            if response.status_code == 200 and "text/html" in response["Content-Type"]:
                seen += 1
                body = b"".join(response) if response.streaming else response.content
                match = inline.search(body)
                assert match is None, f"{name}: inline {match.group(0)!r}"
    assert seen > 10


@pytest.mark.django_db
def test_htmx_is_configured_not_to_inject_styles_or_evaluate(client, employee):
    client.force_login(employee)
    body = client.get("/").content.decode()
    assert '"includeIndicatorStyles": false' in body
    assert '"allowEval": false' in body


@pytest.mark.django_db
def test_api_docs_work_under_their_own_policy_without_inline_code(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    policy = page_policy(page)
    assert "data:" in policy["img-src"]  # Swagger UI's icons
    assert "'unsafe-inline'" not in policy.get("script-src", [])
    assert "'unsafe-inline'" not in policy.get("style-src", [])
    assert b"<style" not in page.content
    scripts = re.findall(rb'<script src="([^"]+)"', page.content)
    assert b"/api/v1/docs/?script=" in scripts
    assert b"drf_spectacular_sidecar" in scripts[0]  # served by the app: works offline
    assert re.search(rb"<script>", page.content) is None
    start = client.get("/api/v1/docs/?script=")
    assert start.status_code == 200
    assert start["Content-Type"].startswith("application/javascript")


def _production(monkeypatch, **extra):
    env = {
        "QUALIFY_SECRET_KEY": "x" * 30 + "-production-secret-key-long-and-random-0123456789",
        "QUALIFY_DEBUG": "false",
        "QUALIFY_ALLOWED_HOSTS": "qualify.example.com",
        "QUALIFY_SECURE_COOKIES": "true",
        "QUALIFY_PROXY_SSL_HEADER": "X-Forwarded-Proto: https",
        **extra,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    import qualify.settings as module

    try:
        return vars(importlib.reload(module)).copy()
    finally:
        monkeypatch.undo()
        importlib.reload(module)


def test_secure_cookies_turn_on_hsts_redirect_and_the_proxy_header(monkeypatch):
    values = _production(monkeypatch)
    assert values["SESSION_COOKIE_SECURE"]
    assert values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_SSL_REDIRECT"]
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert values["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


def test_a_malformed_proxy_header_setting_is_refused_with_an_example(monkeypatch):
    with pytest.raises(ValueError, match="X-Forwarded-Proto: https"):
        _production(monkeypatch, QUALIFY_PROXY_SSL_HEADER="https")


def test_check_deploy_is_clean_with_the_documented_production_settings(monkeypatch, settings):
    values = _production(monkeypatch)
    for name in (
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_CONTENT_TYPE_NOSNIFF",
        "SECURE_REFERRER_POLICY",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY",
        "X_FRAME_OPTIONS",
        "MIDDLEWARE",
    ):
        setattr(settings, name, values[name])
    # No warning at all: Django's security checks and the API schema's (drf-spectacular
    # builds the schema the API serves and warns of ambiguous names).
    GENERATOR_STATS.reset()  # warnings of earlier schema builds in this process
    problems = [
        f"{m.id}: {m.msg}"
        for m in checks.run_checks(include_deployment_checks=True)
        if m.level >= checks.WARNING
    ]
    assert problems == []


def test_check_deploy_warns_of_api_enum_names_without_their_overrides(settings, monkeypatch):
    """The schema check above is not vacuous: without the names settings give the
    choice sets that two fields share, drf-spectacular warns."""
    overrides = dict(settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"])
    del overrides["OpenClosedEnum"], overrides["AccessKindEnum"]
    monkeypatch.setattr(spectacular_settings, "ENUM_NAME_OVERRIDES", overrides)
    GENERATOR_STATS.reset()
    _load_enum_name_overrides.cache_clear()
    try:
        warnings = [
            m.msg
            for m in checks.run_checks(include_deployment_checks=True)
            if m.id == "drf_spectacular.W001"
        ]
    finally:
        GENERATOR_STATS.reset()
        _load_enum_name_overrides.cache_clear()
    assert any('fields named "status"' in w for w in warnings)
    assert any('fields named "kind"' in w for w in warnings)


def test_check_deploy_warns_without_secure_cookies(settings):
    """The check above is not vacuous: the development defaults do warn."""
    settings.DEBUG = False
    settings.SESSION_COOKIE_SECURE = False
    settings.SECURE_HSTS_SECONDS = 0
    ids = {m.id for m in checks.run_checks(include_deployment_checks=True)}
    assert {"security.W012", "security.W004"} <= ids
