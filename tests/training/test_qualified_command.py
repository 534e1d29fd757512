"""`qualify qualified PERSON DOCUMENT` (Q4, Q7), and `qualify check` is Django's own again."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.training.engine_history import History, day

pytestmark = pytest.mark.django_db


@pytest.fixture
def plant():
    h = History()
    doc = h.document("SOP-900", versions=[(0, True), (10, True)])
    r = h.requirement(doc)
    p = h.person("ann")
    h.record(p, r, completed=day(1), version=h.version(doc, 1), recorded=day(3))
    return h, p, doc


def run(*args):
    from io import StringIO

    out = StringIO()
    try:
        call_command("qualified", *args, stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


@pytest.mark.requirement("Q4")
def test_qualified_exits_zero_with_evidence(plant):
    _, p, _ = plant
    code, out = run(p.employee_number, "SOP-900", "--at", "2024-01-05T00:00:00Z")
    assert code == 0
    assert "QUALIFIED" in out
    assert "Effective version: rev 1" in out
    assert "trainee signature (valid)" in out


@pytest.mark.requirement("Q4", "Q2")
def test_not_qualified_exits_one_with_reason_by_user_name(plant):
    _, p, _ = plant
    code, out = run(p.user.username, "SOP-900", "--at", "2024-01-15T00:00:00+00:00")
    assert code == 1
    assert "NOT QUALIFIED" in out
    assert "trained on a superseded baseline" in out


@pytest.mark.requirement("Q7")
def test_as_known_at_and_json(plant):
    _, p, _ = plant
    code, out = run(
        p.employee_number, "SOP-900", "--at", "2024-01-02T12:00Z", "--as-known-at",
        "2024-01-02T12:00Z", "--json",
    )  # fmt: skip
    assert code == 1
    data = json.loads(out)
    assert data["qualified"] is False
    assert data["reasons"] == ["not_yet_recorded"]
    assert data["effective_version"] == "rev 1"
    assert data["as_known_at"] == "2024-01-02T12:00:00Z"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nobody", "SOP-900"), "No person"),
        (("{person}", "SOP-404"), "No document"),
        (("{person}", "SOP-900", "--at", "yesterday"), "not an ISO 8601"),
        (("{person}", "SOP-900", "--at", "2024-01-01T00:00"), "no UTC offset"),
    ],
)
def test_bad_input_exits_two(plant, args, message):
    _, p, _ = plant
    args = [a.format(person=p.employee_number) for a in args]
    with pytest.raises(CommandError, match=message) as error:
        call_command("qualified", *args)
    assert error.value.returncode == 2


def check(*args):
    from io import StringIO

    out = StringIO()
    call_command("check", *args, stdout=out)
    return out.getvalue()


def test_qualify_check_is_djangos_system_check():
    from django.core.management import get_commands

    assert get_commands()["check"] == "django.core"
    assert "System check identified no issues" in check()
    assert "System check identified no issues" in check("training", "documents")


def test_person_and_document_are_both_needed(plant):
    _, p, _ = plant
    with pytest.raises(CommandError, match="the following arguments are required: document"):
        call_command("qualified", p.employee_number)
