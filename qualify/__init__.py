"""Qualify: training and quality management for regulated industries."""

# The release's semantic version (MAJOR.MINOR.PATCH, semver.org): the same as
# pyproject.toml's (tests/validation/test_releases.py holds them equal) and the
# heading of its entry in CHANGELOG.md. MAJOR changes what a customer must
# re-validate at large; every release's entry names the URS items it touches.
__version__ = "0.7.7"
