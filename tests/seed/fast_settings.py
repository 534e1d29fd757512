"""Settings for the demo loads the determinism test runs in subprocesses: production
settings with a cheap password hasher (as the suite uses, tests/conftest.py)."""

from qualify.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
