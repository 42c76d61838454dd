"""The client's address, as far as it can be trusted."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """Return the address of the client that sent ``request``.

    Behind ``TRUSTED_PROXY_COUNT`` reverse proxies, each proxy appends the address it received
    the request from to X-Forwarded-For, so the client is the entry that many places from the
    right. Entries further left are whatever the client chose to send and are never trusted.
    With no trusted proxy the TCP peer is the client and the header is ignored.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        # Fewer hops than proxies: the request did not come through the proxy chain.
        return remote
    return forwarded[-proxies]
