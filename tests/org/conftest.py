import pytest

from qualify.org import events, services


@pytest.fixture(autouse=True)
def _org_hooks_isolated(monkeypatch):
    """These tests cover the organisation layer alone: higher layers' handlers are
    left out, and each test sees only the handlers it connects."""
    for hook in (
        events.job_assignment_started,
        events.job_assignment_ended,
        events.person_deactivated,
    ):
        monkeypatch.setattr(hook, "_handlers", [])


@pytest.fixture
def site(admin):
    return services.site_create(
        actor=admin, code="DUB", name="Dublin plant", time_zone="Europe/Dublin"
    )


@pytest.fixture
def client_a(admin):
    return services.client_create(actor=admin, code="ACME", name="Acme Pharma")


@pytest.fixture
def client_b(admin):
    return services.client_create(actor=admin, code="BETA", name="Beta Bio")


@pytest.fixture
def operator_function(coordinator, site):
    return services.job_function_create(
        actor=coordinator, code="OP-FILL", name="Filling operator", site=site
    )


@pytest.fixture
def person(coordinator, site):
    return services.person_create(
        actor=coordinator, employee_number="E100", full_name="Ada Byrne", site=site
    )


@pytest.fixture
def searchable_people(coordinator, site):
    """People a text search tells apart: by user id (Kim), employee number (Lee), name
    (Ann), and one that no search for "ops" or "kim" finds (Bo)."""
    from tests.personas import PERSONAS, make_user

    account = make_user("ops-kim", *PERSONAS["employee"])

    def person(number, name, **extra):
        return services.person_create(
            actor=coordinator, employee_number=number, full_name=name, site=site, **extra
        )

    return {
        "kim": person("E-1", "Kim Park", user=account),
        "lee": person("OPS-KIM-2", "Lee Roy"),
        "ann": person("E-3", "Ann Opsahl"),
        "bo": person("E-4", "Bo"),
    }
