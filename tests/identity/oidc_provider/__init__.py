"""A real OpenID Connect provider for the identity tests: django-oauth-toolkit's OIDC
provider in a tiny Django project of its own, run as a separate process on a free
loopback port (`serve.py`). Nothing in it is a mock of the protocol: discovery, JWKS,
the authorization code flow with PKCE, `prompt=login` and the signed ID tokens are
django-oauth-toolkit's own.

The project has one test-only control endpoint (`/control/`) so a test can make the
provider misbehave the way a real provider may (ignore `prompt=login`, send a wrong
audience, no subject, an expired token) and add redirect URIs.
"""
