"""An installation ready for IQ: production settings (README, Production), its audit
key made and pinned, so a pack's IQ passes unless a test breaks something on purpose.
IQ-16 is the real `check --deploy` (P91): a warning of any check, Django's or a
library's, fails the pack, as tests/web/test_security_headers.py holds the project at
none."""

from pathlib import Path

import pytest

SAMPLES = Path(__file__).parent / "oq_samples"


@pytest.fixture
def production(settings, tmp_path, monkeypatch):
    from qualify.audit import keys

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
