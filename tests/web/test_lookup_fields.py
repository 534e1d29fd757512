"""Lookup fields (issue 18): a form that chooses among people, documents, requirements,
owners or deviations renders none of them as options; the lookup's search offers only
rows within the user's reach, as does the field; exact keys work without JavaScript."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from qualify.accounts import roles
from qualify.audit.models import AccessEvent
from qualify.documents import services as documents
from qualify.org import services as org
from qualify.org.models import Person
from qualify.quality import services as quality
from qualify.quality.models import Deviation
from qualify.training.models import Method
from qualify.web.lookup.queries import LIMIT
from tests.personas import make_user
from tests.web.test_client_walk import grant

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P156")]


def local(when):
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def _capa(qa):
    return quality.capa_create(
        actor=qa,
        number="CAPA-2026-001",
        source="audit_finding",
        problem_statement="Line clearance missed",
        root_cause_category="equipment",
    )


def _more(plant, n: int, tag: str):
    """n more people (with accounts), documents, requirements and job functions."""
    for i in range(n):
        plant.person(f"Extra{tag} {i}")
        documents.document_create(
            actor=plant.doc_controller,
            number=f"SOP-{tag}{i:03d}",
            title=f"Extra procedure {tag}{i}",
            doc_type="sop",
            owner=plant.doc_controller,
            site=plant.site,
        )
        plant.requirement(f"RQ-{tag}{i:03d}", method=Method.EXTERNAL)
        plant.job_function(f"JF-{tag}{i:03d}", f"Extra job {tag}{i}")
        org.department_create(
            actor=plant.admin, site=plant.site, code=f"D-{tag}{i:03d}", name=f"Extra dept {tag}{i}"
        )


def _form_pages(plant, capa, person):
    return [
        (plant.qa, reverse("web:quality_deviation_new")),
        (plant.qa, reverse("web:quality_capa_new")),
        (plant.qa, reverse("web:quality_capa_action_new", args=[capa.pk])),
        (plant.qa, reverse("web:quality_capa_training_new", args=[capa.pk])),
        (plant.doc_controller, reverse("web:quality_cc_new")),
        (plant.coordinator, reverse("web:org_person_manager", args=[person.pk])),
        (plant.coordinator, reverse("web:coordinator_requirement_new")),
        (plant.coordinator, reverse("web:coordinator_assignment_new")),
        (plant.coordinator, reverse("web:coordinator_matrix_add")),
        (plant.coordinator, reverse("web:org_person_job", args=[person.pk])),
        (plant.coordinator, reverse("web:org_person_new")),
        (plant.coordinator, reverse("web:org_job_function_new")),
        (plant.coordinator, reverse("web:org_job_function", args=[plant.operators.pk])),
    ]


def _measure(client, pages, django_assert_max_num_queries):
    out = {}
    for user, url in pages:
        client.force_login(user)
        with django_assert_max_num_queries(60) as counted:
            response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        out[url] = (len(counted.captured_queries), html)
    return out


def test_form_pages_render_no_more_options_or_queries_for_more_rows(
    client, plant, django_assert_max_num_queries
):
    capa = _capa(plant.qa)
    person = plant.person("Subject")
    _more(plant, 3, "A")
    before = _measure(client, _form_pages(plant, capa, person), django_assert_max_num_queries)
    _more(plant, 30, "B")
    after = _measure(client, _form_pages(plant, capa, person), django_assert_max_num_queries)
    for url, (queries, html) in after.items():
        old_queries, old_html = before[url]
        assert queries == old_queries, url
        # None of the new rows is on the page, and the page is no bigger for them.
        for added in ("ExtraB", "SOP-B0", "RQ-B0", "JF-B0", "D-B0"):
            assert added not in html, url
        assert abs(len(html) - len(old_html)) < 200, url
        assert html.count("<option") <= 30, url


@pytest.mark.requirement("P141")
def test_the_search_offers_matches_at_most_limit(client, plant):
    for i in range(LIMIT + 5):
        plant.person(f"Many {i}")
    client.force_login(plant.qa)
    page = client.get(reverse("web:lookup", args=["people"]), {"people__q": "many"})
    assert page.status_code == 200
    assert page.content.decode().count('role="option"') == LIMIT
    assert b"type more to narrow" in page.content
    url = reverse("web:lookup", args=["people"])
    one = client.get(url, {"q": "many 7"}).content.decode()
    wanted = Person.objects.filter(full_name__startswith="Many 7").order_by("full_name", "pk")
    assert re.findall(r'role="option"[^>]*>([^<]*)<', one) == [
        f"{p.full_name} ({p.employee_number})" for p in wanted
    ]
    # P141: the matches offered are in the access log as seen in a list.
    logged = AccessEvent.objects.filter(entry__contains='"view":"list"').filter(
        entry__contains=f'"path":"{url}"'
    )
    assert {e.object_id for e in logged} >= {str(p.pk) for p in wanted}


@pytest.mark.requirement("P157", "U2")
def test_search_and_field_keep_to_the_users_clients(client, plant, admin):
    alpha = org.client_create(actor=admin, code="ALPHA", name="Alpha Pharma")
    bravo = org.client_create(actor=admin, code="BRAVO", name="Bravo Bio")
    jf_a = org.job_function_create(
        actor=plant.coordinator, code="JF-A", name="A", site=plant.site, client=alpha
    )
    jf_b = org.job_function_create(
        actor=plant.coordinator, code="JF-B", name="B", site=plant.site, client=bravo
    )
    ours = plant.person("Alphaworker", job_function=jf_a)
    theirs = plant.person("Bravoworker", job_function=jf_b)
    doc_b = documents.document_create(
        actor=plant.doc_controller,
        number="SOP-BRAVO",
        title="Bravo procedure",
        doc_type="sop",
        owner=plant.doc_controller,
        site=plant.site,
        client=bravo,
    )
    qa_alpha = make_user("qa_alpha", roles.EMPLOYEE, roles.QA_APPROVER)
    grant(admin, qa_alpha, alpha)
    client.force_login(qa_alpha)
    url = reverse("web:lookup", args=["people"])
    found = client.get(url, {"q": "worker"}).content.decode()
    assert ours.full_name in found
    assert theirs.full_name not in found
    assert theirs.full_name not in client.get(url, {"q": theirs.employee_number}).content.decode()
    assert (
        b"SOP-BRAVO"
        not in client.get(reverse("web:lookup", args=["documents"]), {"q": "SOP"}).content
    )

    new = reverse("web:quality_deviation_new")
    data = {
        "site": plant.site.pk,
        "client": alpha.pk,
        "occurred_at": local(timezone.now() - dt.timedelta(hours=1)),
        "description": "Door left open",
    }
    by_id = client.post(new, {**data, "people": [theirs.pk]})
    assert by_id.status_code == 422
    assert by_id.context["form"].errors["people"]
    by_key = client.post(new, {**data, "people__q": theirs.employee_number})
    assert by_key.status_code == 422
    assert theirs.employee_number in by_key.context["form"].errors["people"][0]
    by_number = client.post(new, {**data, "documents__q": doc_b.number})
    assert by_number.status_code == 422
    assert "No document you may choose" in by_number.context["form"].errors["documents"][0]
    assert not Deviation.objects.exists()


@pytest.mark.requirement("P157")
def test_a_role_that_fills_no_form_of_a_kind_may_not_search_it(client, plant, auditor, employee):
    client.force_login(auditor)
    assert client.get(reverse("web:lookup", args=["people"]), {"q": "a"}).status_code == 403
    client.force_login(employee)
    assert client.get(reverse("web:lookup", args=["requirements"]), {"q": "a"}).status_code == 403
    assert client.get(reverse("web:lookup", args=["accounts"]), {"q": "a"}).status_code == 403
    client.force_login(plant.qa)
    assert client.get(reverse("web:lookup", args=["nothing"]), {"q": "a"}).status_code == 403


@pytest.mark.requirement("P158")
def test_exact_numbers_typed_without_javascript_are_resolved(client, plant, reading, employee):
    operator, document, _requirement, _assignment = reading
    other = plant.person("Second")
    client.force_login(employee)
    response = client.post(
        reverse("web:quality_deviation_new"),
        {
            "site": plant.site.pk,
            "occurred_at": local(timezone.now() - dt.timedelta(hours=2)),
            "description": "Filled without line clearance",
            # Employee number and user id, any letter case, with a ticked id beside.
            "people": [operator.pk],
            "people__q": f"{other.employee_number.lower()}, {operator.user.username}",
            "documents__q": document.number.lower(),
        },
    )
    assert response.status_code == 302
    deviation = Deviation.objects.get()
    assert set(deviation.people.all()) == {operator, other}
    assert list(deviation.documents.all()) == [document]


@pytest.mark.requirement("P158")
def test_a_key_naming_nobody_or_two_people_is_refused_by_name(client, plant, employee):
    first = plant.person("First")
    # Another person's user id equal to the first one's employee number.
    clash_user = make_user(first.employee_number.lower(), roles.EMPLOYEE)
    plant.person("Clash", user=clash_user)
    client.force_login(plant.qa)
    data = {
        "site": plant.site.pk,
        "occurred_at": local(timezone.now() - dt.timedelta(hours=2)),
        "description": "Something",
        "people__q": f"E99999 {first.employee_number}",
    }
    page = client.post(reverse("web:quality_deviation_new"), data)
    assert page.status_code == 422
    errors = page.context["form"].errors["people"]
    assert errors == [
        "No person you may choose has the employee number or user id E99999.",
        f"{first.employee_number} names more than one person: search by name and pick one.",
    ]
    # The typed text stays in the box for correcting.
    assert f'value="E99999 {first.employee_number}"' in page.content.decode()


@pytest.mark.requirement("P158")
def test_a_single_lookup_takes_one_key_which_replaces_the_ticked_row(client, plant):
    person = plant.person("Subject")
    boss = plant.person("Boss")
    new_boss = plant.person("Newboss")
    url = reverse("web:org_person_manager", args=[person.pk])
    client.force_login(plant.coordinator)
    assert client.post(url, {"manager": boss.pk, "reason": "Team"}).status_code == 302
    page = client.get(url).content.decode()
    assert f'value="{boss.pk}" checked' in page
    assert boss.full_name in page
    two = client.post(url, {"manager__q": f"{boss.employee_number} {new_boss.employee_number}",
                            "reason": "x"})  # fmt: skip
    assert two.status_code == 422
    assert two.context["form"].errors["manager"] == ["Name one person only."]
    replaced = client.post(
        url, {"manager": boss.pk, "manager__q": new_boss.employee_number, "reason": "Move"}
    )
    assert replaced.status_code == 302
    person.refresh_from_db()
    assert person.manager == new_boss
    # Unticked and nothing typed: no manager.
    assert client.post(url, {"reason": "Left"}).status_code == 302
    person.refresh_from_db()
    assert person.manager is None


@pytest.mark.requirement("P212")
def test_the_row_a_lookup_found_is_drawn_without_reading_it_again(plant, coordinator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qualify.org.models import JobFunction
    from qualify.web.coordinator.forms import AssignmentFilterForm
    from qualify.web.lookup.fields import TEXT_SUFFIX

    other = plant.job_function("JF-OTHER", "Other job")
    visible = JobFunction.objects.order_by("code")

    def form(data):
        return AssignmentFilterForm(
            data,
            sites=plant.site.__class__.objects.all(),
            departments=plant.site.departments.all(),
            job_functions=visible,
        )

    ticked = form({"job_function": str(plant.operators.pk)})
    assert ticked.is_valid(), ticked.errors
    assert ticked.cleaned_data["job_function"] == plant.operators
    with CaptureQueriesContext(connection) as drawn:
        html = str(ticked["job_function"])
    assert not any("org_jobfunction" in q["sql"] for q in drawn)
    assert f'value="{plant.operators.pk}"' in html
    assert plant.operators.code in html
    # A typed key is drawn as typed, and another row than the one found is read.
    typed = form({"job_function" + TEXT_SUFFIX: other.code})
    assert typed.is_valid(), typed.errors
    assert typed.cleaned_data["job_function"] == other
    unchecked = form({"job_function": str(other.pk)})
    with CaptureQueriesContext(connection) as read:
        html = str(unchecked["job_function"])
    assert any("org_jobfunction" in q["sql"] for q in read)
    assert other.code in html
