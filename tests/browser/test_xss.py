"""No script planted in free text or in a stored file runs in any role's browser
(issue 10). Payloads are planted in the names, titles, reasons, comments, batch and
step names a user can fill (written straight into the demo plant's rows, as a
hostile user's input would be stored), and a document file is replaced by an HTML
page; then each role walks every page it can reach and opens the stored file URLs.
No dialog may fire, and the Content-Security-Policy must never have to block
anything (a violation would mean an inline script or style reached a page)."""

import subprocess
import sys
from collections import deque
from urllib.parse import urljoin, urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TIMEOUT_MS, _env, login

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'><svg onload=alert(3)>"

# (app, model, field): free text a user can type somewhere in the product.
FIELDS = [
    ("accounts", "User", "printed_name"),
    ("org", "Person", "full_name"),
    ("org", "JobFunction", "name"),
    ("org", "Department", "name"),
    ("documents", "Document", "title"),
    ("documents", "DocumentVersion", "change_summary"),
    ("documents", "DocumentVersion", "content_text"),
    ("training", "Requirement", "title"),
    ("training", "Curriculum", "title"),
    ("training", "TrainingRecord", "notes"),
    ("quality", "ChangeControl", "title"),
    ("quality", "ChangeControl", "description"),
    ("quality", "ChangeControl", "reason"),
    ("quality", "Capa", "problem_statement"),
    ("quality", "Capa", "root_cause"),
    ("quality", "Deviation", "description"),
    ("quality", "Deviation", "batch"),
    ("quality", "Execution", "batch"),
    ("quality", "Execution", "step"),
    ("signatures", "Signature", "comment"),
]

PLANT = f"""
from django.apps import apps
from django.db import DatabaseError, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
payload = {PAYLOAD!r}
for app, model, field in {FIELDS!r}:
    try:
        Model = apps.get_model(app, model)
        Model._meta.get_field(field)
    except (LookupError, Exception):
        continue
    try:
        with transaction.atomic():
            Model.objects.update(**{{field: Concat(Value(payload), F(field))}})
    except DatabaseError:
        pass  # append-only rows (records, signatures): the database refuses any change
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from qualify.documents.models import DocumentVersion
# A file stored behind the services' back (as before uploads were checked): a page.
version = DocumentVersion.objects.filter(status="approved").order_by("pk").first()
name = default_storage.save(
    f"documents/{{version.document.number}}/{{version.revision}}/legacy.html",
    ContentFile(b"<!doctype html><html><body><script>alert('file')</script></body></html>"),
)
DocumentVersion.objects.filter(pk=version.pk).update(file=name)
print(version.pk)
"""

ROLES = ["operator", "trainer", "coordinator", "doccontrol", "qa", "auditor", "admin"]
PAGE_LIMIT = 45


def _plant(var_dir) -> int:
    """Plant the payloads; returns the pk of the version whose file is an HTML page."""
    done = subprocess.run(
        [sys.executable, "-m", "qualify", "shell", "-c", PLANT],
        env=_env(var_dir),
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout.strip().splitlines()[-1])


def _walk(page, app_url, dialogs, violations):
    """Breadth-first over the same-origin links a role sees, GET only."""
    seen, queue, visited = set(), deque(["/"]), 0
    while queue and visited < PAGE_LIMIT:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(app_url + path)
        visited += 1
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            url = urlparse(urljoin(app_url + path, href))
            if url.netloc != urlparse(app_url).netloc:
                continue
            target = url.path + (f"?{url.query}" if url.query else "")
            if "logout" in target or target.startswith("/api/") or target in seen:
                continue
            queue.append(target)
    return visited


@pytest.mark.requirement("P18", "P19")
def test_no_planted_script_runs_for_any_role(browser, app_url, tmp_path):
    version = _plant(tmp_path / "var")
    total = 0
    for username in ROLES:
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        dialogs, violations = [], []
        page.on("dialog", lambda d, dialogs=dialogs: (dialogs.append(d.message), d.dismiss()))
        page.on(
            "console",
            lambda m, violations=violations: (
                violations.append(m.text) if "Content Security Policy" in m.text else None
            ),
        )
        try:
            login(page, app_url, username)
            total += _walk(page, app_url, dialogs, violations)
            # The stored file, where this role may open it.
            page.goto(f"{app_url}/documents/version/{version}/")
            page.goto(f"{app_url}/documents/version/{version}/file/")
        finally:
            context.close()
        assert dialogs == [], f"{username}: a planted script ran: {dialogs}"
        assert violations == [], f"{username}: CSP had to block: {violations}"
    assert total > 100  # the walk really visited the pages


@pytest.mark.requirement("P18")
def test_a_stored_html_file_is_never_served_as_a_page(browser, app_url, tmp_path):
    version = _plant(tmp_path / "var")
    context = browser.new_context()
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        login(page, app_url, "doccontrol")
        page.goto(f"{app_url}/documents/version/{version}/")
        link = page.locator(f"a[href='/documents/version/{version}/file/']")
        expect(link).to_have_count(1)
        response = page.request.get(f"{app_url}/documents/version/{version}/file/")
        assert response.status == 200
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"].startswith("sandbox")
        assert "text/html" not in response.headers["content-type"]
    finally:
        context.close()
    assert dialogs == []
