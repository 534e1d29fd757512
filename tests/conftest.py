"""Suite-wide fixtures."""

import pytest

pytest_plugins = [
    "pytester",
    "tests.plugins.requirements",
    "tests.plugins.scheduling",
    "tests.plugins.own_sqlite",
    "tests.plugins.reduced_demo",
    "tests.plugins.migrated_template",
    "tests.plugins.cpu_durations",
]


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    # Argon2 is slow on purpose; tests check behaviour, not hashing cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.QUALIFY_SIGNING_KEY = tmp_path / "checkpoint-ed25519.pem"
    # Answers remembered under the audit trail's head (qualify.audit.memo) must not
    # outlive the test database they were read from: two tests' empty trails match.
    from django.core.cache import cache

    cache.clear()


def _persona_fixture(name: str):
    @pytest.fixture
    def _fixture(db):
        from tests.personas import PERSONAS, make_user

        return make_user(name, *PERSONAS[name])

    return _fixture


employee = _persona_fixture("employee")
trainer = _persona_fixture("trainer")
coordinator = _persona_fixture("coordinator")
doc_controller = _persona_fixture("doc_controller")
qa = _persona_fixture("qa")
auditor = _persona_fixture("auditor")
admin = _persona_fixture("admin")


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
    migrated_template,
):
    """pytest-django's, with the test database copied from the run's migrated template
    (tests/plugins/migrated_template.py) when it is a new one."""
    from contextlib import nullcontext

    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _disable_migrations, _get_databases_for_setup

    from tests.plugins.migrated_template import copies_the_template, test_database_copied

    if not django_db_use_migrations:
        _disable_migrations()
    copied = copies_the_template(request.config)
    aliases, serialized = _get_databases_for_setup(request.session.items)
    with (
        django_db_blocker.unblock(),
        test_database_copied(migrated_template) if copied else nullcontext(),
    ):
        config = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            aliases=aliases,
            serialized_aliases=serialized,
            keepdb=copied or (django_db_keepdb and not django_db_createdb),
        )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(config, verbosity=request.config.option.verbose)
