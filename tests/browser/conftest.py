"""Browser tests: Chromium driven by Playwright against the real app on loopback.

The app runs in its own process on a copy of a demo-plant database, so journeys see
exactly what `make demo` shows and never touch the pytest-django test database (the
audit triggers would refuse the flush a live-server test needs). The demo database is
built once (it takes a couple of minutes) and cached under var/browser/, keyed by a
hash of the code that shapes it; each test gets a fresh copy and its own server.
`fresh_installation` is the other start: an empty database after `qualify migrate`,
its mail written to files, for the go-live journey.
"""

import email
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser import demo_plant
from tests.browser.demo_plant import app_env
from tests.plugins.migrated_template import run_folder

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
DEMO_PASSWORD = "Qualify-demo-2026!"
# How long a page action or an expect() waits. Generous because CI runs the browser
# beside the rest of the suite on two cores: a page answered in 0.1 s alone has been
# seen to take seconds there. A passing step never waits this long.
TIMEOUT_MS = 20_000

HERE = Path(__file__).resolve().parent


def pytest_addoption(parser):
    parser.addoption(
        "--screenshots",
        action="store_true",
        default=False,
        help="save the key pages as PNG under docs/screenshots/ (make screenshots)",
    )


def pytest_collection_modifyitems(config, items):
    # Every test here is a browser test, so `-m 'not browser'` (the PostgreSQL pass of
    # .ci/run, mutmut) leaves them out: a `pytestmark` in a conftest marks nothing.
    # The hook sees the whole session's items, hence the path check.
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.browser)
    if not config.getoption("--screenshots", default=False):
        # Not run in CI: the PNGs are committed, rewritten only on purpose.
        for item in items:
            if "screenshots" in item.keywords:
                item.add_marker(pytest.mark.skip(reason="screenshots need --screenshots"))
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing: `apt-get install chromium chromium-driver` (.ci/run does)"
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


_env = app_env  # the journeys that start an app of their own use it


@pytest.fixture(scope="session")
def demo_database(migrated_template) -> Path:
    return demo_plant.build(migrated_template.folder)


def pytest_collection_finish(session):
    if session.config.option.collectonly:
        return
    journeys = [
        item
        for item in session.items
        if "browser" in item.keywords and item.get_closest_marker("skip") is None
    ]
    if any("demo_database" in getattr(item, "fixturenames", ()) for item in journeys):
        demo_plant.start_in_background(run_folder(session.config))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited early with code {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the app did not listen on port {port} within {seconds} s")


@pytest.fixture
def app_url(demo_database, tmp_path):
    """A running app on a fresh copy of the demo plant; yields its base URL."""
    var_dir = tmp_path / "var"
    shutil.copytree(demo_database, var_dir)
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "qualify",
            "runserver",
            f"127.0.0.1:{port}",
            "--noreload",
            "--insecure",
        ],
        env=_env(var_dir),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


def login(page, app_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{app_url}/accounts/login/")
    page.get_by_label("User id").fill(username)
    page.get_by_label("Password").fill(password)
    # The answer (the next page, or the form again with its error) is waited for here:
    # a check made at once could read the login page that was being left.
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


@dataclass
class FreshInstallation:
    """An app started on an empty database, as a new customer has it after
    `qualify migrate`: no user, no site, nothing seeded. Mail is written to files
    (one per message) so a test reads what a person would find in their inbox."""

    url: str
    var_dir: Path
    env: dict[str, str]

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    def qualify(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess:
        """Run `qualify <args>` as an operator would, on this installation."""
        return subprocess.run(
            [sys.executable, "-m", "qualify", *args],
            env={**self.env, **extra_env},
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
        )

    def deliver_mail(self) -> None:
        """Run the task worker once over the queue, as `qualify db_worker` does in
        production: the set-password links are mailed through it."""
        self.qualify("db_worker", "--batch", "--no-startup-delay")

    def mails_to(self, address: str) -> list[email.message.Message]:
        found = []
        for path in sorted(self.mail_dir.glob("*.log")):
            # The file backend separates messages with a line of 79 dashes.
            for chunk in path.read_text().split("-" * 79):
                if chunk.strip():
                    message = email.message_from_string(chunk.strip())
                    if address in (message.get("To") or ""):
                        found.append(message)
        return found


@pytest.fixture
def fresh_installation(tmp_path):
    """A running app on a new, empty database (only `qualify migrate` run); yields a
    FreshInstallation. `qualify setup` and everything after are the test's."""
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = _env(var_dir)
    env.update(
        QUALIFY_EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        QUALIFY_EMAIL_FILE_PATH=str(var_dir / "mail"),
        QUALIFY_BASE_URL=url,
    )
    installation = FreshInstallation(url=url, var_dir=var_dir, env=env)
    installation.qualify("migrate", "--no-input")
    process = subprocess.Popen(
        [sys.executable, "-m", "qualify", "runserver", f"127.0.0.1:{port}", "--noreload",
         "--insecure"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for(port, process)
        yield installation
    finally:
        process.terminate()
        process.wait(timeout=10)
