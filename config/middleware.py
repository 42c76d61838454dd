"""Project-wide middleware, and the client's address as far as proxies can be trusted."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ContentSecurityPolicyMiddleware:
    """Send the Content-Security-Policy header on every response.

    Every script and stylesheet is served by the app itself (no CDN, no inline code), so the
    policy allows only the app's own origin.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


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
