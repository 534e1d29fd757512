"""`reduced_demo`: the demo plant on its smallest staffing (one person per job
function), loaded once per test module and seen by each of its tests as if loaded for
that test alone (the checkpoint log beside its key included).

A load runs the demo's 20 months through the services, about 20 s of processor time,
and several modules' tests only look at it or change it a little. The module's load
stays inside a transaction that is rolled back when the module ends; each test runs in
a savepoint inside it (pytest-django's `db`), so what a test changes is undone before
the next one, as Django's TestCase.setUpTestData does. The load runs under the
settings every test gets (tests/conftest.py), with the key and media folders of the
module, which each test then uses: the demo's audit events carry MACs of that key.

Under pytest-xdist (`-n 2`, .ci/run) the modules of SHARED_MODULES go to one worker
each, whole (`pytest_xdist_make_scheduler` below); every other test is handed out a
few at a time as before. `xdist_group` with `--dist loadgroup` would say the same, but
pytest-xdist 3.8 on pytest 9.2 ignores the group (pytest-xdist issue #1386). The
controller that schedules never imports the tests, so the modules are named here, and
collection fails when a test using the fixture is in a module not named. Elsewhere (a
worker given only some of a module's tests) each worker loads the demo once for them:
correct, only slower.
"""

import pytest

SHARED_MODULES = frozenset({"tests/seed/test_demo.py"})
# Other modules whose module-scoped setup costs more than their tests: kept on one
# worker too (the backups' installation is migrated and set up in subprocesses; split,
# each worker did it again, a minute of a loaded CI host). The page query counts measure
# every page on a plant before and after it grows: 13-14 s of processor time a worker
# in CI, where each test then only compares two numbers; the access log's plant, 2-3 s.
ONE_WORKER_MODULES = SHARED_MODULES | {
    "tests/ops/test_backup_restore.py",
    "tests/web/test_page_queries.py",
    "tests/web/test_page_access_log.py",
}


def pytest_collection_modifyitems(session, config, items):
    stray = sorted(
        {
            item.nodeid.split("::", 1)[0]
            for item in items
            if "reduced_demo" in getattr(item, "fixturenames", ())
        }
        - SHARED_MODULES
    )
    if stray:
        raise pytest.UsageError(
            f"{', '.join(stray)} use reduced_demo: add them to SHARED_MODULES "
            "(tests/plugins/reduced_demo.py) so their tests share one load"
        )


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedModules(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in ONE_WORKER_MODULES else nodeid

    return SharedModules(config, log)


MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(scope="module")
def _reduced_demo_of_module(django_db_setup, django_db_blocker, tmp_path_factory):
    from qualify.seed import plant
    from tests.module_world import rolled_back

    folder = tmp_path_factory.mktemp("reduced-demo")
    files = {
        "MEDIA_ROOT": folder / "media",
        "QUALIFY_SIGNING_KEY": folder / "checkpoint-ed25519.pem",
    }
    with rolled_back(
        django_db_blocker,
        PASSWORD_HASHERS=MD5,
        TASKS=IMMEDIATE,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        **files,
    ):
        yield plant.load(scale="demo", seed=2026, people_per_function=1), files


@pytest.fixture
def reduced_demo(_reduced_demo_of_module, db, settings):
    loaded, files = _reduced_demo_of_module
    for name, value in files.items():
        setattr(settings, name, value)
    # The checkpoint log is a file beside the key, outside the rollback: a test that
    # signs a checkpoint (the scheduler does) would leave the next test a log signed for
    # events its database no longer has. It is put back as the module's load left it.
    from qualify.audit.checkpoint_log import log_path

    log = log_path()  # the module's key is set above: the log beside it
    before = log.read_bytes() if log.exists() else None
    yield loaded
    if before is None:
        log.unlink(missing_ok=True)
    else:
        log.write_bytes(before)
