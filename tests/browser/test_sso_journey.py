"""An operator signs in through the company's OpenID provider and signs a
read-and-understand with re-authentication at the provider (issue 16), in a real
browser: Qualify on a copy of the demo plant, django-oauth-toolkit's provider in
its own process, both on loopback."""

import re
import shutil
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import REPO, _env, _free_port, _wait_for
from tests.identity import provider as idp


@pytest.fixture
def sso_app(demo_database, tmp_path):
    """The demo plant's app configured for the provider (docs/identity.md)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    provider = idp.start(
        tmp_path / "idp",
        [f"{url}/identity/oidc/callback/", f"{url}/identity/oidc/reauth/callback/"],
    )
    var_dir = tmp_path / "var"
    shutil.copytree(demo_database, var_dir)
    env = {
        **_env(var_dir),
        "QUALIFY_OIDC_ISSUER": provider.issuer,
        "QUALIFY_OIDC_CLIENT_ID": idp.CLIENT_ID,
        "QUALIFY_OIDC_CLIENT_SECRET": idp.CLIENT_SECRET,
        "QUALIFY_OIDC_NAME": "Example IdP",
        # The re-authentication form's answer redirects to the provider (CSP form-action).
        "QUALIFY_SSO_FORM_ORIGINS": provider.base,
    }
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
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, process, seconds=120)  # a loaded machine starts it slowly
        yield url, provider
    finally:
        process.terminate()
        process.wait(timeout=10)
        idp.stop(provider)


def _sign_in_at_provider(page, username="operator"):
    page.wait_for_url(re.compile(r"/login/\?next="))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(idp.PASSWORD)
    page.get_by_role("button", name="Sign in at the provider").click()


@pytest.mark.requirement("P53", "P55", "S1")
def test_an_operator_signs_in_through_the_provider_and_signs_with_reauthentication(page, sso_app):
    app_url, _provider = sso_app
    page.goto(f"{app_url}/accounts/login/")
    page.get_by_role("link", name="Sign in with Example IdP").click()
    _sign_in_at_provider(page)
    page.wait_for_url(re.compile(re.escape(app_url) + "/"))
    page.goto(f"{app_url}/employee/")
    links = page.locator("table.list a.button").evaluate_all("els => els.map(e => e.href)")
    assert links, "the operator has open training in the demo plant"
    for href in links:
        page.goto(href)
        if page.get_by_role("button", name="Re-authenticate with Example IdP to sign").count():
            break
    else:
        pytest.fail("no open read-and-understand assignment offered for signing")
    expect(page.get_by_label("Password")).to_have_count(0)  # no local password asked
    page.get_by_role("button", name="Re-authenticate with Example IdP to sign").click()
    # prompt=login: the provider asks for the credentials again, despite its session.
    _sign_in_at_provider(page)
    page.wait_for_url(re.compile(r"\?reauth="))
    expect(page.get_by_text("re-authenticated you for this signature")).to_be_visible()
    page.get_by_role("button", name="Sign: read and understood").click()
    page.wait_for_url(re.compile(r"/employee/records/\d+/$"))
    assert (
        page.locator(".manifestation")
        .first.inner_text()
        .startswith("Signed by Olivia Ortega (operator)")
    )
