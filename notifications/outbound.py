"""Outbound HTTP for webhooks, guarded against server-side request forgery.

A channel's URL is chosen by an organization's admin, and the request is made from inside our
network, so it must not reach what only we can reach: the cloud metadata service
(169.254.169.254), the database, an admin interface on the intranet. Therefore:

* only ``http`` and ``https``, no credentials in the URL;
* the host is resolved once and *every* address it resolves to is checked — loopback,
  private, link-local, multicast, reserved, unspecified and every other non-global address is
  refused (an IPv4 address mapped into IPv6 is checked as IPv4);
* the connection goes to an address that was checked, with the original host name in the
  ``Host`` header and for TLS (SNI and certificate), so a DNS answer that changes between the
  check and the connection (DNS rebinding) cannot redirect it;
* redirects are not followed (a 3xx is a failure), the connection and each read time out,
  the whole request has a deadline, and at most ``NOTIFICATIONS_RESPONSE_MAX_BYTES`` of the
  answer are read.

Hosts listed in ``NOTIFICATIONS_ALLOWED_HOSTS`` skip the address check (an intranet relay an
operator vouches for). urllib3 is used directly, not requests, because it never reads proxy
settings from the environment and lets us name the address to connect to.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from urllib3.exceptions import ConnectTimeoutError, HTTPError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundRefused(Exception):
    """The URL may not be called: a scheme other than http(s), credentials, or an address
    that is not public. Trying again will not help."""


class OutboundFailed(Exception):
    """The request did not complete: no connection, a timeout, a broken answer."""


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
class OutboundResponse:
    """What the other side answered: its status and the start of its body."""

    status: int
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
    allowed = {name.strip().lower().rstrip(".") for name in settings.NOTIFICATIONS_ALLOWED_HOSTS}
    return host.lower().rstrip(".") in allowed


def address_refused(address: IPAddress) -> bool:
    """Whether ``address`` is one that a webhook must not reach."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
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
    except (socket.gaierror, UnicodeError) as error:
        raise OutboundFailed(f"Cannot resolve {target.host}: {error}.") from None
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


def post(url: str, *, body: bytes, headers: Mapping[str, str]) -> OutboundResponse:
    """POST ``body`` to ``url`` under the rules above.

    Raises :class:`OutboundRefused` when the URL or its addresses may not be called and
    :class:`OutboundFailed` when the request does not complete; any HTTP status is returned.
    """
    target = url_target(url)
    addresses = target_addresses(target)
    deadline = time.monotonic() + settings.NOTIFICATIONS_TOTAL_TIMEOUT
    failure: Exception | None = None
    for address in addresses:
        try:
            return _post_to(address, target, body=body, headers=headers, deadline=deadline)
        except ConnectTimeoutError as error:
            # Covers refused connections too (urllib3's NewConnectionError); try the next one.
            failure = error
    raise OutboundFailed(f"Could not connect to {target.host}: {failure}.")


def _pool(address: IPAddress, target: Target) -> urllib3.HTTPConnectionPool:
    timeout = urllib3.Timeout(
        connect=settings.NOTIFICATIONS_CONNECT_TIMEOUT, read=settings.NOTIFICATIONS_READ_TIMEOUT
    )
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            str(address),
            target.port,
            timeout=timeout,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            assert_hostname=target.host,
            server_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(str(address), target.port, timeout=timeout, retries=False)


def _post_to(
    address: IPAddress,
    target: Target,
    *,
    body: bytes,
    headers: Mapping[str, str],
    deadline: float,
) -> OutboundResponse:
    limit = settings.NOTIFICATIONS_RESPONSE_MAX_BYTES
    with _pool(address, target) as pool:
        try:
            response = pool.urlopen(
                "POST",
                target.path,
                body=body,
                headers={**headers, "Host": target.host_header},
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
        except ConnectTimeoutError:
            raise
        except HTTPError as error:
            raise OutboundFailed(f"{type(error).__name__}: {error}") from None
        try:
            received = bytearray()
            while len(received) < limit:
                if time.monotonic() > deadline:
                    raise OutboundFailed("The answer took too long.")
                chunk = response.read(min(8192, limit - len(received)))
                if not chunk:
                    break
                received += chunk
        except HTTPError as error:
            raise OutboundFailed(f"{type(error).__name__}: {error}") from None
        finally:
            response.release_conn()
            response.close()
    return OutboundResponse(status=response.status, body=bytes(received))
