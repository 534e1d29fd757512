"""Organisation pages: the administrator sets up sites, departments, clients and
frameworks; the coordinator job functions and people (create, change of job,
manager, leaving). Changes carry a reason (A1); bad input is refused on its field
with what was typed kept (P16); lists filter, sort and page with the FilterSets the
API uses; who may do what is the declared policy (P15, U2)."""

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from qualify.org import services as org
from qualify.org.models import JobAssignment, Site


@pytest.fixture
def site(admin):
    return org.site_create(actor=admin, code="DUB", name="Dublin plant", time_zone="Europe/Dublin")


def _as(client, user):
    client.force_login(user)
    return client


@pytest.mark.requirement("P16", "T3")
def test_a_site_with_an_unknown_time_zone_is_refused_on_the_field_keeping_the_input(client, admin):
    response = _as(client, admin).post(
        reverse("web:org_site_new"),
        {
            "code": "BOS",
            "name": "Boston",
            "time_zone": "America/Bostonia",
            "gate_policy": "refuse",
            "late_entry_hours": "72",
        },
    )
    assert response.status_code == 422
    assert response.context["form"].errors["time_zone"]
    assert 'value="Boston"' in response.content.decode()
    assert not Site.objects.filter(code="BOS").exists()


@pytest.mark.requirement("A1")
def test_the_administrator_creates_a_site_from_the_page(client, admin):
    response = _as(client, admin).post(
        reverse("web:org_site_new"),
        {
            "code": "BOS",
            "name": "Boston",
            "time_zone": "America/New_York",
            "gate_policy": "deviation",
            "late_entry_hours": "48",
        },
    )
    site = Site.objects.get(code="BOS")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:org_site", args=[site.pk])
    assert (site.time_zone, site.gate_policy, site.late_entry_hours) == (
        "America/New_York",
        "deviation",
        48,
    )


