"""Outbound HTTP to addresses an admin typed in: webhook subscriptions and group chat webhooks.

Why: a subscription URL is a request the server makes on someone's behalf. Pointed at
`169.254.169.254`, `127.0.0.1`, `[::1]` or `10.0.0.1`, it reached the cloud metadata service or
internal ports, and the delivery log showed the first bytes of the answer (server-side request
forgery).

The rule: a target is `http` or `https`, on port 80, 443 or 1024 and up (the well-known ports
below 1024 are SSH, SMTP and their kin, never a webhook receiver), and every address its host
name resolves to must be public: loopback, private, link-local, multicast, unspecified, reserved
and other non-global addresses are refused (an IPv4-mapped IPv6 address is judged as the IPv4 it
carries). `WEBHOOK_ALLOW_PRIVATE_TARGETS` lifts the address rule, for receivers on the premises.

The name is resolved once, and the connection goes to the address that was checked: the URL's
host is replaced by that address, the `Host` header keeps the name, and TLS sends the name as SNI
and verifies the certificate against it (httpcore's `sni_hostname` request extension). A DNS
answer that changes between the check and the connection (rebinding) therefore changes nothing.
Redirects are never followed, and proxies from the environment are not used (the guard must see
the address the request really goes to); its CA bundle (SSL_CERT_FILE, SSL_CERT_DIR) is.
"""

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError

ALLOWED_SCHEMES = frozenset({"http", "https"})
ALLOWED_LOW_PORTS = frozenset({80, 443})
FIRST_UNPRIVILEGED_PORT = 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class TargetRefused(Exception):  # noqa: N818 — a refusal, not a failure of the code
    """The URL may not be called; `reason` says why, in words for the admin."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TargetUnresolved(Exception):  # noqa: N818
    """The host name has no address right now (DNS down or the name not published yet)."""


def system_resolve(host: str, port: int) -> list[str]:
    """The addresses of `host`, in the order the system resolver gives them."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetUnresolved(f"{host} could not be resolved: {exc}") from exc
    return list(dict.fromkeys(str(answer[4][0]) for answer in answers))


# Tests replace this to play DNS (a rebinding resolver, a name that points inside).
resolve: Resolver = system_resolve


def address_problem(address: IPAddress) -> str | None:
    """Why an address is not a public one, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for name, is_it in (
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
    ):
        if is_it:
            return f"a {name} address"
    if not address.is_global:
        return "not a public address"
    return None


def private_targets_allowed() -> bool:
    return bool(settings.WEBHOOK_ALLOW_PRIVATE_TARGETS)


@dataclass(frozen=True)
class CheckedTarget:
    """Where a request goes: `url` names the checked address; `host_header` and `sni_hostname`
    carry the name the URL was written with."""

    url: httpx.URL
    address: str
    host_header: str
    sni_hostname: str | None


def _url_parts(url: str) -> tuple[httpx.URL, str, int]:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise TargetRefused("it is not a valid URL") from exc
    if parsed.scheme not in ALLOWED_SCHEMES:
        raise TargetRefused("only http:// and https:// URLs can be called")
    if not parsed.host:
        raise TargetRefused("the URL has no host")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    if port < FIRST_UNPRIVILEGED_PORT and port not in ALLOWED_LOW_PORTS:
        raise TargetRefused(f"port {port} is refused (use 80, 443, or 1024 and up)")
    return parsed, parsed.host, port


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def target_check(url: str) -> CheckedTarget:
    """Resolve `url`'s host once and check every address; return where to connect.

    Raises TargetRefused (scheme, port, or an address that is not public and private targets
    are not allowed) or TargetUnresolved (no address now: worth trying again later).
    """
    parsed, host, port = _url_parts(url)
    literal = _literal(host)
    addresses = [str(literal)] if literal is not None else resolve(host, port)
    if not addresses:
        raise TargetUnresolved(f"{host} has no address")
    if not private_targets_allowed():
        for address in addresses:
            problem = address_problem(ipaddress.ip_address(address))
            if problem:
                shown = host if literal is not None else f"{host} resolves to {address}, which"
                raise TargetRefused(
                    f"{shown} is {problem}; set WEBHOOK_ALLOW_PRIVATE_TARGETS=true to allow "
                    "receivers inside the network"
                )
    address = addresses[0]
    return CheckedTarget(
        url=parsed.copy_with(host=address),
        address=address,
        host_header=parsed.netloc.decode("ascii"),
        sni_hostname=host if parsed.scheme == "https" and literal is None else None,
    )


def target_refusal_at_save(url: str) -> str | None:
    """What is wrong with a URL an admin is saving, or None. A name that does not resolve yet is
    accepted: every delivery checks it again before connecting."""
    try:
        target_check(url)
    except TargetRefused as refused:
        return refused.reason
    except TargetUnresolved:
        return None
    return None


def public_target_validate(url: str) -> None:
    """A Django validator for the forms an admin saves a target URL with."""
    if not url:
        return
    reason = target_refusal_at_save(url)
    if reason:
        raise ValidationError(f"This URL cannot be called: {reason}.", code="target_refused")


# Tests replace this with an httpx.MockTransport to see the requests a delivery makes.
transport: httpx.BaseTransport | None = None

# One client per receiving host name and process, reused by every delivery to it: building a
# client (its TLS context loads the CA bundle) cost ~90 ms per POST, which capped a worker at
# ~10 deliveries a second. Per host name, not one for all: connections are pooled by the checked
# address in the URL, and a TLS connection verified for one name must never carry another's.
_clients: dict[tuple[httpx.BaseTransport | None, str], httpx.Client] = {}
_clients_lock = threading.Lock()


def _client_for(host_header: str) -> httpx.Client:
    key = (transport, host_header)  # the transport itself: a test's mock is never mistaken
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            # Proxies from the environment are off (trust_env=False); its CA bundle
            # (SSL_CERT_FILE, SSL_CERT_DIR: an internal CA for receivers on the premises) is
            # still honoured.
            client = httpx.Client(
                transport=transport,
                follow_redirects=False,
                trust_env=False,
                verify=httpx.create_ssl_context(trust_env=True),
            )
            _clients[key] = client
    return client


@contextmanager
def outbound_post(
    url: str, *, content: bytes, headers: dict[str, str], timeout: float
) -> Iterator[httpx.Response]:
    """POST `content` to the checked address of `url`, streaming the answer (the caller reads
    as much of it as it wants). Raises TargetRefused, TargetUnresolved, or httpx.HTTPError."""
    target = target_check(url)
    extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else {}
    client = _client_for(target.host_header)
    request = client.build_request(
        "POST",
        target.url,
        content=content,
        headers={**headers, "Host": target.host_header},
        extensions=extensions,
        timeout=timeout,
    )
    response = client.send(request, stream=True)
    try:
        yield response
    finally:
        response.close()
