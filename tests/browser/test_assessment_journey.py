"""An operator takes the demo's data-integrity assessment in a real browser: fails,
signs the failed result, is refused a retake during the cool-down, retakes after it,
passes and signs; the signed record completes her e-learning assignment."""

import json
import re
import shutil
import subprocess
import sys
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, REPO, _env, _free_port, _wait_for, login

SETUP = """
from qualify.accounts.models import User
from qualify.assessments import services
from qualify.training.models import Assignment, Requirement
from qualify.training.services import elearning
requirement = Requirement.objects.get(code="DI-ALCOA")
services.assessment_update(
    actor=User.objects.get(username="coordinator"),
    assessment=requirement.assessment,
    reason="A one-minute cool-down for the journey",
    cooldown_minutes=1,
)
operator = User.objects.get(username="operator")
assignment = Assignment.objects.get(
    person=operator.person, requirement=requirement, status="open"
)
elearning.elearning_read(actor=operator, assignment=assignment)
print(requirement.pk)
"""

ANSWERS = """
import json
from qualify.assessments.models import Attempt
from qualify.seed.assessments import answers_for
print(json.dumps(answers_for(Attempt.objects.get(pk={pk}), right={right})))
"""

STATE = """
from qualify.training.models import Assignment
a = Assignment.objects.filter(person__user__username="operator", requirement__code="DI-ALCOA")
print(",".join(sorted(x.status for x in a)))
"""


def _shell(var_dir, code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "qualify", "shell", "-c", code],
        env=_env(var_dir),
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture
def journey(demo_database, tmp_path):
    """The demo plant with a one-minute cool-down and POL-001 read by the operator
    (through the services), served on its own port: (url, var_dir, requirement pk)."""
    var_dir = tmp_path / "var"
    shutil.copytree(demo_database, var_dir)
    requirement = int(_shell(var_dir, SETUP))
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "qualify", "runserver", f"127.0.0.1:{port}", "--noreload",
         "--insecure"],
        env=_env(var_dir),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        # Two shared cores under load start the app slowly.
        _wait_for(port, process, seconds=180)
        yield f"http://127.0.0.1:{port}", var_dir, requirement
    finally:
        process.terminate()
        process.wait(timeout=10)


def _answer(page, answers: dict) -> None:
    """Fill the answer form as a person would: radios, checkboxes, a place per step, text."""
    for position, value in answers.items():
        name = f"q{position}"
        values = value if isinstance(value, list) else [value]
        selects = page.locator(f'select[name="{name}"]')
        if selects.count():
            for index, place in enumerate(values):
                selects.nth(index).select_option(place)
            continue
        choices = page.locator(
            f'input[name="{name}"][type="radio"], input[name="{name}"][type="checkbox"]'
        )
        if choices.count():
            for v in values:
                page.locator(f'input[name="{name}"][value="{v}"]').check()
            continue
        page.locator(f'[name="{name}"]').fill(str(values[0]))


def _sign(page) -> None:
    if page.get_by_label("User id").count():
        page.get_by_label("User id").fill("operator")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign: completed assessment").click()


def _attempt_pk(page) -> int:
    return int(re.search(r"/assessments/attempts/(\d+)/$", page.url).group(1))


@pytest.mark.requirement("L1", "P35", "S1")
def test_an_operator_fails_retakes_after_the_cool_down_passes_and_signs(page, journey):
    url, var_dir, requirement = journey
    login(page, url, "operator")
    take = f"{url}/assessments/requirement/{requirement}/"
    page.goto(take)
    page.get_by_role("button", name="Start the assessment").click()
    page.wait_for_url(re.compile(r"/assessments/attempts/\d+/$"))
    first = _attempt_pk(page)
    wrong = json.loads(_shell(var_dir, ANSWERS.format(pk=first, right=False)))
    _answer(page, wrong)
    page.get_by_role("button", name="Submit my answers").click()
    expect(page.get_by_role("heading", name=re.compile("Failed"))).to_be_visible()
    expect(page.locator(".topics li.missed").first).to_be_visible()
    # A failed attempt is a record too: she signs its result.
    _sign(page)
    expect(page.get_by_text("Signed: training record")).to_be_visible()

    page.goto(take)
    expect(page.get_by_text("cool-down")).to_be_visible()
    expect(page.get_by_role("button", name="Retake the assessment")).to_have_count(0)
    deadline = time.monotonic() + 90
    while not page.get_by_role("button", name="Retake the assessment").count():
        assert time.monotonic() < deadline, "the cool-down did not end"
        time.sleep(5)
        page.goto(take)
    page.get_by_role("button", name="Retake the assessment").click()
    page.wait_for_url(re.compile(r"/assessments/attempts/\d+/$"))
    second = _attempt_pk(page)
    assert second != first
    right = json.loads(_shell(var_dir, ANSWERS.format(pk=second, right=True)))
    _answer(page, right)
    page.get_by_role("button", name="Submit my answers").click()
    expect(page.get_by_role("heading", name=re.compile("Passed"))).to_be_visible()
    expect(page.get_by_text("100.00%").first).to_be_visible()
    _sign(page)
    expect(page.get_by_text("It completes your assignment")).to_be_visible()
    assert _shell(var_dir, STATE) == "completed"
    page.goto(f"{url}/assessments/")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    assert "Passed" in rows.first.inner_text()
