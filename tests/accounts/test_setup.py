"""First run: `qualify setup` on an empty database (P27, U1, A1)."""

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from qualify.accounts.models import Installation, User
from qualify.audit import keys
from qualify.audit.models import AuditEvent
from qualify.org.models import Site

STRONG = "Granite-Harbour-Lantern-91"


@pytest.fixture
def setup_env(monkeypatch):
    monkeypatch.setenv("QUALIFY_SETUP_PASSWORD", STRONG)


def run_setup(**flags) -> str:
    out = io.StringIO()
    options = {
        "username": "ada",
        "name": "Ada Admin",
        "email": "ada@plant.example",
        "installation": "Cork plant",
        "site_code": "CORK",
        "site_name": "Cork",
        "time_zone": "Europe/Dublin",
        **flags,
    }
    call_command(
        "setup",
        "--no-input",
        *[f"--{k.replace('_', '-')}={v}" for k, v in options.items()],
        stdout=out,
    )
    return out.getvalue()


@pytest.mark.requirement("P27", "U1", "A1")
def test_setup_creates_the_first_administrator_installation_and_site(db, setup_env, settings):
    output = run_setup()
    admin = User.objects.get()
    assert admin.username == "ada"
    assert admin.printed_name == "Ada Admin"
    assert list(admin.groups.values_list("name", flat=True)) == ["administrator"]
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions == ["account.created", "installation.set_up", "org.site.created"]
    assert authenticate(None, username="ada", password=STRONG) == admin
    assert admin.password_changed_at is not None
    installation = Installation.objects.get()
    assert installation.name == "Cork plant"
    assert installation.checkpoint_origin == keys.key_name()
    assert installation.set_up_by == admin
    site = Site.objects.get()
    assert (site.code, site.name, site.time_zone) == ("CORK", "Cork", "Europe/Dublin")
    assert "Cork plant" in output
    assert "CORK" in output


@pytest.mark.requirement("P27")
def test_setup_refuses_to_run_twice_with_a_clear_message(db, setup_env):
    run_setup()
    with pytest.raises(CommandError, match="already set up as 'Cork plant'"):
        run_setup(username="bob", installation="Another")
    assert User.objects.count() == 1
    assert Site.objects.count() == 1


@pytest.mark.requirement("P27")
def test_setup_refuses_a_database_that_already_has_accounts(db, setup_env, employee):
    with pytest.raises(CommandError, match=r"already set up .it has user accounts"):
        run_setup()
    assert not Installation.objects.exists()


@pytest.mark.requirement("P27", "U1")
def test_setup_applies_the_password_policy_and_writes_nothing(db, monkeypatch):
    monkeypatch.setenv("QUALIFY_SETUP_PASSWORD", "short")
    with pytest.raises(CommandError, match=r"QUALIFY_SETUP_PASSWORD: .*too short"):
        run_setup()
    assert not User.objects.exists()
    assert not Installation.objects.exists()
    assert not Site.objects.exists()


@pytest.mark.requirement("P27")
def test_setup_names_every_bad_answer_by_its_flag(db, setup_env):
    with pytest.raises(CommandError) as refused:
        run_setup(time_zone="Mars/Olympus", site_code="")
    assert "--site-code" in str(refused.value)
    with pytest.raises(CommandError) as refused:
        run_setup(time_zone="Mars/Olympus")
    assert "--time-zone: 'Mars/Olympus' is not a known time zone" in str(refused.value)
    assert not User.objects.exists()
    assert not Site.objects.exists()


@pytest.mark.requirement("P27")
def test_setup_takes_its_answers_from_environment_variables(db, setup_env, monkeypatch):
    for name, value in {
        "USERNAME": "eve",
        "NAME": "Eve Admin",
        "EMAIL": "eve@plant.example",
        "INSTALLATION": "Basel",
        "SITE_CODE": "BSL",
        "SITE_NAME": "Basel",
        "TIME_ZONE": "Europe/Zurich",
    }.items():
        monkeypatch.setenv(f"QUALIFY_SETUP_{name}", value)
    call_command("setup", "--no-input", stdout=io.StringIO())
    assert User.objects.get().username == "eve"
    assert Site.objects.get().time_zone == "Europe/Zurich"


@pytest.mark.requirement("P27")
def test_setup_without_input_says_what_is_missing(db, monkeypatch):
    monkeypatch.delenv("QUALIFY_SETUP_PASSWORD", raising=False)
    with pytest.raises(CommandError, match=r"Missing: .*QUALIFY_SETUP_PASSWORD"):
        call_command("setup", "--no-input", "--username=x", stdout=io.StringIO())


@pytest.mark.requirement("P27")
def test_setup_asks_interactively_and_asks_again_for_a_weak_password(db, monkeypatch):
    answers = iter(["ada", "Ada Admin", "ada@plant.example", "Cork plant", "CORK", "Cork", ""])
    passwords = iter(["weak", "weak", STRONG, STRONG])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(passwords))
    monkeypatch.delenv("QUALIFY_SETUP_PASSWORD", raising=False)
    err = io.StringIO()
    call_command("setup", stdout=io.StringIO(), stderr=err)
    assert "too short" in err.getvalue()
    assert authenticate(None, username="ada", password=STRONG) is not None
    assert Site.objects.get().time_zone == "UTC"
