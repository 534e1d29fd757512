"""The training hooks other layers react to: assignments created (once per fan-out)
and qualifications lost (a requalification order, in the transaction of the change; a
revision, for those qualified on the old baseline, by a task queued at its commit, as
known at the approval)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qualify.documents.models import VersionStatus
from qualify.training import engine, events
from qualify.training import services as training
from qualify.training.models import AssignmentReason
from qualify.training.services import rules
from tests.training.support import DAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard(monkeypatch):
    """Every firing of the two hooks, with its kwargs (the real handlers still run)."""
    calls: dict[str, list[dict]] = {"created": [], "lost": []}
    for name, hook in (("created", events.assignment_created), ("lost", events.qualification_lost)):
        monkeypatch.setattr(hook, "_handlers", [*hook._handlers])
        hook.connect(lambda calls=calls[name], **kw: calls.append(kw))
    return calls


@pytest.fixture
def sop(plant):
    return plant.requirement("SOP-014-RU", document=plant.document("SOP-014"))


@pytest.mark.requirement("G1", "G3")
def test_a_revision_fan_out_fires_assignment_created_once_with_the_list(plant, sop, heard):
    plant.matrix(sop)
    crew = [plant.person("Op", job_function=plant.operators) for _ in range(4)]
    heard["created"].clear()
    plant.revise(sop.document, "2", effective_from=timezone.now() + 40 * DAY)
    [fired] = heard["created"]
    assert sorted(a.person_id for a in fired["assignments"]) == sorted(p.pk for p in crew)
    assert {a.reason for a in fired["assignments"]} == {AssignmentReason.REVISION}
    assert fired["actor"] == plant.qa


@pytest.mark.requirement("G5")
def test_an_individual_assignment_goes_through_the_same_path(plant, sop, heard):
    ann = plant.person("Ann")
    assignment = training.assignment_create_individual(
        actor=plant.coordinator, person=ann, requirement=sop, due_at=timezone.now() + DAY
    )
    [fired] = heard["created"]
    assert fired["assignments"] == [assignment]


@pytest.mark.requirement("G5", "Q4")
def test_a_requalification_order_fires_qualification_lost(plant, sop, heard):
    ann = plant.person("Ann", job_function=plant.operators)
    plant.matrix(sop)
    plant.read(ann, sop)
    order, assignment = training.requalification_order(
        actor=plant.qa, person=ann, requirement=sop, reason="Wrong line clearance"
    )
    [fired] = heard["lost"]
    [loss] = fired["losses"]
    assert (loss.person_id, loss.requirement_id, loss.assignment_id) == (
        ann.pk,
        sop.pk,
        assignment.pk,
    )
    assert loss.cause == events.REQUALIFICATION
    assert loss.lost_at == order.issued_at
    assert loss.source == f"training.requalificationorder:{order.pk}"


@pytest.mark.requirement("G3", "Q2", "Q4")
def test_a_revision_loses_only_those_qualified_on_the_old_baseline(
    plant, sop, heard, django_capture_on_commit_callbacks
):
    plant.matrix(sop)
    trained = plant.person("Trained", job_function=plant.operators)
    plant.read(trained, sop)
    plant.person("Never trained", job_function=plant.operators)
    effective = timezone.now() + 40 * DAY
    with django_capture_on_commit_callbacks(execute=True):
        plant.revise(sop.document, "2", effective_from=effective)
        assert heard["lost"] == []  # asked after the approval's commit
    [fired] = heard["lost"]
    [loss] = fired["losses"]
    assert loss.person_id == trained.pk
    assert loss.cause == events.REVISION
    assert loss.lost_at == effective

    heard["lost"].clear()
    with django_capture_on_commit_callbacks(execute=True):
        plant.revise(sop.document, "3", retraining_required=False, effective_from=effective + DAY)
    assert heard["lost"] == []  # an editorial change keeps the baseline (Q2)


@pytest.mark.requirement("G3", "Q4", "P196")
def test_a_revisions_losses_are_those_known_at_its_approval(
    plant, sop, heard, django_capture_on_commit_callbacks
):
    """Told after the commit, the losses are still the approval's: a requalification
    order issued between the approval and the task (which revokes the old baseline's
    qualification before the revision could) changes nothing of them."""
    plant.matrix(sop)
    trained = plant.person("Trained", job_function=plant.operators)
    plant.read(trained, sop)
    effective = timezone.now() + 40 * DAY
    with django_capture_on_commit_callbacks() as queued:
        plant.revise(sop.document, "2", effective_from=effective)
    training.requalification_order(
        actor=plant.qa, person=trained, requirement=sop, reason="Wrong line clearance"
    )
    pair = [(trained.pk, sop.pk)]
    assert engine.lost_between(pair, effective - DAY, effective) == [False]  # as known now
    heard["lost"].clear()
    for callback in queued:
        callback()
    [fired] = heard["lost"]
    assert [(x.person_id, x.cause) for x in fired["losses"]] == [(trained.pk, events.REVISION)]


@pytest.mark.requirement("G3")
def test_losses_are_computed_set_based(plant, heard, django_capture_on_commit_callbacks):
    """Queries do not grow with the number of people who lose the qualification."""

    def fan_out_queries(count: int, number: str) -> int:
        requirement = plant.requirement(f"{number}-RU", document=plant.document(number))
        crew = plant.job_function(f"JF-{number}")  # no one else holds it
        plant.matrix(requirement, crew)
        for _ in range(count):
            person = plant.person(f"P{number}", job_function=crew)
            plant.read(person, requirement)
        version = plant.draft(requirement.document, "2")
        type(version).objects.filter(pk=version.pk).update(
            status=VersionStatus.APPROVED,
            approved_at=timezone.now(),
            effective_from=timezone.now() + 40 * DAY,
            baseline=version,
        )
        version.refresh_from_db()
        heard["lost"].clear()
        with CaptureQueriesContext(connection) as queries:
            with django_capture_on_commit_callbacks() as queued:
                rules.on_version_approved(actor=plant.qa, version=version)
            for callback in queued:  # the losses' task, not the notices it queues
                callback()
        assert len(heard["lost"][0]["losses"]) == count
        return len(queries)

    assert fan_out_queries(3, "SOP-100") == fan_out_queries(30, "SOP-200")
