"""Every HTTP request the app makes to a URL someone gave it, guarded against server-side
request forgery: webhooks (``notifications``), feeds and the documents a provider lists
(``advisories.feeds``). Nothing else in the app opens a connection to a URL.

A URL comes from an organization's admin (a channel) or an editor (a source's feed URL), or
from a document on someone else's server (a provider's feed lists document, hash and
signature URLs), and the request is made from inside our network. It must not reach what only
we can reach: the cloud metadata service (169.254.169.254), the database, Redis, an admin
interface on the intranet. Therefore:

* only ``http`` and ``https``, no credentials in the URL;
* the host is resolved once and *every* address it resolves to is checked: loopback,
  private, link-local, multicast, reserved, unspecified and every other non-global address is
  refused, and so is an IPv6 address that carries one of those as an IPv4 address inside it
  (IPv4-mapped and -compatible, 6to4 ``2002::/16``, Teredo ``2001::/32``, NAT64
  ``64:ff9b::/96`` and ``64:ff9b:1::/48``); a host name written as a number
  (``2130706433``, ``0x7f.1``) is whatever the resolver makes of it, and checked as that;
* the connection goes to an address that was checked, with the original host name in the
  ``Host`` header and for TLS (SNI and certificate), so a DNS answer that changes between the
  check and the connection (DNS rebinding) cannot redirect it; there is no second lookup;
* a redirect is followed only where the caller allows it, at most ``MAX_REDIRECTS`` hops, and
  each hop's URL goes through every check above again;
* the connection and each read time out, the whole request has a deadline, and at most
  ``max_bytes`` of the answer are read;
* whatever goes wrong with the connection (refused, reset, timed out, not HTTP) is reported
  in one message, so that an error shown to a user never tells an open port from a closed one.

Hosts listed in ``OUTBOUND_ALLOWED_HOSTS`` skip the address check (an intranet relay or
mirror an operator vouches for); the list names hosts as URLs write them, never addresses a
name resolves to. urllib3 is used directly, not requests: it never reads proxy settings from
the environment and lets us name the address to connect to.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3
from django.conf import settings
from urllib3.exceptions import HTTPError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)
# Where IPv6 carries an IPv4 address in its last 32 bits: NAT64's well-known and local-use
# prefixes (RFC 6052, RFC 8215) and the deprecated IPv4-compatible form (::a.b.c.d).
_EMBEDDING_LAST_32_BITS = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
    ipaddress.IPv6Network("::/96"),
)


class OutboundRefused(Exception):
    """The URL may not be called: a scheme other than http(s), credentials, an address that
    is not public, too many redirects. Trying again will not help."""


class OutboundFailed(Exception):
    """The request did not complete: no answer, a timeout, a broken answer, a body over the
    size limit. It may work later."""


class AnswerTooLarge(OutboundFailed):
    """The answer is larger than the request's ``max_bytes``."""


@dataclass(frozen=True)
class Target:
    """A checked URL, split into what the connection needs."""

    scheme: str
    host: str
    port: int
    path: str

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True)
class Limits:
    """How long a request may take and how much of the answer is read."""

    connect_timeout: float = 10
    read_timeout: float = 30
    total_timeout: float = 60
    max_bytes: int = 1024 * 1024
    # Keep the first ``max_bytes`` of a larger answer (a webhook's reply, shown in an error)
    # instead of failing the request (a document that size is refused).
    truncate: bool = False


@dataclass(frozen=True)
class Response:
    """What the other side answered: status, headers, the body (up to the limit) and the URL
    that answered (after redirects)."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes


def url_target(url: str) -> Target:
    """Split ``url`` into scheme, host, port and path, refusing what may never be called."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise OutboundRefused(f"Not a valid URL: {error}.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise OutboundRefused("Only http and https URLs can be called.")
    if parts.username or parts.password:
        raise OutboundRefused("Credentials in the URL are not supported.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise OutboundRefused("The URL names no host.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme, host, port or (443 if scheme == "https" else 80), path)


def host_allowed(host: str) -> bool:
    """Whether an operator exempted ``host`` from the address check."""
    allowed = {name.strip().lower().rstrip(".") for name in settings.OUTBOUND_ALLOWED_HOSTS}
    return host.lower().rstrip(".") in allowed


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (and would reach through a relay or
    translator): mapped, compatible, 6to4, Teredo (server and client) and NAT64."""
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if any(address in network for network in _EMBEDDING_LAST_32_BITS):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def address_refused(address: IPAddress) -> bool:
    """Whether ``address`` is one that an outbound request must not reach."""
    if isinstance(address, ipaddress.IPv6Address):
        if any(address_refused(inner) for inner in embedded_ipv4(address)):
            return True
        if address.ipv4_mapped is not None:
            return False  # judged as the IPv4 address it is
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def target_addresses(target: Target) -> list[IPAddress]:
    """The addresses ``target``'s host resolves to, once; refused if any of them may not be
    reached (a name that also resolves to a private address is not trusted with the public
    one either), unless the host is allowed."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise OutboundFailed(f"Cannot resolve {target.host}.") from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        # An IPv6 sockaddr may carry a zone ("fe80::1%eth0"); the zone is not part of it.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise OutboundFailed(f"{target.host} resolves to no address.")
    if not host_allowed(target.host):
        refused = [str(address) for address in addresses if address_refused(address)]
        if refused:
            raise OutboundRefused(
                f"{target.host} resolves to an address that is not public ({', '.join(refused)})."
            )
    return addresses