@pytest.mark.requirement("P16")
def test_a_duplicate_site_code_in_other_letters_is_refused_on_the_code_field(client, admin, site):
    response = _as(client, admin).post(
        reverse("web:org_site_new"),
        {"code": "dub", "name": "Again", "time_zone": "UTC", "gate_policy": "refuse",
         "late_entry_hours": "72"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "already used" in response.context["form"].errors["code"][0]


@pytest.mark.requirement("A1")
def test_renaming_a_site_needs_a_reason(client, admin, site):
    page = _as(client, admin)
    data = {"name": "Dublin North", "time_zone": "Europe/Dublin", "gate_policy": "refuse",
            "late_entry_hours": "72"}  # fmt: skip
    refused = page.post(reverse("web:org_site", args=[site.pk]), data)
    assert refused.status_code == 422
    assert refused.context["form"].errors["reason"]
    done = page.post(reverse("web:org_site", args=[site.pk]), {**data, "reason": "Merger"})
    assert done.status_code == 302
    site.refresh_from_db()
    assert site.name == "Dublin North"


@pytest.mark.requirement("P16")
def test_retiring_a_site_in_use_says_what_uses_it(client, admin, coordinator, site):
    org.person_create(actor=coordinator, employee_number="E1", full_name="Ann", site=site)
    response = _as(client, admin).post(
        reverse("web:org_site_retire", args=[site.pk]), {"reason": "Closing"}
    )
    assert response.status_code == 422
    assert "1 person" in response.content.decode()
    site.refresh_from_db()
    assert site.active


@pytest.mark.requirement("T2", "P16")
def test_a_job_change_ending_before_the_old_job_began_is_refused_and_nothing_changes(
    client, coordinator, site
):
    person = org.person_create(actor=coordinator, employee_number="E1", full_name="Ann", site=site)
    old = org.job_function_create(actor=coordinator, code="OP", name="Operator", site=site)
    new = org.job_function_create(actor=coordinator, code="LEAD", name="Lead", site=site)
    start = timezone.now() - dt.timedelta(days=3)
    held = org.job_assignment_start(
        actor=coordinator, person=person, job_function=old, valid_from=start
    )
    before_start = (start - dt.timedelta(days=2)).astimezone(dt.UTC)
    response = _as(client, coordinator).post(
        reverse("web:org_person_job", args=[person.pk]),
        {
            "ending": held.pk,
            "job_function": new.pk,
            # The page reads the time in the site's zone (T3).
            "effective": timezone.localtime(
                before_start, timezone=zoneinfo.ZoneInfo("Europe/Dublin")
            ).strftime("%Y-%m-%dT%H:%M"),
            "reason": "Promoted",
        },
    )
    assert response.status_code == 422
    assert "after the start" in response.context["form"].errors["effective"][0]
    held.refresh_from_db()
    assert held.valid_to is None
    assert not JobAssignment.objects.filter(job_function=new).exists()


@pytest.mark.requirement("T2")
def test_the_coordinator_changes_a_job_from_the_page(client, coordinator, site):
    person = org.person_create(actor=coordinator, employee_number="E1", full_name="Ann", site=site)
    old = org.job_function_create(actor=coordinator, code="OP", name="Operator", site=site)
    new = org.job_function_create(actor=coordinator, code="LEAD", name="Lead", site=site)
    held = org.job_assignment_start(
        actor=coordinator,
        person=person,
        job_function=old,
        valid_from=timezone.now() - dt.timedelta(days=3),
    )
    response = _as(client, coordinator).post(
        reverse("web:org_person_job", args=[person.pk]),
        {"ending": held.pk, "job_function": new.pk, "effective": "", "reason": "Promoted"},
    )
    assert response.status_code == 422  # the effective time is needed
    today = timezone.localtime(timezone=zoneinfo.ZoneInfo("Europe/Dublin"))
    response = _as(client, coordinator).post(
        reverse("web:org_person_job", args=[person.pk]),
        {
            "ending": held.pk,
            "job_function": new.pk,
            "effective": today.strftime("%Y-%m-%dT%H:%M"),
            "reason": "Promoted",
        },
    )
    assert response.status_code == 302
    held.refresh_from_db()
    started = JobAssignment.objects.get(job_function=new)
    assert held.valid_to == started.valid_from


@pytest.mark.requirement("P16")
def test_a_duplicate_employee_number_is_refused_on_the_page(client, coordinator, site):
    org.person_create(actor=coordinator, employee_number="E100", full_name="Ann", site=site)
    response = _as(client, coordinator).post(
        reverse("web:org_person_new"),
        {"employee_number": "e100", "full_name": "Bob Stone", "site": site.pk},
    )
    assert response.status_code == 422
    assert response.context["form"].errors["employee_number"]
    assert 'value="Bob Stone"' in response.content.decode()


@pytest.mark.requirement("P15")
def test_the_people_list_filters_sorts_and_pages(client, coordinator, admin, site):
    cork = org.site_create(actor=admin, code="CRK", name="Cork", time_zone="Europe/Dublin")
    for n in range(55):
        org.person_create(
            actor=coordinator, employee_number=f"D{n:03d}", full_name=f"Dub {n:03d}", site=site
        )
    org.person_create(actor=coordinator, employee_number="C1", full_name="Cora", site=cork)
    page = _as(client, coordinator)
    first = page.get(reverse("web:org_people"), {"site": "dub", "sort": "-employee_number"})
    assert first.status_code == 200
    numbers = [obj.employee_number for obj, *_ in first.context["rows"]]
    assert len(numbers) == 50
    assert numbers[0] == "D054"
    assert "C1" not in numbers
    second = page.get(
        reverse("web:org_people"), {"site": "dub", "sort": "-employee_number", "page": 2}
    )
    assert [obj.employee_number for obj, *_ in second.context["rows"]][-1] == "D000"
    bad = page.get(reverse("web:org_people"), {"sort": "salary"})
    assert bad.status_code == 400


@pytest.mark.requirement("P15", "U2")
@pytest.mark.parametrize(
    ("persona", "read", "write"),
    [
        ("admin", 200, True),
        ("coordinator", 200, False),
        ("auditor", 200, False),
        ("employee", 403, False),
        ("qa", 403, False),
    ],
)
def test_who_reads_and_changes_sites(request, client, site, persona, read, write):
    user = request.getfixturevalue(persona)
    page = _as(client, user)
    assert page.get(reverse("web:org_sites")).status_code == read
    response = page.post(
        reverse("web:org_site_new"),
        {"code": "NEW", "name": "New", "time_zone": "UTC", "gate_policy": "refuse",
         "late_entry_hours": "72"},
    )  # fmt: skip
    assert (response.status_code == 302) is write
    assert Site.objects.filter(code="NEW").exists() is write


@pytest.mark.requirement("P15", "U2")
@pytest.mark.parametrize(("persona", "allowed"), [("coordinator", True), ("admin", False)])
def test_people_are_managed_by_the_coordinator_not_the_administrator(
    request, client, site, persona, allowed
):
    page = _as(client, request.getfixturevalue(persona))
    response = page.post(
        reverse("web:org_person_new"),
        {"employee_number": "E9", "full_name": "Nina", "site": site.pk},
    )
    assert response.status_code == (302 if allowed else 403)


@pytest.mark.requirement("U2")
def test_a_client_restricted_user_sees_only_their_clients_job_functions(
    client, admin, coordinator, site
):
    from tests.personas import make_user

    acme = org.client_create(actor=admin, code="ACME", name="Acme")
    beta = org.client_create(actor=admin, code="BETA", name="Beta")
    org.job_function_create(actor=coordinator, code="JF-A", name="A", client=acme)
    org.job_function_create(actor=coordinator, code="JF-B", name="B", client=beta)
    org.job_function_create(actor=coordinator, code="JF-H", name="House")
    restricted = make_user("acme_coord", "employee", "training_coordinator")
    org.client_access_grant(actor=admin, user=restricted, client=acme, reason="Acme team")
    response = _as(client, restricted).get(reverse("web:org_job_functions"))
    assert [obj.code for obj, *_ in response.context["rows"]] == ["JF-A"]


@pytest.mark.requirement("A1", "Q9")
def test_the_coordinator_sets_a_manager_and_records_a_leaving_from_the_pages(
    client, coordinator, site
):
    boss = org.person_create(actor=coordinator, employee_number="B1", full_name="Bea", site=site)
    person = org.person_create(actor=coordinator, employee_number="E2", full_name="Ann", site=site)
    _as(client, coordinator)
    response = client.post(
        reverse("web:org_person_manager", args=[person.pk]),
        {"manager": boss.pk, "reason": "New team"},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.manager_id == boss.pk

    response = client.post(reverse("web:org_person_leave", args=[person.pk]), {"left_at": ""})
    assert response.status_code == 422  # a leaving needs its reason
    person.refresh_from_db()
    assert person.active
    response = client.post(
        reverse("web:org_person_leave", args=[person.pk]), {"left_at": "", "reason": "Resigned"}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert not person.active
    assert person.left_at is not None


@pytest.mark.requirement("P206")
def test_the_site_page_offers_every_zone_read_once_per_process(client, admin, site, monkeypatch):
    from qualify.org import models

    page = _as(client, admin)
    page.get(reverse("web:org_site", args=[site.pk]))  # the names are read by now
    searches = []
    real = zoneinfo.available_timezones
    monkeypatch.setattr(zoneinfo, "available_timezones", lambda: searches.append(1) or real())
    shown = page.get(reverse("web:org_site", args=[site.pk]))
    page.get(reverse("web:org_site_new"))
    assert searches == []
    assert list(shown.context["zones"]) == sorted(real())
    assert models.time_zone_names() == tuple(sorted(real()))
    # The check of a typed zone uses the same names: a known zone passes, another is refused.
    models.validate_time_zone("Pacific/Chatham")
    with pytest.raises(models.ValidationError):
        models.validate_time_zone("Pacific/Atlantis")


@pytest.mark.requirement("P213", "P15")
def test_the_people_list_reads_what_it_shows_and_no_account_passwords(
    client, coordinator, employee, site
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    org.person_create(
        actor=coordinator, employee_number="E1", full_name="Emma", site=site, user=employee
    )
    page = _as(client, coordinator)
    with CaptureQueriesContext(connection) as read:
        shown = page.get(reverse("web:org_people"))
    (row,) = [(first, rest) for obj, _, first, rest in shown.context["rows"] if first == "Emma"]
    assert row == ("Emma", ["E1", employee.username, site.code, "-"])
    people = [q["sql"] for q in read if 'FROM "org_person"' in q["sql"] and "LIMIT" in q["sql"]]
    assert people
    assert not any('"accounts_user"."password"' in sql for sql in people)
    assert not any('"org_site"."time_zone"' in sql for sql in people)
