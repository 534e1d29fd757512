"""P20: a webhook never reaches inside. The destination is resolved once and checked
at send time, the connection goes to the checked address, redirects are answers (not
followed), and time and answer size are bounded. Real sockets on 127.0.0.1 only."""

import http.server
import ipaddress
import json
import socket
import threading
import time

import pytest
from django.utils import timezone

from qualify.api.models import WebhookDelivery, WebhookSubscription
from qualify.api.webhooks import deliver, network
from tests.api.conftest import bearer

pytestmark = pytest.mark.requirement("P20")

HOOK_HOST = "hooks.partner.test"


class Listener:
    """An HTTP server on 127.0.0.1 in a thread, counting what it receives."""

    def __init__(self, answer):
        self.requests: list[tuple[str, str, dict]] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                owner.requests.append((self.path, self.rfile.read(length), dict(self.headers)))
                answer(self)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def ok(handler):
    handler.send_response(204)
    handler.end_headers()


@pytest.fixture
def listeners():
    made = []

    def make(answer=ok):
        made.append(Listener(answer))
        return made[-1]

    yield make
    for listener in made:
        listener.close()


@pytest.fixture
def dns(monkeypatch):
    """A resolver the test controls: name -> addresses."""
    table: dict[str, list[str]] = {}
    asked: list[str] = []

    def resolve(host, port):
        asked.append(host)
        return table[host]

    monkeypatch.setattr(network, "resolve", resolve)
    table["asked"] = asked  # type: ignore[assignment]
    return table


