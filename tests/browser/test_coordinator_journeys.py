"""The coordinator's matrix change, approved by QA on the coordinator's screen."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, login
from tests.browser.lookup import pick


@pytest.mark.requirement("G1", "S2", "U2")
def test_a_coordinator_adds_a_requirement_to_a_job_function_and_its_holders_are_assigned(
    page, app_url
):
    login(page, app_url, "coordinator")
    page.goto(f"{app_url}/coordinator/matrix/")
    page.get_by_role("link", name="Add a requirement to a job function").click()
    pick(page, "Job function", "CLEAN", "CLEAN Cleanroom cleaner")
    pick(page, "Training requirement", "RU-SOP-008", keyboard=True)
    page.get_by_label("Training window (days)").fill("14")
    page.get_by_label("Reason for the change").fill("Cleaners now clear the line after filling")
    page.get_by_label("QA approver's user id").fill("qa")
    page.get_by_label("QA approver's password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Approve (QA signs) and add").click()
    message = page.get_by_text(
        re.compile(r"CLEAN now requires RU-SOP-008, approved by Quinn Adebayo")
    )
    message.wait_for()
    assigned = int(re.search(r"(\d+) holders? assigned", message.inner_text()).group(1))
    assert assigned > 0

    page.goto(f"{app_url}/coordinator/assignments/?status=open")
    pick(page, "Job function", "CLEAN", "CLEAN Cleanroom cleaner")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("cell", name=re.compile("RU-SOP-008")).first).to_be_visible()
