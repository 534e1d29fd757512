"""IQ-16 is `check --deploy` as Django runs it (P91): every error and warning of every
check, Django's and the libraries', named with its ID and level; any of them fails the
item, and a failed item fails the pack, saying so on page 1."""

import pytest
from django.core import checks
from django.core.checks.registry import registry

from qualify.validation import iq
from tests.validation.test_pack import pages, validate

pytestmark = pytest.mark.django_db


@pytest.mark.requirement("P91", "P60")
def test_iq_16_passes_on_the_production_settings(production):
    """With the README's production settings the real `check --deploy` finds nothing:
    the item passes and says so."""
    (check,) = iq.check_deploy()
    assert check.ok, check.found
    assert check.found.startswith("0 error(s) or warning(s)")


@pytest.mark.requirement("P91", "P60", "P19")
def test_a_session_cookie_sent_over_plain_http_fails_iq_16_and_the_pack(production, tmp_path):
    """Steps: production settings but SESSION_COOKIE_SECURE off; IQ-16 fails naming
    security.W012 with its level; `qualify validate` (IQ only) exits 1 and page 1 says
    FAIL and names IQ-16."""
    production.SESSION_COOKIE_SECURE = False
    (check,) = iq.check_deploy()
    assert not check.ok
    assert "security.W012 (WARNING)" in check.found
    out = tmp_path / "pack"
    code, _ = validate(out, no_oq=True)
    assert code == 1
    first = pages(out)[0]
    assert "VALIDATION FAIL" in first
    assert "IQ-16" in first


@pytest.mark.requirement("P91")
def test_a_librarys_warning_and_error_fail_iq_16_not_only_djangos_security_ones(production):
    """A deployment check of another library (registered here) that warns, and one
    that reports an error, each fail IQ-16 and are named with their IDs and levels."""

    def library_check(app_configs=None, **kwargs):
        return [
            checks.Warning("A library setting is unsafe.", id="somelib.W001"),
            checks.Error("A library setting is wrong.", hint="Set it.", id="somelib.E002"),
        ]

    registry.register(library_check, deploy=True)
    try:
        (check,) = iq.check_deploy()
    finally:
        registry.deployment_checks.discard(library_check)
    assert not check.ok
    assert "somelib.W001 (WARNING) A library setting is unsafe." in check.found
    assert "somelib.E002 (ERROR) A library setting is wrong. HINT: Set it." in check.found
    (again,) = iq.check_deploy()
    assert "somelib" not in again.found


@pytest.mark.requirement("P91")
def test_a_silenced_check_does_not_fail_iq_16_but_is_named(production):
    """A warning the installation silenced (SILENCED_SYSTEM_CHECKS) does not fail the
    item, as it does not fail `check --deploy`, but the item names it."""
    (before,) = iq.check_deploy()
    production.SECURE_SSL_REDIRECT = False
    production.SILENCED_SYSTEM_CHECKS = ["security.W008"]
    (check,) = iq.check_deploy()
    assert check.ok == before.ok  # (the production settings pass: the test above)
    assert "security.W008 (" not in check.found
    assert "silenced by SILENCED_SYSTEM_CHECKS: security.W008" in check.found


@pytest.mark.requirement("P91")
def test_a_check_that_crashes_fails_iq_16(production):
    """A check that raises is a failed item with the error, never a pass."""

    def broken_check(app_configs=None, **kwargs):
        raise RuntimeError("cannot read the proxy configuration")

    registry.register(broken_check, deploy=True)
    try:
        (check,) = iq.check_deploy()
    finally:
        registry.deployment_checks.discard(broken_check)
    assert not check.ok
    assert "cannot read the proxy configuration" in check.found


@pytest.mark.requirement("P91")
def test_an_api_schema_warning_is_reported_however_often_the_schema_was_built(
    production, monkeypatch
):
    """drf-spectacular warns of a schema problem only the first time a process builds
    the schema (the pack's functional specification builds it before IQ): IQ-16 still
    reports the warning on the second run in the same process."""
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.plumbing import _load_enum_name_overrides
    from drf_spectacular.settings import spectacular_settings

    overrides = dict(production.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"])
    del overrides["OpenClosedEnum"]
    monkeypatch.setattr(spectacular_settings, "ENUM_NAME_OVERRIDES", overrides)
    _load_enum_name_overrides.cache_clear()
    try:
        first, second = iq.check_deploy()[0], iq.check_deploy()[0]
    finally:
        GENERATOR_STATS.reset()
        _load_enum_name_overrides.cache_clear()
    for check in (first, second):
        assert not check.ok
        assert "drf_spectacular.W001 (WARNING)" in check.found
        assert 'fields named "status"' in check.found
