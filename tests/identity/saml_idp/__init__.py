"""A real SAML 2.0 identity provider for the identity tests: pysaml2's `Server` behind
a tiny WSGI app in its own process on loopback (`serve.py`). It parses the real
AuthnRequest, asks for a password (always when ForceAuthn is set), and answers with
a signed assertion by the HTTP-POST binding, as ADFS or Shibboleth would. A test-only
control endpoint loads the SP's metadata and switches misbehaviours (ignore
ForceAuthn, wrong audience, unsigned assertion)."""
