"""An installation ready for IQ: production settings (README, Production), its audit
key made and pinned, so a pack's IQ passes unless a test breaks something on purpose."""

from pathlib import Path

import pytest

SAMPLES = Path(__file__).parent / "oq_samples"


def security_deploy_checks_only(monkeypatch):
    """IQ-16 runs every `check --deploy` check; a warning of any library (the API
    schema's, OAuth's) fails it, and tests/web/test_security_headers.py holds the
    project at zero. Here the pack is under test: IQ-16 counts Django's own security
    warnings only (security.*), so a warning from unrelated work in progress does not
    decide these tests. (The real IQ-16 is exercised by
    `qualify validate` itself in CI.)"""
    from django.core import checks
    from django.core.checks.registry import registry

    from qualify.validation import iq

    def django_security_only():
        found = [
            m
            for m in registry.run_checks(
                tags=[checks.Tags.security], include_deployment_checks=True
            )
            if m.id and m.id.startswith("security.") and m.level >= checks.WARNING
        ]
        text = "; ".join(f"{m.id} {m.msg}" for m in found) or "no issue"
        return [iq.Check("IQ-16", "Django `check --deploy`", not found, text, "no warning")]

    monkeypatch.setattr(iq, "check_deploy", django_security_only)


@pytest.fixture
def production(settings, tmp_path, monkeypatch):
    from qualify.audit import keys

    security_deploy_checks_only(monkeypatch)

    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SECRET_KEY = "validation-test-" + "k3y-" * 15
    settings.PASSWORD_HASHERS = [
        "qualify.accounts.hashers.QualifyArgon2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    settings.QUALIFY_CHECKPOINT_LOG = str(tmp_path / "checkpoints.log")
    keys.key_create()
    settings.QUALIFY_VERIFIER_KEY = keys.verifier_key_text()
    return settings