@dataclass
class Session:
    """Requests that share default headers and reuse their connections (one feed run).

    A pool is kept per checked address and host name, so that a connection is only ever
    reused for the host it was checked for. Threads may share a session; each pool keeps up
    to ``connections`` connections for reuse (one per thread that sends at the same time).
    """

    headers: Mapping[str, str] = field(default_factory=dict)
    connections: int = 1
    _pools: dict[tuple[str, str, int, str], urllib3.HTTPConnectionPool] = field(
        default_factory=dict, init=False
    )
    _pools_lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        limits: Limits | None = None,
        redirects: int = 0,
    ) -> Response:
        """Send ``method`` to ``url`` under the rules above, following up to ``redirects``
        (at most ``MAX_REDIRECTS``) redirects of a GET; any final HTTP status is returned.

        Raises :class:`OutboundRefused` when a URL or its addresses may not be called, and
        :class:`OutboundFailed` when the request does not complete.
        """
        limits = limits or Limits()
        deadline = time.monotonic() + limits.total_timeout
        hops = min(redirects, MAX_REDIRECTS)
        for _hop in range(hops + 1):
            target = url_target(url)
            addresses = target_addresses(target)
            response = self._send(
                method,
                url,
                target,
                addresses,
                body=body,
                headers=headers or {},
                limits=limits,
                deadline=deadline,
            )
            location = response.headers.get("Location", "")
            if response.status not in _REDIRECTS or not location or not redirects:
                return response
            if method not in ("GET", "HEAD"):
                return response
            url = urljoin(url, location)
        raise OutboundRefused(f"More than {hops} redirects.")

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()

    def _pool(
        self, address: IPAddress, target: Target, limits: Limits
    ) -> urllib3.HTTPConnectionPool:
        key = (target.scheme, str(address), target.port, target.host.lower())
        with self._pools_lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = self._pools[key] = self._pool_new(address, target, limits)
            return pool

    def _pool_new(
        self, address: IPAddress, target: Target, limits: Limits
    ) -> urllib3.HTTPConnectionPool:
        timeout = urllib3.Timeout(connect=limits.connect_timeout, read=limits.read_timeout)
        if target.scheme == "https":
            return urllib3.HTTPSConnectionPool(
                str(address),
                target.port,
                timeout=timeout,
                retries=False,
                maxsize=self.connections,
                cert_reqs="CERT_REQUIRED",
                ca_certs=certifi.where(),
                assert_hostname=target.host,
                server_hostname=target.host,
            )
        return urllib3.HTTPConnectionPool(
            str(address), target.port, timeout=timeout, retries=False, maxsize=self.connections
        )

    def _send(
        self,
        method: str,
        url: str,
        target: Target,
        addresses: list[IPAddress],
        *,
        body: bytes | None,
        headers: Mapping[str, str],
        limits: Limits,
        deadline: float,
    ) -> Response:
        for address in addresses:
            if time.monotonic() > deadline:
                break
            try:
                raw = self._pool(address, target, limits).urlopen(
                    method,
                    target.path,
                    body=body,
                    headers={**self.headers, **headers, "Host": target.host_header},
                    redirect=False,
                    retries=False,
                    preload_content=False,
                    assert_same_host=False,
                )
            except HTTPError:
                # Refused, reset, timed out, not HTTP: one message for all, and the next
                # address; which of them it was would tell a closed port from an open one.
                continue
            try:
                content = _read(raw, limits, deadline)
            finally:
                raw.release_conn()
            return Response(url=url, status=raw.status, headers=dict(raw.headers), body=content)
        raise OutboundFailed(f"No answer from {target.host_header}.")


def _read(raw: urllib3.BaseHTTPResponse, limits: Limits, deadline: float) -> bytes:
    limit = limits.max_bytes
    too_large = AnswerTooLarge(f"The answer is larger than {limit:,} bytes.")
    declared = raw.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit and not limits.truncate:
        raise too_large
    received = bytearray()
    try:
        while True:
            if time.monotonic() > deadline:
                raise OutboundFailed("The answer took too long.")
            chunk = raw.read(min(64 * 1024, limit + 1 - len(received)))
            if not chunk:
                return bytes(received)
            received += chunk
            if len(received) > limit:
                if limits.truncate:
                    return bytes(received[:limit])
                raise too_large
    except HTTPError:
        raise OutboundFailed("The answer broke off.") from None


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    limits: Limits | None = None,
    redirects: int = 0,
) -> Response:
    """One request under the rules above, on a connection of its own (see
    :meth:`Session.request`)."""
    session = Session()
    try:
        return session.request(
            method, url, body=body, headers=headers, limits=limits, redirects=redirects
        )
    finally:
        session.close()
