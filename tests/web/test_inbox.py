"""My work (issue 11): one inbox per user, the same list on the page, in the API and
in the menu's count; each item opens where the work is done, soonest due first."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from qualify.documents import services as documents
from qualify.org import services as org
from qualify.quality import services as quality
from qualify.quality.queries import work
from qualify.quality.tasks import run_reminders
from qualify.training import services as training
from qualify.training.models import Method
from tests.personas import PASSWORD
from tests.training.support import DAY, creds

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def menu_count(html: str) -> int:
    found = re.search(r'<span class="count"[^>]*>(\d+)</span>', html)
    return int(found.group(1)) if found else 0


def submitted(plant, number="SOP-020"):
    """A document whose revision 2 the document controller wrote and submitted."""
    document = plant.document(number)
    version = documents.version_draft(
        actor=plant.doc_controller,
        document=document,
        revision="2",
        change_summary="Clarified step 4",
        content_text="Revision 2",
    )
    documents.version_submit(
        actor=plant.doc_controller, version=version, credentials=creds(plant.doc_controller)
    )
    return version


@pytest.mark.requirement("Q5", "G7", "P28")
def test_employee_sees_their_open_trainings_soonest_first_each_opening_its_page(
    client, plant, employee
):
    operator = plant.person("Olivia", user=employee, job_function=plant.operators)
    late = plant.requirement("RU-LATE", document=plant.document("SOP-031"))
    soon = plant.requirement("RU-SOON", document=plant.document("SOP-032"))
    plant.matrix(late, window_days=40)
    plant.matrix(soon, window_days=5)
    other = plant.person("Peter", job_function=plant.operators)

    items = work.my_work(employee)

    assert [i.title.split()[0] for i in items] == ["RU-SOON", "RU-LATE"]
    assert all(i.kind == work.TRAINING for i in items)
    assert items[0].due_at < items[1].due_at
    page = login(client, employee).get(reverse("web:work"))
    html = page.content.decode()
    assert page.status_code == 200
    first = operator.assignments.get(requirement=soon)
    assert reverse("web:employee_assignment", args=[first.pk]) in html
    assert html.index("RU-SOON") < html.index("RU-LATE")
    assert menu_count(html) == 2
    # Another person's training is not in this inbox.
    assert other.full_name not in html
    # The training page itself answers the link.
    assert client.get(items[0].url).status_code == 200


@pytest.mark.requirement("S2", "S1", "P28")
def test_review_waits_for_a_reviewer_then_approval_for_a_different_qa_approver(client, plant):
    version = submitted(plant)
    # The author never sees their own version to review (S2).
    assert [i.kind for i in work.my_work(plant.doc_controller)] == []
    review = work.my_work(plant.reviewer)
    assert [i.kind for i in review] == [work.DOCUMENT_REVIEW]
    assert review[0].url == reverse("web:document_version", args=[version.pk])
    # Who acts next is named: the QA approvers, never the author or the reviewer (S2).
    assert review[0].next_actor == f"A QA approver approves it: {plant.qa.printed_name}."
    # Not yet reviewed: nothing for QA to approve.
    assert work.DOCUMENT_APPROVAL not in {i.kind for i in work.my_work(plant.qa)}

    documents.version_review(
        actor=plant.reviewer, version=version, credentials=creds(plant.reviewer)
    )

    assert work.my_work(plant.reviewer) == []
    approvals = [i for i in work.my_work(plant.qa) if i.kind == work.DOCUMENT_APPROVAL]
    assert [i.title for i in approvals] == ["Approve SOP-020 revision 2"]
    assert "Reviewer" in approvals[0].detail
    plant.approve(version)
    assert work.DOCUMENT_APPROVAL not in {i.kind for i in work.my_work(plant.qa)}


@pytest.mark.requirement("E2", "G5", "P28")
def test_capa_action_deviation_and_effectiveness_review_wait_for_qa(plant, qa):
    deviation = quality.deviation_create(
        actor=qa,
        number="DEV-2026-0142",
        site=plant.site,
        occurred_at=timezone.now() - DAY,
        description="Line clearance skipped on batch B-77.",
    )
    items = work.my_work(qa)
    assessed = [i for i in items if i.kind == work.DEVIATION]
    assert [i.title for i in assessed] == ["Assess deviation DEV-2026-0142"]
    assert assessed[0].url == reverse("web:quality_detail", args=["deviations", deviation.pk])

    capa = quality.capa_create(
        actor=qa,
        number="CAPA-2026-011",
        source="deviation",
        problem_statement="Line clearance done by one person.",
        root_cause_category="training",
        deviation=deviation,
    )
    quality.capa_action_add(
        actor=qa,
        capa=capa,
        kind="corrective",
        description="Add a second check to the line clearance form",
        owner=qa,
        due_at=timezone.now() + dt.timedelta(days=3),
    )
    kinds = [i.kind for i in work.my_work(qa)]
    # A CAPA raised from the deviation: assessed, it leaves the inbox.
    assert work.DEVIATION not in kinds
    assert work.CAPA_ACTION in kinds
    # Someone else's action is not in the employee's inbox.
    assert work.CAPA_ACTION not in {i.kind for i in work.my_work(plant.reviewer)}


@pytest.mark.requirement("Q4", "P28")
def test_trainer_sees_the_sessions_waiting_with_how_many_people(plant, trainer):
    _, certificate = plant.qualified_trainer()
    session = plant.requirement(
        "GMP-CLASS", method=Method.CLASSROOM, trainer_requirement=certificate
    )
    uncertified = plant.requirement(
        "GMP-OTHER",
        method=Method.CLASSROOM,
        trainer_requirement=plant.requirement("TTT-2", method=Method.EXTERNAL),
    )
    plant.matrix(session)
    plant.matrix(uncertified)
    plant.person("Ana", job_function=plant.operators)
    plant.person("Ben", job_function=plant.operators)

    items = [i for i in work.my_work(trainer) if i.kind == work.SESSION]

    assert len(items) == 1
    assert "GMP-CLASS" in items[0].title
    assert "2 people are waiting" in items[0].detail
    # A classroom training is held as a scheduled session (kiosk or own device, P40).
    assert items[0].url == f"{reverse('web:trainer_sessions')}?requirement={session.pk}"
    # An employee who does not train has no sessions to hold.
    assert work.SESSION not in {i.kind for i in work.my_work(plant.reviewer)}


@pytest.mark.requirement("Q1", "P28")
def test_owner_sees_periodic_review_due_from_the_same_rule_as_the_document_page(plant):
    document = plant.document("SOP-040", effective_from=timezone.now() - dt.timedelta(days=400))
    documents.document_update(
        actor=plant.doc_controller,
        document=document,
        reason="Yearly review",
        review_interval_months=12,
    )
    from qualify.documents import reviews

    document.refresh_from_db()
    expected = reviews.review_status(document, at=timezone.now()).due_at
    items = [i for i in work.my_work(plant.doc_controller) if i.kind == work.PERIODIC_REVIEW]
    assert [(i.title, i.due_at) for i in items] == [("Periodic review of SOP-040", expected)]
    assert items[0].overdue
    assert items[0].url == reverse("web:document_review", args=["SOP-040"])
    # Not the owner: not their review.
    assert work.PERIODIC_REVIEW not in {i.kind for i in work.my_work(plant.qa)}


@pytest.mark.requirement("U2", "P28")
def test_a_client_restricted_user_sees_no_other_clients_work(plant, qa):
    novexa = org.client_create(actor=plant.admin, code="NVX", name="Novexa")
    acme = org.client_create(actor=plant.admin, code="ACM", name="Acme")
    for number, client_ in (("DEV-2026-0200", acme), ("DEV-2026-0201", novexa)):
        quality.deviation_create(
            actor=qa,
            number=number,
            site=plant.site,
            occurred_at=timezone.now() - DAY,
            description="Batch mix-up.",
            client=client_,
        )
    assert len([i for i in work.my_work(qa) if i.kind == work.DEVIATION]) == 2

    org.client_access_grant(actor=plant.admin, user=qa, client=acme, reason="Acme's QA only")

    qa = type(qa).objects.get(pk=qa.pk)  # a new request: the restriction is read again
    assert [i.title for i in work.my_work(qa) if i.kind == work.DEVIATION] == [
        "Assess deviation DEV-2026-0200"
    ]


@pytest.mark.requirement("P28")
def test_page_and_api_list_the_same_work_and_the_page_reads_a_bounded_number_of_queries(
    client, plant, employee, django_assert_max_num_queries
):
    plant.person("Olivia", user=employee, job_function=plant.operators)
    for n in range(3):
        plant.matrix(plant.requirement(f"RU-{n}", document=plant.document(f"SOP-10{n}")))
    login(client, employee)
    client.get(reverse("web:work"))  # the session's first write (P184) is not the page's
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("web:work"))
    for n in range(3, 15):
        plant.matrix(plant.requirement(f"RU-{n}", document=plant.document(f"SOP-1{n:02d}")))
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        page = client.get(reverse("web:work"))
    assert len(many.captured_queries) == len(few.captured_queries)
    html = page.content.decode()
    assert menu_count(html) == 15

    answer = client.get(reverse("api:me-work")).json()
    assert answer["count"] == 15
    assert answer["counts"] == {"training": 15}
    titles = [item["title"] for item in answer["items"]]
    assert titles == [i.title for i in work.my_work(employee)]
    assert all(item["url"].startswith("/employee/assignments/") for item in answer["items"])


@pytest.mark.requirement("P28")
def test_menu_count_is_read_once_per_page(client, plant, employee):
    plant.person("Olivia", user=employee, job_function=plant.operators)
    plant.matrix(plant.requirement("RU-1", document=plant.document("SOP-201")))
    login(client, employee)
    html = client.get(reverse("web:employee_training")).content.decode()
    assert menu_count(html) == 1
    assert 'href="/work/"' in html


@pytest.mark.requirement("G1", "P28")
def test_new_training_is_mailed_after_commit_with_a_link_to_the_inbox(
    plant, employee, django_capture_on_commit_callbacks
):
    employee.email = "olivia@plant.example"
    employee.save(update_fields=["email"])
    person = plant.person("Olivia", user=employee, job_function=plant.operators)
    org.person_update(actor=plant.coordinator, person=person, reason="mail", email=employee.email)
    requirement = plant.requirement("RU-MAIL", document=plant.document("SOP-301"))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        plant.matrix(requirement)
    # Nothing is sent before the commit.
    assert [m for m in mail.outbox if employee.email in m.to] == []
    for callback in callbacks:
        callback()
    notices = [m for m in mail.outbox if employee.email in m.to]
    assert len(notices) == 1
    assert "RU-MAIL" in notices[0].body
    assert "/work/" in notices[0].body


@pytest.mark.requirement("G7", "P28")
def test_daily_digest_links_into_the_inbox(plant, employee):
    person = plant.person("Olivia", user=employee, job_function=plant.operators)
    org.person_update(
        actor=plant.coordinator, person=person, reason="mail", email="olivia@plant.example"
    )
    plant.matrix(plant.requirement("RU-DIG", document=plant.document("SOP-401")))
    mail.outbox.clear()
    run_reminders(at=timezone.now())
    digests = [m for m in mail.outbox if "olivia@plant.example" in m.to]
    assert digests
    assert "/work/" in digests[0].body


@pytest.mark.requirement("P28", "E3")
def test_training_record_signed_leaves_the_inbox(plant, employee):
    person = plant.person("Olivia", user=employee, job_function=plant.operators)
    requirement = plant.requirement("RU-DONE", document=plant.document("SOP-501"))
    plant.matrix(requirement)
    assert len(work.my_work(employee)) == 1
    training.record_read_and_understood(
        actor=employee, person=person, requirement=requirement, credentials=creds(employee)
    )
    assert work.my_work(employee) == []
