"""Settings for the demo load the determinism test runs in a subprocess: production
settings with what every test's settings change (tests/conftest.py, and the reduced
demo's load, tests/plugins/reduced_demo.py), so that the two loads it compares ran
under the same rules."""

from qualify.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
