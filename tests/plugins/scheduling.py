"""The order the suite runs in, so that two workers (pytest -n 2, .ci/run) finish
together: a test marked `slow` starts first, the browser journeys last (by then the
demo plant they share has been built in the background, tests/browser/conftest.py).
pytest-xdist hands tests out in collection order, so one long test left at the end
would keep one worker busy while the other sits idle."""

import pytest

FIRST, MIDDLE, LAST = 0, 1, 2


def _rank(item: pytest.Item) -> int:
    # Browser journeys last whatever their length: Playwright's session-wide browser
    # keeps an event loop in the worker's thread, and Django refuses database access
    # from a thread with a running loop (SynchronousOnlyOperation) in any test after.
    if item.get_closest_marker("browser") is not None:
        return LAST
    if item.get_closest_marker("slow") is not None:
        return FIRST
    return MIDDLE


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    # trylast: the browser conftest marks its items first; sort() is stable.
    items.sort(key=_rank)
