"""A deviation reported in a real browser shows the qualification snapshot it stored:
an operator never trained on the procedure was not qualified when it happened (Q4, Q7)."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.browser.lookup import pick


@pytest.mark.requirement("Q4", "Q7", "E1", "T3")
def test_a_deviation_shows_an_untrained_operator_not_qualified(page, app_url):
    login(page, app_url, "qa")
    page.goto(f"{app_url}/quality/deviations/")
    page.get_by_role("link", name="Report a deviation").first.click()
    page.get_by_role("heading", name="Report a deviation").wait_for()
    occurred = dt.datetime.now(ZoneInfo("Europe/Dublin")) - dt.timedelta(hours=3)
    page.get_by_label("When it happened").fill(occurred.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("What happened").fill("Sterility test sample drawn by a filling operator")
    page.get_by_label("Batch").fill("B-2026-0917")
    pick(page, "People involved", "Olivia Ortega", keyboard=True)
    pick(page, "Documents involved", "SOP-045")
    page.get_by_role("button", name="Report the deviation").click()
    page.get_by_text(re.compile(r"DEV-\d{4}-\d{4} reported")).wait_for()
    page.get_by_role("heading", name="Qualification snapshot").wait_for()
    row = page.locator("table.list tbody tr", has_text="Olivia Ortega")
    expect(row.get_by_text("SOP-045")).to_be_visible()
    expect(row.locator(".badge.bad", has_text="not qualified")).to_have_count(2)
