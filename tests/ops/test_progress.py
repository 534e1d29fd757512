"""P142: long work on the terminal shows a progress bar with the count done, the rate
and an estimate of the time left; without a terminal it writes a plain line now and
then instead of redrawing."""

import io

import pytest
from django.core.management import call_command

from qualify import progress
from qualify.seed import scale
from tests.seed.test_scale import TINY

pytestmark = pytest.mark.requirement("P142")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_estimate_is_the_time_left_at_the_rate_so_far():
    """Half done in 10 s leaves about 10 s; nothing done or no total gives no estimate."""
    assert progress.seconds_left(10.0, 50, 100) == pytest.approx(10.0)
    assert progress.seconds_left(10.0, 0, 100) is None
    assert progress.seconds_left(10.0, 5, None) is None
    assert progress.in_words(None) == "estimating time left"
    assert progress.in_words(9.6) == "about 10 s left"
    assert progress.in_words(600) == "about 10 min left"
    assert progress.in_words(5400) == "about 1.5 h left"


def test_on_a_terminal_the_bar_is_redrawn_in_place_at_most_five_times_a_second():
    """Each redraw starts with a carriage return; updates within 0.2 s are not drawn;
    the finished bar says how long it took and ends its line."""
    clock, out = Clock(), Terminal()
    with progress.Bar("verify", total=1000, stream=out, clock=clock) as bar:
        clock.now += 2
        bar.update(250)
        clock.now += 0.05
        bar.update(260)  # within 0.2 s of the last drawing: not drawn
        clock.now += 2
        bar.update(500)
        drawn = out.getvalue().split("\r\x1b[K")[1:]
        assert [d.split()[2] for d in drawn] == ["250/1,000", "500/1,000"]
        assert drawn[0] == "verify [######..................] 250/1,000 25% 125/s, about 6 s left"
        assert "50%" in drawn[1]
        assert "about 4 s left" in drawn[1]
        clock.now += 4
        bar.update(1000)
    assert out.getvalue().endswith("1,000/1,000 100% 124/s, done in 8.0 s\n")


def test_without_a_terminal_a_plain_line_is_written_every_ten_seconds_and_at_the_end():
    clock, out = Clock(), io.StringIO()
    bar = progress.Bar("import", total=300, stream=out, clock=clock)
    for _ in range(30):
        clock.now += 1
        bar.advance(10)
    bar.close()
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert [line.split()[2] for line in lines] == ["10/300", "110/300", "210/300", "300/300"]
    assert lines[1].endswith("about 19 s left")


def test_work_in_stages_shows_each_stage_finished_on_its_own_line():
    """Audit verification reports two stages (events, then record types): the first is
    shown finished before the second starts; time before the first report counts for
    the first stage's rate."""
    clock, out = Clock(), io.StringIO()
    with progress.Bar("audit verify", stream=out, clock=clock) as bar:
        clock.now += 1
        bar.follow("events", 0, 20_000)
        clock.now += 1
        bar.follow("events", 20_000, 20_000)
        bar.follow("records", 3, 40)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("events [")
    finished = next(n for n, line in enumerate(lines) if "20,000/20,000 100%" in line)
    assert "10,000/s, done in 2.0 s" in lines[finished]
    first_records = next(n for n, line in enumerate(lines) if line.startswith("records ["))
    assert finished < first_records
    assert "3/40" in lines[-1]


@pytest.mark.django_db
def test_the_scale_seed_reports_its_steps_and_what_it_is_doing():
    """`qualify seed` at scale: one step after another, named, to the end."""
    calls = []
    scale.build(TINY, seed=7, progress=lambda done, total, note: calls.append((done, total, note)))
    assert [c[0] for c in calls] == list(range(8))
    assert {c[1] for c in calls} == {7}
    assert calls[0][2] == "organisation"
    assert calls[3][2] == "records"
    assert calls[-1][2] == "done"
    out = io.StringIO()
    bar = progress.Bar("seed", stream=out)
    bar.step(3, 7, "records")
    assert "3/7 43%" in out.getvalue()
    assert "(records)" in out.getvalue()


@pytest.mark.django_db
def test_audit_verify_on_the_command_line_shows_its_progress_on_stderr(admin):
    """The events stage ends at the last event; the record check follows, finished."""
    from qualify.audit.models import AuditEvent

    events = AuditEvent.objects.count()
    assert events > 0
    out, err = io.StringIO(), io.StringIO()
    call_command("audit", "verify", stdout=out, stderr=err)
    assert "audit trail intact" in out.getvalue()
    lines = err.getvalue().splitlines()
    events_done = [line for line in lines if line.startswith("events [")][-1]
    assert f"{events:,}/{events:,} 100%" in events_done
    records_done = [line for line in lines if line.startswith("records [")][-1]
    assert "100%" in records_done
    assert "done in" in records_done
