"""Where a webhook may be sent (P20): outbound requests never reach inside.

Hazards this module exists for:
- SSRF. A subscription URL is chosen by whoever holds a webhooks token; without a
  check the server would POST into its own network (the database port, an internal
  admin page, the cloud metadata service at 169.254.169.254).
- DNS rebinding. A name can resolve to a public address when checked and to
  127.0.0.1 a moment later. So the host is resolved once, every address is checked,
  and the connection is made to the checked address itself (TLS still verifies the
  certificate against the host name, sent as SNI and Host).
- Redirects. A 3xx is an answer, never followed: the Location could be internal.
- Slow or huge answers. Connect and read are bounded in time, and at most
  MAX_RESPONSE_BYTES of the answer are read.

Administrators may allow-list networks (QUALIFY_WEBHOOK_ALLOW_NETWORKS, CIDR list,
e.g. an on-premises receiver on 10.2.0.0/16) and hosts that may be sent plain http
(QUALIFY_WEBHOOK_ALLOW_HTTP_HOSTS); everything else must be https.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

CONNECT_TIMEOUT_SECONDS = 5
TOTAL_TIMEOUT_SECONDS = 10
MAX_RESPONSE_BYTES = 64 * 1024
METADATA = ipaddress.ip_address("169.254.169.254")
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(Exception):
    """The destination is not one a webhook may be sent to."""


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(text, strict=False)
        for text in getattr(settings, "QUALIFY_WEBHOOK_ALLOW_NETWORKS", [])
    ]


def http_hosts() -> set[str]:
    return {h.lower() for h in getattr(settings, "QUALIFY_WEBHOOK_ALLOW_HTTP_HOSTS", [])}


def why_internal(address: IPAddress) -> str | None:
    """Why `address` is not a public destination, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv4 address carried inside IPv6 is judged as itself: ::ffff:127.0.0.1
        # (mapped), 2002:7f00:1:: (6to4), Teredo's client and 64:ff9b::7f00:1 (NAT64).
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return why_internal(embedded)
    if address == METADATA:
        return "the cloud metadata address"
    for flag, words in (
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_unspecified", "the unspecified address"),
        ("is_reserved", "a reserved address"),
        ("is_private", "a private address"),
    ):
        if getattr(address, flag):
            return words
    if not address.is_global:
        return "not a public address"  # e.g. shared address space 100.64.0.0/10
    return None


def check_address(address: IPAddress) -> None:
    """Refuse an internal address unless an administrator allow-listed its network."""
    reason = why_internal(address)
    if reason is None:
        return
    if any(address in network for network in allowed_networks()):
        return
    raise AddressRefused(
        f"{address} is {reason}; webhooks are not sent there unless an administrator "
        "allows its network (QUALIFY_WEBHOOK_ALLOW_NETWORKS)."
    )


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (tests replace this: no DNS in tests)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_url(url: str) -> None:
    """At subscription: https (or http for an allowed host), no credentials in the URL,
    and no literal internal address. Names are checked when sending (DNS changes)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        raise ValidationError({"url": "The URL names no host."})
    if parts.scheme == "http" and host not in http_hosts():
        raise ValidationError(
            {
                "url": "Webhook URLs must use https (plain http only for a host an "
                "administrator allows)."
            }
        )
    if parts.scheme not in ("http", "https"):
        raise ValidationError({"url": "Webhook URLs must use https."})
    if parts.username or parts.password:
        raise ValidationError({"url": "Put no user name or password in the URL."})
    literal = _literal(host)
    if host == "localhost" or host.endswith(".localhost"):
        literal = ipaddress.ip_address("127.0.0.1")
    if literal is not None:
        try:
            check_address(literal)
        except AddressRefused as refused:
            raise ValidationError({"url": str(refused)}) from None


def pick_address(host: str, port: int) -> str:
    """Resolve once and check every address the name has: one internal address is
    enough to refuse (a receiver cannot choose which one a client would use)."""
    literal = _literal(host)
    addresses = [str(literal)] if literal is not None else resolve(host, port)
    if not addresses:
        raise AddressRefused(f"{host} does not resolve to any address.")
    for text in addresses:
        check_address(ipaddress.ip_address(text.split("%")[0]))
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` to `url` under the rules above and return the status code; a
    redirect's status is returned as it is (a failed attempt), never followed."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https":
        connection_class: type = _PinnedHTTPSConnection
    elif parts.scheme == "http" and host in http_hosts():
        connection_class = _PinnedHTTPConnection
    else:
        raise AddressRefused(f"{parts.scheme}://{host} is not allowed: webhooks need https.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = pick_address(host, port)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    started = time.monotonic()
    connection = connection_class(host, port, address, CONNECT_TIMEOUT_SECONDS)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        # Read a bounded amount, within a bounded time, then drop the connection.
        received = 0
        while received < MAX_RESPONSE_BYTES:
            if time.monotonic() - started > TOTAL_TIMEOUT_SECONDS:
                raise TimeoutError("The receiver took too long to answer.")
            chunk = response.read1(min(8192, MAX_RESPONSE_BYTES - received))
            if not chunk:
                break
            received += len(chunk)
        return response.status
    finally:
        connection.close()
