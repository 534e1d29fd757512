import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from qualify.org import services
from qualify.org.models import Framework, JobFunction, Site
from tests.org.support import audit_events


@pytest.mark.requirement("A1")
def test_an_administrator_creates_sites_departments_and_clients_with_audit_events(admin):
    site = services.site_create(actor=admin, code="DUB", name="Dublin", time_zone="Europe/Dublin")
    department = services.department_create(actor=admin, site=site, code="QA", name="Quality")
    client = services.client_create(actor=admin, code="ACME", name="Acme")
    for obj, action in (
        (site, "org.site.created"),
        (department, "org.department.created"),
        (client, "org.client.created"),
    ):
        assert [e.action for e in audit_events(obj)] == [action]


@pytest.mark.requirement("U2")
def test_a_coordinator_cannot_create_sites(coordinator):
    with pytest.raises(PermissionDenied):
        services.site_create(actor=coordinator, code="X", name="X")
    assert not Site.objects.exists()


def test_an_unknown_time_zone_is_refused(admin):
    with pytest.raises(ValidationError) as refused:
        services.site_create(actor=admin, code="DUB", name="Dublin", time_zone="Mars/Olympus")
    assert "time_zone" in refused.value.message_dict


def test_framework_ensure_is_idempotent_and_knows_the_usual_codes(admin):
    gmp = services.framework_ensure(actor=admin, code="gmp")
    assert services.framework_ensure(code="GMP") == gmp
    assert gmp.name == "Good Manufacturing Practice"
    assert services.framework_ensure(code="ISO 13485").code == "ISO13485"
    with pytest.raises(ValidationError, match="name"):
        services.framework_ensure(code="XYZ")
    services.framework_ensure(code="XYZ", name="House rules")
    assert Framework.objects.count() == 3


@pytest.mark.requirement("A1")
def test_updating_a_job_function_records_changes_and_frameworks(coordinator, operator_function):
    gmp = services.framework_ensure(code="GMP")
    services.job_function_update(
        actor=coordinator,
        job_function=operator_function,
        reason="Renamed per org chart",
        name="Aseptic filling operator",
        frameworks=[gmp],
    )
    event = audit_events(operator_function)[-1]
    assert event.action == "org.job_function.updated"
    assert event.changes == {"name": ["Filling operator", "Aseptic filling operator"]}
    assert event.data["detail"]["frameworks"] == [[], ["GMP"]]


def test_a_duplicate_job_function_code_is_refused(coordinator, operator_function):
    with pytest.raises(ValidationError) as refused:
        services.job_function_create(actor=coordinator, code="OP-FILL", name="Again")
    assert "code" in refused.value.message_dict
    assert JobFunction.objects.count() == 1


@pytest.mark.requirement("U2")
def test_a_document_controller_cannot_change_job_functions(doc_controller, operator_function):
    with pytest.raises(PermissionDenied):
        services.job_function_update(
            actor=doc_controller, job_function=operator_function, reason="x", name="y"
        )
