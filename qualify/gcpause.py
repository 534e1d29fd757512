"""Pausing Python's cycle collector over a bulk write (issue 18, P130).

A revision fan-out builds tens of thousands of small acyclic containers (rows, audit
states, events), each freed by reference counting. Every 700 of them the cycle
collector runs anyway, and every so often it walks every object the process holds
(the Django app, the loaded facts): measured, a third of the fan-out's CPU. Nothing
the fan-out builds needs the cycle collector, so it is paused for the duration and
restored after; memory is reclaimed as before, cycles at the next collection.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause the cycle collector inside the block; restore it on leaving, also on an
    exception. Nested or concurrent blocks never leave it paused: only the block that
    found it running starts it again (a collector someone else paused stays paused)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
