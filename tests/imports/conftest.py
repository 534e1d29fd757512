"""Fixtures of the legacy import tests: the page tests' small plant."""

from tests.web.pages_support import plant  # noqa: F401
