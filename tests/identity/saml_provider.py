"""Start and drive the test SAML IdP process (tests/identity/saml_idp)."""

import html
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import requests

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "saml-password-1"
USERS = {
    name: {
        "password": PASSWORD,
        "attributes": {
            "uid": [name],
            "displayName": [name.title()],
            "mail": [f"{name}@plant.example"],
            "groups": groups,
        },
    }
    for name, groups in {
        "employee": ["qualify-employee"],
        "operator": ["qualify-employee"],
        "trainer": ["qualify-employee", "qualify-trainer"],
        "qa": ["qualify-employee", "qualify-qa_approver"],
    }.items()
}


@dataclass
class SamlIdp:
    base: str
    process: subprocess.Popen
    browsers: dict = field(default_factory=dict)

    def control(self, **data) -> dict:
        return requests.post(f"{self.base}/control/", json=data, timeout=10).json()

    def metadata(self) -> str:
        return requests.get(f"{self.base}/idp/metadata", timeout=10).text

    def answer(self, location: str, username: str) -> dict:
        """Follow the provider for `username` (signing in when asked); return the
        form it posts back to the service provider: action, SAMLResponse, RelayState."""
        browser = self.browsers.setdefault(username, requests.Session())
        page = browser.get(location, timeout=10).text
        if 'action="/sso/login"' in page:
            fields = dict(re.findall(r'name="(SAMLRequest|RelayState)" value="([^"]*)"', page))
            fields = {k: html.unescape(v) for k, v in fields.items()}
            page = browser.post(
                f"{self.base}/sso/login",
                data={**fields, "username": username, "password": PASSWORD},
                timeout=10,
            ).text
        action = re.search(r'action="([^"]+)"', page).group(1)
        values = dict(re.findall(r'name="(SAMLResponse|RelayState)" value="([^"]*)"', page))
        return {
            "action": urlparse(html.unescape(action)).path,
            **{k: html.unescape(v) for k, v in values.items()},
        }


def start(state: Path) -> SamlIdp:
    state.mkdir(parents=True, exist_ok=True)
    (state / "users.json").write_text(json.dumps(USERS))
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUALIFY_")}
    env["PYTHONPATH"] = str(ROOT)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.identity.saml_idp.serve", str(state)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(state / "stderr.log", "wb"),  # noqa: SIM115
    )
    deadline = time.monotonic() + 60
    while not (state / "port").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError((state / "stderr.log").read_text())
        time.sleep(0.1)
    return SamlIdp(base=f"http://127.0.0.1:{(state / 'port').read_text().strip()}", process=process)


def stop(idp: SamlIdp) -> None:
    idp.process.terminate()
    idp.process.wait(timeout=10)
