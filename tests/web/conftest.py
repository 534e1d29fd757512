"""Fixtures of the page tests."""

from tests.web.pages_support import plant, reading  # noqa: F401
