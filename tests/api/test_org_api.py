"""Organisation API (/api/v1/org/): create, rename with a reason and retire sites,
departments, clients, frameworks and job functions; change a person's job from an
instant (T2); lists filtered and sorted by the pages' FilterSets; bad input answered
400 on the field (P16); who may do it is the declared policy (P15, U2)."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from qualify.audit.models import AuditEvent
from qualify.org import services as org
from qualify.org.models import JobAssignment, Site
from tests.personas import make_user


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def site(admin):
    return org.site_create(actor=admin, code="DUB", name="Dublin plant", time_zone="Europe/Dublin")


@pytest.mark.requirement("A1")
def test_the_administrator_creates_renames_and_retires_a_site(admin):
    client = api(admin)
    created = client.post(
        "/api/v1/org/sites/",
        {"code": "BOS", "name": "Boston", "time_zone": "America/New_York"},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["time_zone"] == "America/New_York"
    renamed = client.patch(
        "/api/v1/org/sites/bos/", {"name": "Boston MA", "reason": "Naming"}, format="json"
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Boston MA"
    retired = client.post("/api/v1/org/sites/BOS/retire/", {"reason": "Sold"}, format="json")
    assert retired.status_code == 200
    assert retired.json()["active"] is False
    site = Site.objects.get(code="BOS")
    actions = list(
        AuditEvent.objects.filter(object_type="org.site", object_id=str(site.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["org.site.created", "org.site.updated", "org.site.retired"]


@pytest.mark.requirement("P16")
def test_a_site_with_an_unknown_time_zone_is_400_on_the_field(admin):
    response = api(admin).post(
        "/api/v1/org/sites/",
        {"code": "X", "name": "X", "time_zone": "Nowhere/Land"},
        format="json",
    )
    assert response.status_code == 400
    assert "time_zone" in response.json()["errors"]
    assert not Site.objects.filter(code="X").exists()


@pytest.mark.requirement("P16")
def test_a_duplicate_code_in_other_letters_is_400_on_the_code(admin, site):
    response = api(admin).post(
        "/api/v1/org/sites/", {"code": "dub", "name": "Again", "time_zone": "UTC"}, format="json"
    )
    assert response.status_code == 400
    assert "code" in response.json()["errors"]


@pytest.mark.requirement("A1", "P16")
def test_a_rename_without_a_reason_is_refused(admin, site):
    response = api(admin).patch("/api/v1/org/sites/DUB/", {"name": "Other"}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    site.refresh_from_db()
    assert site.name == "Dublin plant"


@pytest.mark.requirement("P16")
def test_retiring_a_job_function_held_now_names_what_uses_it(coordinator, site):
    person = org.person_create(actor=coordinator, employee_number="E1", full_name="Ann", site=site)
    jf = org.job_function_create(actor=coordinator, code="OP", name="Operator", site=site)
    org.job_assignment_start(
        actor=coordinator,
        person=person,
        job_function=jf,
        valid_from=timezone.now() - dt.timedelta(days=1),
    )
    response = api(coordinator).post(
        "/api/v1/org/job-functions/OP/retire/", {"reason": "Line closed"}, format="json"
    )
    assert response.status_code == 400
    assert "1 job assignment" in str(response.json())


@pytest.mark.requirement("T2", "P16")
def test_a_job_change_ending_before_the_old_job_began_is_400_and_changes_nothing(coordinator, site):
    person = org.person_create(actor=coordinator, employee_number="E1", full_name="Ann", site=site)
    old = org.job_function_create(actor=coordinator, code="OP", name="Operator", site=site)
    org.job_function_create(actor=coordinator, code="LEAD", name="Lead", site=site)
    start = timezone.now() - dt.timedelta(days=2)
    held = org.job_assignment_start(
        actor=coordinator, person=person, job_function=old, valid_from=start
    )
    body = {
        "job_function": "lead",
        "ending": held.pk,
        "effective": (start - dt.timedelta(days=1)).isoformat(),
        "reason": "Promoted",
    }
    client = api(coordinator)
    refused = client.post("/api/v1/org/people/e1/job-change/", body, format="json")
    assert refused.status_code == 400
    assert "effective" in refused.json()["errors"]
    held.refresh_from_db()
    assert held.valid_to is None
    done = client.post(
        "/api/v1/org/people/E1/job-change/",
        {**body, "effective": timezone.now().isoformat()},
        format="json",
    )
    assert done.status_code == 201
    held.refresh_from_db()
    assert held.valid_to == JobAssignment.objects.get(pk=done.json()["id"]).valid_from


@pytest.mark.requirement("P16", "T1")
def test_a_job_change_time_without_a_zone_is_refused(coordinator, site):
    org.person_create(actor=coordinator, employee_number="E1", full_name="Ann", site=site)
    org.job_function_create(actor=coordinator, code="OP", name="Operator", site=site)
    response = api(coordinator).post(
        "/api/v1/org/people/E1/job-change/",
        {"job_function": "OP", "effective": "2026-01-01T08:00:00", "reason": "New"},
        format="json",
    )
    assert response.status_code == 400
    assert "effective" in response.json()["errors"]


@pytest.mark.requirement("P15")
def test_job_functions_filter_by_framework_and_client_and_sort(admin, coordinator, site):
    gmp = org.framework_ensure(actor=admin, code="GMP")
    acme = org.client_create(actor=admin, code="ACME", name="Acme")
    org.job_function_create(actor=coordinator, code="A-OP", name="A", frameworks=[gmp])
    org.job_function_create(actor=coordinator, code="B-OP", name="B", frameworks=[gmp], client=acme)
    org.job_function_create(actor=coordinator, code="C-OP", name="C")
    client = api(coordinator)
    rows = client.get("/api/v1/org/job-functions/", {"framework": "gmp", "sort": "-code"}).json()
    assert [r["code"] for r in rows["results"]] == ["B-OP", "A-OP"]
    rows = client.get("/api/v1/org/job-functions/", {"client": "ACME"}).json()
    assert [r["code"] for r in rows["results"]] == ["B-OP"]
    assert client.get("/api/v1/org/job-functions/", {"sort": "salary"}).status_code == 400
    assert client.get("/api/v1/org/job-functions/", {"state": ""}).status_code == 400


@pytest.mark.requirement("U2")
def test_a_restricted_user_sees_only_their_clients(admin, coordinator):
    acme = org.client_create(actor=admin, code="ACME", name="Acme")
    org.client_create(actor=admin, code="BETA", name="Beta")
    org.job_function_create(actor=coordinator, code="JF-A", name="A", client=acme)
    org.job_function_create(actor=coordinator, code="JF-H", name="House")
    restricted = make_user("acme_coord", "employee", "training_coordinator")
    org.client_access_grant(actor=admin, user=restricted, client=acme, reason="Acme team")
    client = api(restricted)
    assert [r["code"] for r in client.get("/api/v1/org/clients/").json()["results"]] == ["ACME"]
    assert client.get("/api/v1/org/clients/BETA/").status_code == 404
    codes = [r["code"] for r in client.get("/api/v1/org/job-functions/").json()["results"]]
    assert codes == ["JF-A"]


@pytest.mark.requirement("P15", "U2", "A5")
@pytest.mark.parametrize("persona", ["coordinator", "qa", "employee"])
def test_only_the_administrator_creates_sites_and_a_refusal_is_audited(request, persona):
    user = request.getfixturevalue(persona)
    response = api(user).post(
        "/api/v1/org/sites/", {"code": "Z", "name": "Z", "time_zone": "UTC"}, format="json"
    )
    assert response.status_code == 403
    assert not Site.objects.filter(code="Z").exists()
    assert AuditEvent.objects.filter(action="access.denied").count() == 1


@pytest.mark.requirement("P15", "U2")
def test_the_administrator_does_not_change_jobs(admin, coordinator, site):
    org.person_create(actor=coordinator, employee_number="E1", full_name="Ann", site=site)
    org.job_function_create(actor=coordinator, code="OP", name="Operator", site=site)
    response = api(admin).post(
        "/api/v1/org/people/E1/job-change/",
        {"job_function": "OP", "effective": timezone.now().isoformat(), "reason": "x"},
        format="json",
    )
    assert response.status_code == 403
    assert not JobAssignment.objects.exists()
