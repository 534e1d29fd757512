"""Going live from an empty database, through the pages alone (issue 11, P27).

`qualify migrate` has run on a new database and nothing else. `qualify setup` creates
the first administrator and site; from there every step is a page a person uses in
Chromium: the administrator creates a site, a department and the accounts of the
plant's coordinator, document controller, two QA approvers and auditor; the
coordinator creates a job function and two people, whom the administrator gives
accounts; each person sets their password through the one-time link read from their
mail; the document controller creates SOP-001 with a PDF, a QA approver reviews it and
another approves it; the coordinator defines its read-and-understand and requires it
of the job function (G1: both holders are assigned); the operator may not sign until
the administrator has recorded her identity and she has acknowledged the e-signature
policy (U1), then signs (S1); the auditor asks whether she was qualified and is
answered "yes" with the signed evidence (Q4), and "no" for her untrained colleague.
"""

import datetime as dt
import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TIMEOUT_MS, login
from tests.browser.lookup import pick
from tests.files import pdf

ZONE = ZoneInfo("Europe/Dublin")
# One strong password for everyone (each account has its own history; the policy
# refuses passwords like the user id or the name, which this is not).
PASSWORD = "Tessellated-Kettle-Orbit-2026!"
LINK = re.compile(r"https?://\S+/accounts/password/set/\?\S+")


def local(instant: dt.datetime) -> str:
    """A datetime-local value in the site's zone."""
    return instant.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def new_page(browser):
    """A separate browser (cookies and session) for each person, closed at the end."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        return page

    yield make
    for context in contexts:
        context.close()


def menu(page, name: str) -> None:
    """Follow the main menu, as a person finds their way (no typed addresses)."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def organisation(page, what: str, new: str) -> None:
    """Organisation → a kind of thing → its "New …" form."""
    menu(page, "Organisation")
    page.locator("#main").get_by_role("link", name=what, exact=True).click()
    page.get_by_role("link", name=new, exact=True).click()


def create_account(admin, url, *, username, name, email, roles, person=""):
    menu(admin, "Users")
    admin.get_by_role("link", name="New account").click()
    if person:
        admin.get_by_label("Employee number").fill(person)
    admin.get_by_label("User id").fill(username)
    admin.get_by_label("Full printed name").fill(name)
    admin.get_by_label("Email address").fill(email)
    # The roles the account needs, and only those (employee is ticked by default).
    for label in ("Employee", "Training coordinator", "Document controller", "QA approver",
                  "Auditor (read-only)"):  # fmt: skip
        box = admin.get_by_label(label, exact=True)
        box.set_checked(label in roles)
    admin.get_by_role("button", name="Create the account and mail the link").click()
    admin.get_by_text(f"Account {username} created; a link to set the password").wait_for()


def set_password_from_mail(installation, new_page, address: str, username: str):
    """The person opens the link in their mail, sets a password and signs in."""
    mails = installation.mails_to(address)
    assert len(mails) == 1, f"one mail to {address}, found {len(mails)}"
    link = LINK.search(mails[0].get_payload()).group(0)
    assert link.startswith(installation.url), "the link points at this installation"
    page = new_page()
    page.goto(link)
    # The token leaves the address at once (no history, no Referer).
    assert urlsplit(page.url).query == ""
    expect(page.get_by_text(f"Account: {username}")).to_be_visible()
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("New password again").fill(PASSWORD)
    page.get_by_role("button", name="Set password").click()
    page.get_by_text(f"Your password is set. Sign in as {username}.").wait_for()
    login(page, installation.url, username, PASSWORD)
    page.get_by_role("button", name="Sign out").wait_for()
    return page


def verify_identity(admin, url, username: str, how: str):
    menu(admin, "Users")
    admin.get_by_role("link", name=username, exact=True).click()
    heading = admin.get_by_role("heading", name="Record identity verification")
    panel = admin.locator("section", has=heading)
    panel.get_by_label("Reason").fill(how)
    panel.get_by_role("button", name="Record verification").click()
    admin.get_by_text("not recorded").wait_for(state="detached")