def deliver_to(url, admin) -> WebhookDelivery:
    """A subscription stored as if made before the network changed (the send-time
    check is what must refuse), and one event delivered to it now."""
    subscription = WebhookSubscription.objects.create(
        name="partner",
        url=url,
        secret="s3cret",
        events=["document.obsoleted"],
        created_by=admin,
        created_at=timezone.now(),
    )
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event="document.obsoleted",
        event_id="e1",
        payload={"id": "e1", "event": "document.obsoleted", "data": {}},
        created_at=timezone.now(),
    )
    deliver.deliver_webhook.enqueue(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def test_loopback_listener_is_refused_by_default(settings, listeners, dns, admin):
    settings.QUALIFY_WEBHOOK_ALLOW_HTTP_HOSTS = [HOOK_HOST]
    settings.QUALIFY_WEBHOOK_ALLOW_NETWORKS = []
    listener = listeners()
    dns[HOOK_HOST] = ["127.0.0.1"]
    delivery = deliver_to(f"http://{HOOK_HOST}:{listener.port}/hook", admin)
    assert listener.requests == []
    assert delivery.status == "failed"
    assert delivery.attempts == 1  # a refused destination is not retried
    assert "loopback" in delivery.last_error


def test_loopback_listener_is_reached_when_the_network_is_allow_listed(
    settings, listeners, dns, admin
):
    """The same delivery goes through once loopback is allowed: the address check,
    not the listener or the scheme, is what refused it above."""
    settings.QUALIFY_WEBHOOK_ALLOW_HTTP_HOSTS = [HOOK_HOST]
    settings.QUALIFY_WEBHOOK_ALLOW_NETWORKS = ["127.0.0.0/8"]
    listener = listeners()
    dns[HOOK_HOST] = ["127.0.0.1"]
    delivery = deliver_to(f"http://{HOOK_HOST}:{listener.port}/hook?x=1", admin)
    assert delivery.status == "delivered"
    [(path, body, headers)] = listener.requests
    assert path == "/hook?x=1"
    assert headers["Host"] == f"{HOOK_HOST}:{listener.port}"  # connected to the checked address
    assert json.loads(body)["event"] == "document.obsoleted"
    assert dns["asked"] == [HOOK_HOST]  # resolved once: no second lookup to rebind


@pytest.mark.parametrize(
    "addresses",
    [
        ["10.1.2.3"],
        ["192.168.0.10"],
        ["169.254.169.254"],
        ["::1"],
        ["::ffff:127.0.0.1"],
        ["fd00:ec2::254"],
        ["93.184.216.34", "10.0.0.7"],  # one internal address among public ones
    ],
)
def test_a_name_resolving_to_an_internal_address_is_refused_before_connecting(
    settings, dns, admin, monkeypatch, addresses
):
    settings.QUALIFY_WEBHOOK_ALLOW_NETWORKS = []
    connected = []
    monkeypatch.setattr(
        socket, "create_connection", lambda *a, **k: connected.append(a) or pytest.fail("connected")
    )
    dns["hooks.example"] = addresses
    delivery = deliver_to("https://hooks.example/q", admin)
    assert connected == []
    assert delivery.status == "failed"
    assert delivery.last_error.startswith("Refused: ")


def test_a_redirect_to_an_internal_address_is_not_followed(settings, listeners, dns, admin):
    settings.QUALIFY_WEBHOOK_ALLOW_HTTP_HOSTS = [HOOK_HOST]
    settings.QUALIFY_WEBHOOK_ALLOW_NETWORKS = ["127.0.0.1/32"]
    internal = listeners()

    def redirect(handler):
        handler.send_response(302)
        handler.send_header("Location", f"http://127.0.0.1:{internal.port}/admin/drop")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    public = listeners(redirect)
    dns[HOOK_HOST] = ["127.0.0.1"]
    delivery = deliver_to(f"http://{HOOK_HOST}:{public.port}/hook", admin)
    assert internal.requests == []
    assert len(public.requests) == deliver.MAX_ATTEMPTS  # a 302 is a failed attempt
    assert delivery.status == "failed"
    assert delivery.last_status_code == 302


def test_answer_size_and_time_are_bounded(settings, listeners, dns, monkeypatch):
    settings.QUALIFY_WEBHOOK_ALLOW_HTTP_HOSTS = [HOOK_HOST]
    settings.QUALIFY_WEBHOOK_ALLOW_NETWORKS = ["127.0.0.0/8"]
    monkeypatch.setattr(network, "TOTAL_TIMEOUT_SECONDS", 1)
    monkeypatch.setattr(network, "CONNECT_TIMEOUT_SECONDS", 1)
    sent = []

    def endless(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", str(10**10))
        handler.end_headers()
        try:
            while True:
                handler.wfile.write(b"x" * 65536)
                sent.append(65536)
        except OSError:
            pass

    def slow(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        try:
            for _ in range(50):
                handler.wfile.write(b"x")
                handler.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass

    big, dripping = listeners(endless), listeners(slow)
    dns[HOOK_HOST] = ["127.0.0.1"]
    started = time.monotonic()
    assert network.post(f"http://{HOOK_HOST}:{big.port}/", b"{}", {}) == 200
    assert time.monotonic() - started < 5
    assert sum(sent) < 64 * 1024 * 1024  # stopped reading long before 10 GB

    started = time.monotonic()
    with pytest.raises(TimeoutError):
        network.post(f"http://{HOOK_HOST}:{dripping.port}/", b"{}", {})
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example/q",  # plain http to a host nobody allowed
        "ftp://hooks.example/q",
        "http://127.0.0.1:5432/",
        "https://127.0.0.1/admin/",
        "https://localhost/q",
        "https://10.0.0.5/q",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/q",
        "https://[::ffff:127.0.0.1]/q",
        "https://user:pw@hooks.example/q",
    ],
)
def test_subscription_url_must_be_https_to_a_public_host(make_token, url):
    client = bearer(make_token("webhooks-manage")[1])
    r = client.post(
        "/api/v1/webhooks/subscriptions/",
        {"name": "x", "url": url, "events": ["document.obsoleted"]},
        format="json",
    )
    assert r.status_code == 400, r.json()
    assert "url" in r.json()["errors"]
    assert WebhookSubscription.objects.count() == 0


def test_http_is_accepted_only_for_a_host_the_administrator_allows(settings, make_token):
    settings.QUALIFY_WEBHOOK_ALLOW_HTTP_HOSTS = ["receiver.plant.example"]
    client = bearer(make_token("webhooks-manage")[1])
    r = client.post(
        "/api/v1/webhooks/subscriptions/",
        {"name": "x", "url": "http://receiver.plant.example/q", "events": ["document.obsoleted"]},
        format="json",
    )
    assert r.status_code == 201, r.json()


@pytest.mark.parametrize(
    ("address", "internal"),
    [
        ("127.0.0.1", True),
        ("10.0.0.1", True),
        ("172.16.5.4", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("169.254.1.1", True),
        ("100.64.0.1", True),
        ("224.0.0.251", True),
        ("0.0.0.0", True),
        ("240.0.0.1", True),
        ("::", True),
        ("::1", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("ff02::1", True),
        ("::ffff:10.0.0.1", True),
        ("::ffff:169.254.169.254", True),
        ("64:ff9b::a00:1", True),
        ("2002:7f00:1::", True),
        ("93.184.216.34", False),
        ("8.8.8.8", False),
        ("2606:4700:4700::1111", False),
    ],
)
def test_internal_addresses_of_every_kind_are_recognised(address, internal):
    assert (network.why_internal(ipaddress.ip_address(address)) is not None) is internal
