"""Issue 18, the revision fan-out nearer its floor: the cycle collector paused over the
fan-out and restored after it (P130), and the saved assignments the bulk writer hands on
made without a constructor per row, equal to their rows (P132)."""

import gc

import pytest
from django.core.exceptions import ValidationError
from django.db.models import signals
from django.utils import timezone

from qualify.gcpause import cycle_collection_paused
from qualify.training import events
from qualify.training.models import Assignment, AssignmentReason
from qualify.training.services import rules
from qualify.training.services.assignments import NewAssignment, create_assignments
from tests.training.support import DAY
from tests.training.test_fanout_bulk import _approved_without_fan_out, _crew

pytestmark = pytest.mark.django_db

ROW_FIELDS = [f.attname for f in Assignment._meta.concrete_fields]


@pytest.fixture
def sop(plant):
    return plant.requirement("SOP-020-RU", document=plant.document("SOP-020"))


@pytest.fixture
def collector_running():
    """Each test starts with the collector running and leaves it as it found it."""
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


# --- P130: the cycle collector ------------------------------------------------------------------


@pytest.mark.requirement("P130")
def test_the_collector_is_paused_inside_and_restored_after(collector_running):
    """Paused inside the block, running again after it, also when the block fails."""
    with cycle_collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    inside = []

    def failing():
        with cycle_collection_paused():
            inside.append(gc.isenabled())
            raise RuntimeError("the fan-out failed")

    with pytest.raises(RuntimeError):
        failing()
    assert inside == [False]
    assert gc.isenabled()


@pytest.mark.requirement("P130")
def test_a_nested_block_or_a_caller_s_pause_is_not_undone(collector_running):
    """A nested block leaves the outer block's pause in place; a collector the caller
    paused stays paused after the block."""
    with cycle_collection_paused():
        with cycle_collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    with cycle_collection_paused():
        pass
    assert not gc.isenabled()


@pytest.mark.requirement("P130", "G3")
def test_the_fan_out_runs_with_the_collector_paused_and_restores_it(
    plant, sop, collector_running, monkeypatch
):
    """G3 writes its assignments with the collector paused (seen by the hook it fires
    from inside the fan-out) and the collector runs again when it returns."""
    plant.matrix(sop)
    people = _crew(plant, sop, 6)
    version = _approved_without_fan_out(plant, sop.document, "2", timezone.now() + 40 * DAY)
    seen = []

    def listener(*, assignments, **_):
        seen.append((gc.isenabled(), len(assignments)))

    # The real handlers still run; this one is gone with the test.
    monkeypatch.setattr(
        events.assignment_created, "_handlers", [*events.assignment_created._handlers]
    )
    events.assignment_created.connect(listener)
    created = rules.on_version_approved(actor=plant.qa, version=version)
    assert seen == [(False, len(people))]
    assert len(created) == len(people)
    assert gc.isenabled()


@pytest.mark.requirement("P130", "G3")
def test_a_refused_fan_out_restores_the_collector(plant, sop, collector_running):
    """A fan-out refused (effective before the shortest training window, no QA
    exception) raises as before and leaves the collector running."""
    plant.matrix(sop)  # the default training window, 30 days
    _crew(plant, sop, 3)
    version = _approved_without_fan_out(plant, sop.document, "2", timezone.now() + DAY)
    with pytest.raises(ValidationError, match="window exception"):
        rules.on_version_approved(actor=plant.qa, version=version)
    assert gc.isenabled()


# --- P132: saved assignments without a constructor per row ------------------------------------


def _wanted(plant, sop, count):
    now = timezone.now()
    return now, [
        NewAssignment(
            person_id=plant.person(f"W{i}").pk,
            requirement_id=sop.pk,
            due_at=now + (i + 1) * DAY,
            reason=AssignmentReason.COORDINATOR,
            source="test",
            reason_text=f"Team {i}",
        )
        for i in range(count)
    ]


def _assert_saved_rows(created):
    for a in created:
        stored = Assignment.objects.get(pk=a.pk)
        assert [getattr(a, f) for f in ROW_FIELDS] == [getattr(stored, f) for f in ROW_FIELDS]
        assert not a._state.adding
        assert a._state.db == stored._state.db
        assert a.person_id == stored.person.pk  # relations load as on a fetched row


@pytest.mark.requirement("P132", "P87")
def test_saved_assignments_are_their_rows_without_a_constructor(plant, sop, monkeypatch):
    """With nobody listening to pre_init or post_init, the bulk writer does not run
    the model's constructor per row, and each instance it returns is its row."""
    now, wanted = _wanted(plant, sop, 5)
    calls = []
    original = Assignment.__init__

    def counting(self, *args, **kwargs):
        calls.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Assignment, "__init__", counting)
    created = create_assignments(wanted, actor=plant.coordinator, now=now)
    monkeypatch.undo()
    assert len(created) == 5
    assert len(calls) <= 1  # at most the one prototype row, not one per row
    _assert_saved_rows(created)


@pytest.mark.requirement("P132")
def test_a_post_init_receiver_hears_of_every_saved_assignment(plant, sop):
    """When a post_init receiver listens to Assignment, every instance the bulk writer
    returns is made through the model, so the receiver hears of each one."""
    now, wanted = _wanted(plant, sop, 4)
    heard = []

    def receiver(sender, instance, **_):
        heard.append(instance)

    signals.post_init.connect(receiver, sender=Assignment)
    try:
        created = create_assignments(wanted, actor=None, now=now)
    finally:
        signals.post_init.disconnect(receiver, sender=Assignment)
    assert len(created) == 4
    assert all(any(h is a for h in heard) for a in created)
    _assert_saved_rows(created)
