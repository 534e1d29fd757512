"""Authoring light in Chromium (issue 15, P75, P76): a course of two pages (one with an
image) and a two-question assessment, authored through the services on the demo plant,
published once as SCORM 2004 and once as cmi5, approved like any package and assigned
to the operator, who plays each export in Qualify's own player: the pages, the
assessment scored by the package, completion reported through API_1484_11 (Terminate)
or cmi5 statements, and the signed record on the package version."""

import json
import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, _env, login

PLANT = """
import datetime as dt, io, json
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image
from qualify.accounts.models import User
from qualify.assessments import services as assessments
from qualify.assessments.for_export import bank_questions
from qualify.content import authoring
from qualify.documents import services as documents
from qualify.org.models import Person
from qualify.signatures.services import Credentials
from qualify.training import services as training

BANK = '''
questions:
  - key: L1
    topic: Line clearance
    kind: single
    prompt: When is the line cleared?
    options: [Before every batch, Once a week]
    answer: Before every batch
  - key: L2
    topic: Line clearance
    kind: true_false
    prompt: Labels of the previous batch may stay on the line.
    answer: false
'''

def creds(user):
    return Credentials(username=user.username, password="Qualify-demo-2026!", session={})

users = {u.username: u for u in User.objects.filter(
    username__in=["doccontrol", "qa", "qa.reviewer", "coordinator", "operator"])}
dc = users["doccontrol"]
operator = Person.objects.get(user=users["operator"])

def approve(version):
    documents.version_submit(actor=dc, version=version, credentials=creds(dc))
    documents.version_review(actor=users["qa.reviewer"], version=version, credentials=creds(users["qa.reviewer"]))
    documents.version_approve(actor=users["qa"], version=version, credentials=creds(users["qa"]),
        effective_from=timezone.now() - dt.timedelta(minutes=5), reason="In force for the journey")

bank = documents.document_create(actor=dc, title="Line clearance questions", doc_type="qbank", owner=dc)
draft = documents.version_draft(actor=dc, document=bank, revision="1", change_summary="First issue")
assessments.bank_save(actor=dc, version=draft, text=BANK)
draft.refresh_from_db()
approve(draft)
png = io.BytesIO()
Image.new("RGB", (40, 20), (30, 120, 30)).save(png, "PNG")
out = {}
for standard in ("scorm2004", "cmi5"):
    course = authoring.course_create(actor=dc, title="Line clearance " + standard, bank=bank, pass_mark=80)
    authoring.page_add(actor=dc, course=course, title="Why we clear the line",
        text="A label left from the previous batch causes a **mix-up**.")
    authoring.page_add(actor=dc, course=course, title="How to clear it", text="Remove everything.",
        image=ContentFile(png.getvalue(), name="line.png"), image_alt="An empty line")
    version = authoring.course_publish(actor=dc, course=course, standard=standard, revision="1",
        change_summary="First issue", questions_for=bank_questions)
    approve(version)
    course.refresh_from_db()
    requirement = training.requirement_create(actor=users["coordinator"], code="ELC-" + standard.upper(),
        title=course.title, method="elearning", document=course.package_document)
    assignment = training.assignment_create_individual(actor=users["coordinator"], person=operator,
        requirement=requirement, due_at=timezone.now() + dt.timedelta(days=14),
        reason_text="New e-learning")
    out[standard] = [assignment.pk, course.package_document.number]
print(json.dumps(out))
"""  # noqa: E501


@pytest.fixture
def authored(app_url, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "qualify", "shell", "-c", PLANT],
        env=_env(tmp_path / "var"),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _play(frame) -> None:
    expect(frame.get_by_role("heading", name="Why we clear the line")).to_be_visible()
    expect(frame.locator("strong")).to_have_text("mix-up")
    frame.get_by_role("button", name="Next").click()
    expect(frame.get_by_role("heading", name="How to clear it")).to_be_visible()
    expect(frame.get_by_role("img", name="An empty line")).to_be_visible()
    frame.get_by_role("button", name="Next").click()
    expect(frame.get_by_role("heading", name="Assessment")).to_be_visible()
    frame.get_by_label("Before every batch").check()
    frame.get_by_label("False").check()
    frame.get_by_role("button", name="Finish").click()


def _sign(page) -> None:
    dialog = page.locator("#sign-dialog")
    if dialog.get_by_label("User id").count():
        dialog.get_by_label("User id").fill("operator")
    dialog.get_by_label("Password").fill(DEMO_PASSWORD)
    dialog.get_by_role("button", name="Sign: completed training").click()
    page.wait_for_url(re.compile(r"/employee/records/\d+/$"))


@pytest.mark.requirement("P75", "P76")
def test_an_authored_course_exported_as_scorm_2004_plays_completes_and_is_signed(
    page, app_url, authored
):
    assignment, number = authored["scorm2004"]
    login(page, app_url, "operator")
    page.goto(f"{app_url}/content/assignments/{assignment}/")
    page.get_by_role("button", name="Start the e-learning").click()
    sco = page.frame_locator("#sco-frame")
    expect(sco.locator("#lms-status")).to_have_text("Recording to the LMS (SCORM 2004).")
    _play(sco)
    page.wait_for_url(re.compile(r"ended=1"))
    expect(page.locator("#attempt-status")).to_have_text(
        "Completed, awaiting the learner's signature"
    )
    _sign(page)
    expect(page.locator("main")).to_contain_text(f"{number} rev 1")


@pytest.mark.requirement("P75", "P76")
def test_an_authored_course_exported_as_cmi5_plays_satisfies_move_on_and_is_signed(
    page, app_url, authored
):
    assignment, number = authored["cmi5"]
    login(page, app_url, "operator")
    page.goto(f"{app_url}/content/assignments/{assignment}/")
    page.get_by_role("button", name="Start the e-learning").click()
    au = page.frame_locator("#au-frame")
    expect(au.locator("#lms-status")).to_have_text("Recording to the LMS (cmi5).")
    _play(au)
    expect(au.locator("#result")).to_contain_text("passed")
    page.wait_for_timeout(1500)  # completed, passed and terminated are sent in turn
    page.goto(f"{app_url}/content/assignments/{assignment}/")
    expect(page.locator("#attempt-status")).to_have_text(
        "Completed, awaiting the learner's signature"
    )
    _sign(page)
    expect(page.locator("main")).to_contain_text(f"{number} rev 1")
