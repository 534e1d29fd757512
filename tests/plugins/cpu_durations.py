"""`--cpu-durations=N`: the N tests that took the most processor time, beside pytest's
own `--durations` (wall time).

On CI's two shared cores the wall time of a test says as much about what ran beside it
as about the test: one module took 153 s in one run and 238 s in the next, unchanged.
Processor time is what keeping CI under 30 minutes has to cut. Counted per phase (setup,
call, teardown) for the test's own process and the child processes it waited for
(`qualify migrate` in a subprocess, app servers once stopped); a child still running
when the phase ends is not counted, nor the database server's work. A child is counted
when it is reaped, and Python's subprocess reaps earlier finished children whenever it
starts a new one: a background process dropped while running, such as the browser
journeys' demo plant build, lands on a later test of that worker (in one CI run the
SQLite pass's backup test showed 176 s, most likely for that reason). Works under
pytest-xdist: each report carries its figure to the controller.
"""

import resource

import pytest

KEY = "cpu_seconds"
_started = pytest.StashKey[float]()


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def pytest_addoption(parser):
    parser.addoption(
        "--cpu-durations",
        type=int,
        default=None,
        metavar="N",
        help="show the N tests that took the most processor time (0 for all)",
    )


def _phase(item):
    item.stash[_started] = _cpu()


def pytest_runtest_setup(item):
    _phase(item)


def pytest_runtest_call(item):
    _phase(item)


def pytest_runtest_teardown(item):
    _phase(item)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    started = item.stash.get(_started, None)
    if started is not None:
        outcome.get_result().user_properties.append((KEY, round(_cpu() - started, 3)))


class Summary:
    def __init__(self, count: int):
        self.count = count
        self.seconds: dict[str, float] = {}

    def pytest_runtest_logreport(self, report):
        for name, value in report.user_properties:
            if name == KEY:
                self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + value

    def pytest_terminal_summary(self, terminalreporter):
        ranked = sorted(self.seconds.items(), key=lambda kv: -kv[1])
        shown = ranked if self.count == 0 else ranked[: self.count]
        total = sum(self.seconds.values())
        terminalreporter.write_sep("=", f"most processor time ({total:.0f} s in all tests)")
        for nodeid, seconds in shown:
            terminalreporter.write_line(f"{seconds:8.2f}s {nodeid}")


def pytest_configure(config):
    count = config.getoption("--cpu-durations")
    if count is not None and not hasattr(config, "workerinput"):
        config.pluginmanager.register(Summary(count), "cpu-durations-summary")
