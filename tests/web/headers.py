"""The security headers every page carries (P19), checked by the header tests and by the
access-policy walk, which requests every URL as every persona."""


def is_page(url: str, method: str = "GET") -> bool:
    """A page, which carries the security headers: not the JSON API (the GET of its docs
    page excepted; other methods there are the API's JSON refusals) nor the load
    balancer's probe, answered before the middleware."""
    if url.startswith("/api/"):
        return url.startswith("/api/v1/docs/") and method == "GET"
    return url != "/healthz"


def page_policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = (part.strip().split() for part in header.split(";") if part.strip())
    return {d[0]: d[1:] for d in directives}


def assert_page_headers(name, response):
    policy = page_policy(response)
    assert policy, f"{name}: no Content-Security-Policy"
    assert policy.get("default-src") == ["'self'"], name
    for kind in ("script-src", "style-src"):
        sources = policy.get(kind, policy["default-src"])
        assert "'unsafe-inline'" not in sources, (name, kind)
        assert "'unsafe-eval'" not in sources, (name, kind)
    assert policy.get("object-src") == ["'none'"], name
    assert policy.get("frame-ancestors") == ["'none'"], name
    assert policy.get("base-uri") == ["'self'"], name
    assert policy.get("form-action") == ["'self'"], name
    assert response.headers.get("X-Frame-Options") == "DENY", name
    assert response.headers.get("X-Content-Type-Options") == "nosniff", name
    assert response.headers.get("Referrer-Policy") in ("same-origin", "no-referrer"), name
    permissions = response.headers.get("Permissions-Policy", "")
    for feature in ("camera", "microphone", "geolocation"):
        assert f"{feature}=()" in permissions, (name, feature)
