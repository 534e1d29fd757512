"""The header's search box finds people (name, employee number, user id), documents
(number, title) and quality records by number, letter case ignored, only within the
user's reach: their roles, their client restriction (U2) and their own records
(P15)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from qualify.documents import services as documents
from qualify.org import services as org
from qualify.quality import services as quality
from tests.personas import make_user


def _hits(client, user, text):
    client.force_login(user)
    response = client.get(reverse("web:search"), {"q": text})
    assert response.status_code == 200
    return {label: [t for t, _ in hits] for label, hits in response.context["sections"]}


@pytest.mark.requirement("P15")
def test_people_are_found_by_name_employee_number_or_user_id(client, plant, coordinator):
    person = plant.person("Olivia Byrne")
    hits = _hits(client, coordinator, person.employee_number.lower())
    assert hits["People"] == [f"{person.full_name} ({person.employee_number})"]
    assert _hits(client, coordinator, person.user.username.upper())["People"] == hits["People"]
    assert _hits(client, coordinator, "BYRNE")["People"] == hits["People"]


@pytest.mark.requirement("P15", "U2")
def test_documents_are_found_by_number_or_title_and_only_by_their_readers(
    client, plant, doc_controller, employee
):
    documents.document_create(
        actor=doc_controller,
        number="SOP-014",
        title="Line clearance",
        doc_type="sop",
        owner=doc_controller,
        site=plant.site,
    )
    assert _hits(client, doc_controller, "sop-014")["Documents"] == ["SOP-014 Line clearance"]
    assert _hits(client, doc_controller, "CLEARANCE")["Documents"] == ["SOP-014 Line clearance"]
    # The employee's roles do not read the document register: no section at all.
    assert "Documents" not in _hits(client, employee, "SOP-014")


@pytest.mark.requirement("U2")
def test_a_client_restricted_user_never_finds_another_clients_document(
    client, admin, doc_controller, plant
):
    acme = org.client_create(actor=admin, code="ACME", name="Acme")
    beta = org.client_create(actor=admin, code="BETA", name="Beta")
    for number, sponsor in (("SOP-A1", acme), ("SOP-B1", beta), ("SOP-H1", None)):
        documents.document_create(
            actor=doc_controller,
            number=number,
            title="Filling",
            doc_type="sop",
            owner=doc_controller,
            site=plant.site,
            client=sponsor,
        )
    restricted = make_user("acme_dc", "employee", "document_controller")
    org.client_access_grant(actor=admin, user=restricted, client=acme, reason="Acme team")
    assert _hits(client, restricted, "sop-")["Documents"] == ["SOP-A1 Filling"]
    assert len(_hits(client, doc_controller, "sop-")["Documents"]) == 3


@pytest.mark.requirement("P15")
def test_an_employee_finds_the_deviations_they_reported_and_no_others(client, plant, qa, employee):
    person = plant.person("Olivia")
    occurred = timezone.now() - dt.timedelta(hours=1)
    quality.deviation_create(
        actor=qa, number="DEV-2026-001", site=plant.site, occurred_at=occurred,
        description="QA's", people=[person],
    )  # fmt: skip
    quality.deviation_create(
        actor=employee, number="DEV-2026-002", site=plant.site, occurred_at=occurred,
        description="Mine", people=[person],
    )  # fmt: skip
    assert _hits(client, employee, "dev-2026")["Deviations"] == ["DEV-2026-002"]
    assert _hits(client, qa, "dev-2026")["Deviations"] == ["DEV-2026-001", "DEV-2026-002"]


@pytest.mark.requirement("P16")
def test_an_overlong_search_is_refused_with_a_message(client, employee):
    client.force_login(employee)
    response = client.get(reverse("web:search"), {"q": "x" * 101})
    assert response.status_code == 400
    assert "at most 100 characters" in response.content.decode()


@pytest.mark.requirement("P15")
def test_every_page_carries_the_search_box(client, employee):
    client.force_login(employee)
    page = client.get(reverse("web:home"), follow=True).content.decode()
    assert f'action="{reverse("web:search")}"' in page
