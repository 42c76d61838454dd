"""Project-wide middleware (the security headers), and the client's address as far as proxies
can be trusted."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class SecurityHeadersMiddleware:
    """Send the Content-Security-Policy and Permissions-Policy headers on every response, and
    ``Cache-Control: no-store`` on every API response to a signed-in client.

    Every script and stylesheet is served by the app itself (no CDN, no inline code), so the
    policy allows only the app's own origin; no page uses the camera, the microphone, the
    location or any other browser feature, so the Permissions-Policy turns them all off. The
    middleware comes first, so that responses of the middleware below it (WhiteNoise's static
    files in production, the HTTPS redirect) carry the headers too.

    An API answer to a signed-in client holds tenant data: no shared or browser cache may keep
    it. The user is read after the view ran, since the API authenticates tokens in the view
    (DRF sets the request's user then).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") and user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
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
