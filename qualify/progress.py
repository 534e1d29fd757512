"""Progress of long work (issue 18, P142, P143): a bar on the terminal, and the
estimate of the time left that the bar and the pages for background tasks both show.

Our own small writer rather than tqdm: it is forty lines, needs no new pinned and
hashed dependency in requirements/, and the pages need the same estimate without a
terminal. On a terminal the bar is redrawn in place at most five times a second; when
the output is a file or a pipe (cron, CI logs) a plain line is written at most every
ten seconds, so a log is not flooded with redraws.
"""

import datetime as dt
import sys
import time
from collections.abc import Callable
from typing import TextIO

WIDTH = 24


def seconds_left(elapsed: float, done: int, total: int | None) -> float | None:
    """Time left at the rate so far; None before anything was done or without a total."""
    if not total or done <= 0 or elapsed <= 0:
        return None
    return max(0.0, elapsed * (total - done) / done)


def in_words(seconds: float | None) -> str:
    if seconds is None:
        return "estimating time left"
    if seconds < 60:
        return f"about {max(1, round(seconds))} s left"
    if seconds < 3600:
        return f"about {round(seconds / 60)} min left"
    return f"about {seconds / 3600:.1f} h left"


def estimate_for(
    started_at: dt.datetime | None, now: dt.datetime, done: int, total: int | None
) -> str:
    """The estimate a page shows for a background task started at `started_at`."""
    if started_at is None:
        return "waiting for a worker"
    return in_words(seconds_left((now - started_at).total_seconds(), done, total))


def stream_of(command) -> TextIO:
    """A management command's stderr without Django's wrapper, which ends every write
    with a newline and so could not redraw a bar in place."""
    return getattr(command.stderr, "_out", command.stderr)


class Bar:
    """`with Bar("verify", total=n) as bar: ... bar.advance(k)`; `bar.stage(...)` starts
    the next part of the work with its own count and estimate."""

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = 0.2 if self.tty else 10.0
        self.clock = clock
        self._last_drawn: float | None = None
        self.stage(label, total)

    def stage(self, label: str, total: int | None = None) -> None:
        now = self.clock()
        if getattr(self, "done", 0):  # the stage that ends is shown finished
            self._draw(force=True)
            self._end_line()
            self.started = now
        elif not hasattr(self, "started"):
            self.started = now
        # else: the stage that ends did nothing, so its time counts for the next one
        self.label, self.total, self.done, self.note = label, total, 0, ""
        self._last_drawn = None

    def step(self, done: int, total: int, note: str) -> None:
        """A `progress(steps done, steps, what now)` callback for work done in steps."""
        self.total, self.note = total, note
        self.update(done)

    def follow(self, stage: str, done: int, total: int | None) -> None:
        """A `progress(stage, done, total)` callback: a new stage name starts a stage."""
        if stage != self.label:
            self.stage(stage, total)
        self.total = total
        self.update(done)

    def advance(self, n: int = 1) -> None:
        self.update(self.done + n)

    def update(self, done: int) -> None:
        self.done = done
        self._draw()

    def line(self) -> str:
        elapsed = self.clock() - self.started
        rate = f"{self.done / elapsed:,.0f}/s" if elapsed > 0 and self.done else "-/s"
        note = f" ({self.note})" if self.note else ""
        if not self.total:
            return f"{self.label}{note}: {self.done:,} done, {rate}"
        share = min(1.0, self.done / self.total)
        filled = round(WIDTH * share)
        left = in_words(seconds_left(elapsed, self.done, self.total))
        if self.done >= self.total:
            left = f"done in {elapsed:.1f} s"
        return (
            f"{self.label} [{'#' * filled}{'.' * (WIDTH - filled)}] "
            f"{self.done:,}/{self.total:,} {share:.0%} {rate}, {left}{note}"
        )

    def _draw(self, force: bool = False) -> None:
        now = self.clock()
        if not force and self._last_drawn is not None and now - self._last_drawn < self.interval:
            return
        self._last_drawn = now
        if self.tty:
            self.stream.write("\r\x1b[K" + self.line())
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def _end_line(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def close(self) -> None:
        self._draw(force=True)
        self._end_line()

    def __enter__(self) -> "Bar":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
