"""Start and drive the test OpenID provider process (tests/identity/oidc_provider)."""

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import requests

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "qualify-test"
CLIENT_SECRET = "qualify-test-secret-0123456789"
PASSWORD = "idp-password-1"
USERS = [
    {"username": "employee", "email": "employee@plant.example", "groups": ["qualify-employee"]},
    {"username": "operator", "email": "operator@example.com", "groups": ["qualify-employee"]},
    {"username": "newhire", "email": "newhire@example.com", "groups": ["qualify-employee"]},
    {"username": "admin", "email": "admin@example.com", "groups": ["qualify-administrator"]},
    {
        "username": "trainer",
        "email": "trainer@plant.example",
        "groups": ["qualify-employee", "qualify-trainer"],
    },
    {
        "username": "qa",
        "email": "qa@plant.example",
        "groups": ["qualify-employee", "qualify-qa_approver"],
    },
    {
        "username": "greedy",
        "email": "greedy@example.com",
        "groups": ["qualify-administrator", "qualify-qa_approver"],
    },
    {"username": "typo", "email": "typo@example.com", "groups": ["qualify-qa_aprover"]},
    {"username": "outsider", "email": "outsider@elsewhere.org", "groups": ["qualify-employee"]},
]


@dataclass
class Provider:
    base: str
    process: subprocess.Popen
    browsers: dict = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return f"{self.base}/o"

    def control(self, **data) -> dict:
        return requests.post(f"{self.base}/control/", json=data, timeout=10).json()

    def browser(self, username: str) -> requests.Session:
        """The person's browser at the provider (its cookies persist between flows)."""
        if username not in self.browsers:
            self.browsers[username] = requests.Session()
        return self.browsers[username]

    def answer(self, authorize_url: str, username: str, *, password: str = PASSWORD) -> str:
        """Follow the provider's pages for `username` (signing in when asked) until it
        redirects back to Qualify; return that address (path and query)."""
        session = self.browser(username)
        url = authorize_url
        for _ in range(10):
            response = session.get(url, allow_redirects=False, timeout=10)
            if response.status_code in (301, 302, 303):
                target = response.headers["Location"]
                if target.startswith("/"):
                    target = self.base + target
                if not target.startswith(self.base):
                    parsed = urlparse(target)
                    return f"{parsed.path}?{parsed.query}"
                url = target
                continue
            if "csrfmiddlewaretoken" in response.text:
                token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
                nxt = parse_qs(urlparse(response.url).query).get("next", [""])[0]
                response = session.post(
                    response.url,
                    data={
                        "csrfmiddlewaretoken": token.group(1),
                        "username": username,
                        "password": password,
                        "next": nxt,
                    },
                    allow_redirects=False,
                    timeout=10,
                )
                if response.status_code != 302:
                    raise AssertionError(f"sign-in at the provider failed: {response.status_code}")
                url = self.base + response.headers["Location"]
                continue
            raise AssertionError(f"unexpected provider page {response.status_code}: {url}")
        raise AssertionError("too many redirects at the provider")


def start(state: Path, redirect_uris: list[str]) -> Provider:
    state.mkdir(parents=True, exist_ok=True)
    seed = {
        "users": [{**u, "password": PASSWORD} for u in USERS],
        "client": {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": redirect_uris,
            "post_logout_redirect_uris": ["http://testserver/accounts/login/"],
        },
    }
    (state / "seed.json").write_text(json.dumps(seed))
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUALIFY_")}
    env["PYTHONPATH"] = str(ROOT)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.identity.oidc_provider.serve", str(state)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(state / "stderr.log", "wb"),  # noqa: SIM115
    )
    port_file = state / "port"
    deadline = time.monotonic() + 60
    while not port_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError((state / "stderr.log").read_text())
        time.sleep(0.1)
    return Provider(base=f"http://127.0.0.1:{port_file.read_text().strip()}", process=process)


def stop(provider: Provider) -> None:
    provider.process.terminate()
    provider.process.wait(timeout=10)
