"""P78: a training coordinator waives a cmi5 AU of a learner's attempt on a page, with
cmi5's reason and a written justification; the waived AU satisfies moveOn; anyone else
is refused, and the refusal is audited."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from qualify.audit.models import AuditEvent
from qualify.content import cmi5, services
from qualify.content.models import AttemptStatus, Statement
from tests.content import packages

pytestmark = pytest.mark.requirement("P78")


@pytest.fixture
def attempt(plant):
    _document, _requirement, learner, assignment = plant.course(packages.cmi5_package())
    return services.attempt_open(actor=learner.user, assignment=assignment)


def test_the_coordinator_waives_an_au_on_the_page(client, plant, attempt):
    client.force_login(plant.coordinator)
    listed = client.get("/content/waivers/")
    assert listed.status_code == 200
    assert f"/content/waivers/{attempt.pk}/".encode() in listed.content
    page = client.get(f"/content/waivers/{attempt.pk}/")
    assert page.status_code == 200
    assert b"Cleanroom entry AU" in page.content
    answer = client.post(
        f"/content/waivers/{attempt.pk}/",
        {
            "au": packages.AU_ID,
            "reason": "Equivalent Outside Activity",
            "justification": "GMP-101 at the CMO",
        },
    )
    assert answer.status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.COMPLETED
    event = AuditEvent.objects.get(action="content.cmi5.waived", object_id=str(attempt.pk))
    assert event.reason == "GMP-101 at the CMO"
    assert event.data["detail"]["cmi5_reason"] == "Equivalent Outside Activity"
    assert event.data["detail"]["au"] == packages.AU_ID
    waived = Statement.objects.get(attempt=attempt, verb=cmi5.WAIVED)
    assert waived.body["actor"]["account"]["name"] == attempt.person.employee_number


def test_a_waiver_without_justification_is_refused_and_nothing_is_stored(client, plant, attempt):
    client.force_login(plant.coordinator)
    answer = client.post(
        f"/content/waivers/{attempt.pk}/", {"au": packages.AU_ID, "reason": "Tested Out"}
    )
    assert answer.status_code == 422
    assert not Statement.objects.filter(attempt=attempt, verb=cmi5.WAIVED).exists()
    with pytest.raises(ValidationError) as refused:
        cmi5.waive(
            actor=plant.coordinator,
            attempt=attempt,
            au=packages.AU_ID,
            reason="Bored",
            justification="x",
        )
    assert "reason" in refused.value.message_dict


def test_no_one_else_waives_and_the_refusal_is_audited(client, plant, attempt):
    learner = attempt.person.user
    client.force_login(learner)
    assert client.get("/content/waivers/").status_code == 403
    assert (
        client.post(
            f"/content/waivers/{attempt.pk}/",
            {"au": packages.AU_ID, "reason": "Tested Out", "justification": "I know it"},
        ).status_code
        == 403
    )
    with pytest.raises(PermissionDenied):
        cmi5.waive(
            actor=learner,
            attempt=attempt,
            au=packages.AU_ID,
            reason="Tested Out",
            justification="I know it",
        )
    assert AuditEvent.objects.filter(action="content.cmi5.waive_refused").exists()
    assert not Statement.objects.filter(attempt=attempt, verb=cmi5.WAIVED).exists()


def test_an_unknown_or_already_waived_au_is_refused(plant, attempt):
    with pytest.raises(ValidationError) as unknown:
        cmi5.waive(
            actor=plant.coordinator,
            attempt=attempt,
            au="https://elsewhere.example/au",
            reason="Administrative",
            justification="Moved",
        )
    assert unknown.value.message_dict["au"] == [
        "The package has no AU 'https://elsewhere.example/au'."
    ]
    cmi5.waive(
        actor=plant.coordinator,
        attempt=attempt,
        au=packages.AU_ID,
        reason="Administrative",
        justification="Moved",
    )
    with pytest.raises(ValidationError) as again:
        cmi5.waive(
            actor=plant.coordinator,
            attempt=attempt,
            au=packages.AU_ID,
            reason="Administrative",
            justification="Moved",
        )
    assert again.value.messages == [
        "This attempt is completed, awaiting the learner's signature; nothing can be waived."
    ]
    assert Statement.objects.filter(attempt=attempt, verb=cmi5.WAIVED).count() == 1
