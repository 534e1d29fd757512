"""P16: a small page fuzzer. Signed in as each demo login, it walks every page address
without a path parameter and the pages linked from them (ids taken from the links),
then sends every page's query parameters and every form's fields malformed values:
non-digits where ids belong, NUL characters, huge strings, times without a zone,
negative and fractional numbers. No answer may be a server error.

Bounded (QUALIFY_PAGE_FUZZ_PAGES pages per login, default 40; a fixed list of bad
values): about 45 s of CPU on the reduced demo plant.
"""

import os
import re
from collections import deque
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.signals import got_request_exception
from django.test import Client

from qualify.accounts.models import User
from qualify.seed import plant
from qualify.seed.logins import DEMO_USERS

pytestmark = [pytest.mark.requirement("P16"), pytest.mark.django_db]

PAGES = int(os.environ.get("QUALIFY_PAGE_FUZZ_PAGES", "40"))
BAD = [
    "abc",
    "1\x00",
    "9" * 30,
    "x" * 5000,
    "2026-03-01T08:00:00",
    "-1",
    "1.5",
    "",
    "<b>'\"",
]
# Query parameters the pages read by hand (request.GET.get(...) in qualify/web).
SOURCE = os.path.join(os.path.dirname(__file__), "..", "..", "qualify", "web")
SKIP = ("/accounts/logout/", "/static/", "/api/")

HREF = re.compile(r'href="([^"#]+)"')
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ACTION = re.compile(r'action="([^"]*)"')
METHOD = re.compile(r'method="([^"]*)"', re.I)
FIELD = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"', re.I)


def query_names_in_source() -> set[str]:
    pattern = re.compile(r'request\.GET\.(?:get|getlist)\("([a-z_]+)"')
    names = set()
    for folder, _, files in os.walk(SOURCE):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    names |= set(pattern.findall(handle.read()))
    return names


@pytest.fixture
def demo(db):
    plant.load(scale="demo", seed=2026, people_per_function=1)


@pytest.fixture
def server_errors():
    seen = []

    def note(sender, request=None, **kwargs):
        seen.append(request)

    got_request_exception.connect(note)
    yield seen
    got_request_exception.disconnect(note)


def static_pages() -> list[str]:
    """Every page address without a path parameter, from the URL patterns."""
    from django.urls import URLResolver, get_resolver

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif "<" not in str(p.pattern):
                yield "/" + prefix + str(p.pattern)

    return [path for path in walk(get_resolver().url_patterns) if not path.startswith(SKIP)]


def crawl(client: Client, limit: int) -> dict[str, str]:
    """Every page without a path parameter, then those reachable by links, up to
    `limit`: {path: html}."""
    pages: dict[str, str] = {}
    queue = deque(["/", *static_pages()])
    seen = set(queue)
    while queue and len(pages) < limit:
        path = queue.popleft()
        response = client.get(path)
        if response.status_code in (301, 302, 303) and response["Location"].startswith("/"):
            location = response["Location"]
            if location not in seen and not location.startswith(SKIP):
                seen.add(location)
                queue.append(location)
            continue
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode("utf-8", "replace")
        pages[path] = html
        for href in HREF.findall(html):
            link = urlsplit(unescape(href))
            if link.netloc or not link.path.startswith("/") or link.path.startswith(SKIP):
                continue
            target = link.path + (f"?{link.query}" if link.query else "")
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return pages


def forms(html: str, page: str) -> list[tuple[str, str, list[str]]]:
    found = []
    for attributes, body in FORM.findall(html):
        action = ACTION.search(attributes)
        method = METHOD.search(attributes)
        target = unescape(action.group(1)) if action and action.group(1) else page
        if target.startswith(SKIP):
            continue
        names = sorted({n for n in FIELD.findall(body) if n != "csrfmiddlewaretoken"})
        found.append(((method.group(1) if method else "get").lower(), target, names))
    return found


@pytest.mark.slow
def test_no_page_answers_malformed_input_with_a_server_error(demo, server_errors):
    names_by_hand = query_names_in_source()
    failures: list[str] = []
    requests = 0
    reached: dict[str, int] = {}

    def check(response, what: str) -> None:
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {what}")

    for username, *_ in DEMO_USERS:
        client = Client(raise_request_exception=False)
        client.force_login(User.objects.get(username=username))
        pages = crawl(client, PAGES)
        reached[username] = len(pages)
        for page, html in pages.items():
            path = urlsplit(page).path
            known = dict(parse_qsl(urlsplit(page).query))
            page_forms = forms(html, path)
            names = names_by_hand | set(known)
            for _method, _target, fields in page_forms:
                names |= set(fields)
            for value in BAD:
                query = {**known, **dict.fromkeys(names, value)}
                check(client.get(path, query), f"GET {path} all parameters = {value[:20]!r}")
                requests += 1
            for method, target, fields in page_forms:
                if method != "post" or not fields:
                    continue
                for value in BAD:
                    check(
                        client.post(target, dict.fromkeys(fields, value)),
                        f"POST {target} {fields} = {value[:20]!r} (as {username})",
                    )
                    requests += 1
    assert requests > 500, f"the fuzzer reached too little: {requests} requests, {reached}"
    assert not failures, "\n".join(failures[:50])
    assert not server_errors