def acknowledge_policy(page, url):
    menu(page, "My account")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Acknowledge with my password").click()
    page.get_by_text("You acknowledged the electronic signature policy.").wait_for()


def in_review(page) -> None:
    """Documents → the revision of SOP-001 in progress."""
    menu(page, "Documents")
    row = page.locator("tr", has=page.get_by_role("link", name="SOP-001", exact=True))
    row.get_by_role("link", name="rev 1").click()


def sign(page, username: str):
    """The signing fields: the user id at the first signature of the session (S1)."""
    fieldsets = page.locator("fieldset.signing")
    box = fieldsets.last if fieldsets.count() else page.locator("#main")
    user_id = box.get_by_label("User id")
    if user_id.count():
        user_id.fill(username)
    box.get_by_label("Password").fill(PASSWORD)


@pytest.mark.requirement("P27", "U1", "S1", "Q4", "G1", "G3")
def test_a_plant_goes_live_from_an_empty_database_to_a_qualified_operator(
    page, new_page, fresh_installation, tmp_path
):
    url = fresh_installation.url

    # 1. First run: the login page of the empty installation says what to do.
    page.goto(f"{url}/accounts/login/")
    expect(page.get_by_text("This installation has no accounts yet.")).to_be_visible()
    expect(page.locator("code", has_text="qualify setup")).to_be_visible()
    fresh_installation.qualify(
        "setup", "--no-input", "--username=ada", "--name=Ada Admin",
        "--email=ada@plant.example", "--installation=Limerick fill-finish",
        "--site-code=LMK", "--site-name=Limerick", "--time-zone=Europe/Dublin",
        QUALIFY_SETUP_PASSWORD=PASSWORD,
    )  # fmt: skip
    page.goto(f"{url}/accounts/login/")
    expect(page.get_by_text("This installation has no accounts yet.")).to_have_count(0)

    # 2. The administrator signs in and builds the plant's structure.
    admin = page
    login(admin, url, "ada", PASSWORD)
    organisation(admin, "Sites", "New site")
    admin.get_by_label("Code").fill("CRK")
    admin.get_by_label("Name").fill("Cork")
    admin.get_by_label("Time zone").fill("Europe/Dublin")
    admin.get_by_role("button", name="Create").click()
    admin.get_by_text("Created the site CRK Cork.").wait_for()
    organisation(admin, "Departments", "New department")
    admin.get_by_label("Site").select_option(label="CRK Cork")
    admin.get_by_label("Code").fill("FILL")
    admin.get_by_label("Name").fill("Aseptic filling")
    admin.get_by_role("button", name="Create").click()
    admin.get_by_text("Created the department CRK/FILL Aseptic filling.").wait_for()

    # 3. Accounts for the people who run the quality system; links by mail.
    staff = [
        ("colm", "Colm Coordinator", ["Training coordinator"]),
        ("dora", "Dora Docs", ["Document controller"]),
        ("quinn", "Quinn Approver", ["QA approver"]),
        ("rosa", "Rosa Reviewer", ["QA approver"]),
        ("audrey", "Audrey Auditor", ["Auditor (read-only)"]),
    ]
    for username, name, roles in staff:
        create_account(
            admin, url, username=username, name=name, email=f"{username}@plant.example",
            roles=roles,
        )  # fmt: skip
    fresh_installation.deliver_mail()
    pages = {
        username: set_password_from_mail(
            fresh_installation, new_page, f"{username}@plant.example", username
        )
        for username, _, _ in staff
    }
    # Those who sign: identity recorded by the administrator, policy acknowledged.
    for username in ("dora", "quinn", "rosa"):
        verify_identity(admin, url, username, "Passport checked by HR on the first day")
        acknowledge_policy(pages[username], url)

    # 4. The coordinator: a job function and two operators who hold it.
    colm = pages["colm"]
    organisation(colm, "Job functions", "New job function")
    colm.get_by_label("Code").fill("FILL-OP")
    colm.get_by_label("Name").fill("Filling operator")
    colm.get_by_label("Site").select_option(label="CRK Cork")
    pick(colm, "Department", "FILL", "CRK/FILL Aseptic filling")
    colm.get_by_role("button", name="Create").click()
    colm.get_by_text("Created the job function FILL-OP Filling operator.").wait_for()
    now = dt.datetime.now(dt.UTC)
    for number, name, email in (
        ("E1001", "Olga Operator", "olga@plant.example"),
        ("E1002", "Otto Operator", "otto@plant.example"),
    ):
        organisation(colm, "People", "New person")
        colm.get_by_label("Employee number").fill(number)
        colm.get_by_label("Full name").fill(name)
        colm.get_by_label("Email").fill(email)
        colm.get_by_label("Site").select_option(label="CRK Cork")
        pick(colm, "Department", "Aseptic", "CRK/FILL Aseptic filling", keyboard=True)
        colm.get_by_label("Employed from").fill(local(now - dt.timedelta(days=1)))
        colm.get_by_role("button", name="Create").click()
        colm.get_by_text(f"Created {name} ({number}).").wait_for()
        colm.get_by_role("link", name="Change of job").click()
        pick(colm, "New job function", "FILL-OP", "FILL-OP Filling operator")
        colm.get_by_label("Effective from").fill(local(now - dt.timedelta(hours=2)))
        colm.get_by_label("Reason for the change").fill("Hired as a filling operator")
        colm.get_by_role("button", name="Change job").click()
        colm.get_by_text(f"Changed the job of {name} ({number}).").wait_for()

    # 5. The administrator gives the two operators their accounts (from the HR record).
    for number, username in (("E1001", "olga"), ("E1002", "otto")):
        create_account(
            admin, url, person=number, username=username, name="", email="",
            roles=["Employee"],
        )  # fmt: skip
    fresh_installation.deliver_mail()
    assert len(fresh_installation.mails_to("otto@plant.example")) == 1

    # 6. The document controller creates SOP-001 with its PDF and submits it.
    dora = pages["dora"]
    procedure = tmp_path / "SOP-001 Gowning.pdf"
    procedure.write_bytes(pdf("Gowning for grade A and B areas"))
    menu(dora, "Documents")
    dora.get_by_role("link", name="New document").click()
    dora.get_by_label("Document type").select_option(label="SOP")
    dora.get_by_label("Title").fill("Gowning for grade A and B areas")
    dora.get_by_label("File (PDF, image, or plain text or Markdown)").set_input_files(procedure)
    dora.get_by_role("button", name="Create the document and save the draft").click()
    dora.get_by_text("SOP-001 created with revision 1 as a draft.").wait_for()
    sign(dora, "dora")
    dora.get_by_role("button", name="Sign and submit for review").click()
    dora.get_by_text("Submitted for review, signed as author.").wait_for()

    # 7. One QA approver reviews, another approves (S2: never the same person).
    rosa = pages["rosa"]
    in_review(rosa)
    rosa.get_by_label("Review comment").fill("Matches the gowning qualification")
    sign(rosa, "rosa")
    rosa.get_by_role("button", name="Sign the review").click()
    rosa.get_by_text("Review signed.").wait_for()
    quinn = pages["quinn"]
    in_review(quinn)
    quinn.get_by_role("link", name="Go to approval (impact preview)").click()
    # The approver sees the impact first (G3): nobody yet, no requirement is linked.
    impact = quinn.locator("#impact p.big").inner_text()
    assert impact.startswith("0 people will be assigned 0 training assignments")
    assert "(no linked requirement)" in impact
    sign(quinn, "quinn")
    quinn.get_by_role("button", name="Sign and approve").click()
    quinn.get_by_text("approved, signed").wait_for()
    approved = re.compile(r"Signed by Quinn Approver \(quinn\).*Approved")
    expect(quinn.get_by_text(approved)).to_be_visible()
    menu(quinn, "Documents")
    row = quinn.locator("tr", has=quinn.get_by_role("link", name="SOP-001", exact=True))
    expect(row.get_by_text("Effective")).to_be_visible()

    # 8. The coordinator defines the read-and-understand and requires it of the job
    #    function, approved by QA on the coordinator's screen: both holders assigned (G1).
    menu(colm, "Requirements")
    colm.get_by_role("link", name="Define a requirement").click()
    colm.get_by_label("Code").fill("RU-SOP-001")
    colm.get_by_label("Title").fill("Read and understand SOP-001 Gowning")
    colm.get_by_label("Training method").select_option(label="Read and understand")
    pick(colm, "Document", "SOP-001", "SOP-001 Gowning for grade A and B areas")
    colm.get_by_role("button", name="Define the requirement").click()
    colm.get_by_text("Requirement RU-SOP-001 defined.").wait_for()
    menu(colm, "Matrix")
    colm.get_by_role("link", name="Add a requirement to a job function").click()
    pick(colm, "Job function", "filling op", "FILL-OP Filling operator")
    pick(colm, "Training requirement", "RU-SOP-001")
    colm.get_by_label("Reason for the change").fill("Every filling operator gowns for grade A")
    colm.get_by_label("QA approver's user id").fill("quinn")
    colm.get_by_label("QA approver's password").fill(PASSWORD)
    colm.get_by_role("button", name="Approve (QA signs) and add").click()
    colm.get_by_text(re.compile(r"FILL-OP now requires RU-SOP-001.* 2 holders assigned")).wait_for()

    # 9. The operator sets her password and finds her training, but may not sign yet.
    olga = set_password_from_mail(fresh_installation, new_page, "olga@plant.example", "olga")
    menu(olga, "My training")
    olga.get_by_role("link", name="Open RU-SOP-001").click()
    assignment_url = olga.url
    olga.get_by_label("User id").fill("olga")
    olga.get_by_label("Password").fill(PASSWORD)
    olga.get_by_role("button", name="Sign: read and understood").click()
    olga.get_by_text(re.compile("may not sign yet")).wait_for()

    # 10. The administrator records her identity; she acknowledges the policy; she signs.
    verify_identity(admin, url, "olga", "Passport checked by HR on the first day")
    acknowledge_policy(olga, url)
    olga.goto(assignment_url)
    expect(olga.locator(".document-text, iframe.document-frame").first).to_be_visible()
    sign(olga, "olga")
    olga.get_by_role("button", name="Sign: read and understood").click()
    olga.wait_for_url(re.compile(r"/employee/records/\d+/$"))
    manifestation = olga.locator(".manifestation").first.inner_text()
    assert manifestation.startswith("Signed by Olga Operator (olga)")

    # 11. The auditor asks: was Olga qualified on SOP-001 now? Yes, with the evidence.
    audrey = pages["audrey"]
    menu(audrey, "Qualified?")
    audrey.get_by_label(re.compile("^Person")).fill("E1001")
    audrey.get_by_label("Document number").fill("SOP-001")
    audrey.get_by_role("button", name="Answer").click()
    answer = audrey.locator("section.answer")
    answer.wait_for()
    expect(answer.get_by_role("heading", name="Yes: qualified")).to_be_visible()
    expect(answer.get_by_text("Version in force then: rev 1")).to_be_visible()
    evidence = answer.locator(".manifestation").first.inner_text()
    assert "Signed by Olga Operator (olga)" in evidence
    assert "read and understood" in evidence.lower()
    expect(answer.locator(".badge", has_text=re.compile("^valid$"))).to_have_count(1)
    # Otto holds the same job and was assigned, but has not trained: not qualified.
    audrey.get_by_label(re.compile("^Person")).fill("E1002")
    audrey.get_by_role("button", name="Answer").click()
    audrey.locator("section.answer").get_by_role("heading", name="No: not qualified").wait_for()
