"""Request rates of the REST API: per token, per user, and per address for anonymous callers.

A token's own limit keeps one runaway script from using its owner's whole allowance; the
user's limit caps everything a person does, however many tokens they hold. Rates are read at
request time from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``1200/minute``, ``10 per
hour``: the ``limits`` library's notation), so settings can change them.

Requests are counted by the ``limits`` library's moving window, in Redis when ``REDIS_URL`` is
set (``API_RATE_LIMIT_STORAGE``; an atomic script per count, so concurrent requests are never
lost) and in the process otherwise. A request is counted against its limits narrowest first
(its token's, then its user's) and stops at the first that refuses it, which records nothing:
a token over its own limit uses up none of its user's allowance, and a client that keeps
knocking while refused is let in again once its rate allows. (A request its user's limit
refuses has been counted against its token, whose own limit is then no nearer than the
user's already is.)
"""

from __future__ import annotations

import abc
import functools
import time
from typing import TYPE_CHECKING

import limits
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from config.middleware import client_ip
from operations.metrics import metric_count
from orgs.models import ApiToken

if TYPE_CHECKING:
    # Importing DRF's views here would import this module again through DRF's settings.
    from rest_framework.views import APIView


def parse_rate(rate: str) -> limits.RateLimitItem:
    """``"1200/minute"`` as a limit, or ``ImproperlyConfigured`` saying how to write it."""
    try:
        return limits.parse(rate)
    except ValueError:
        raise ImproperlyConfigured(
            f"Cannot read the API rate {rate!r}: write it as <requests>/<second|minute|hour|day>."
        ) from None


@functools.cache
def _limiter(storage_uri: str, key_prefix: str, timeout: float) -> MovingWindowRateLimiter:
    # One storage (and connection pool) per process and configuration. A Redis that does
    # not answer must not hold the request: it waits ``timeout`` seconds, then fails open.
    options = (
        {"socket_connect_timeout": timeout, "socket_timeout": timeout}
        if storage_uri.startswith(("redis://", "rediss://", "redis+unix://"))
        else {}
    )
    storage = storage_from_string(
        storage_uri, key_prefix=key_prefix, wrap_exceptions=True, **options
    )
    return MovingWindowRateLimiter(storage)


def limiter() -> MovingWindowRateLimiter:
    """The limiter of the configured storage."""
    return _limiter(
        settings.API_RATE_LIMIT_STORAGE,
        settings.API_RATE_LIMIT_PREFIX,
        settings.REDIS_TIMEOUT_SECONDS,
    )


class CountingRateThrottle(BaseThrottle, abc.ABC):
    """Counts a request against each limit ``scoped_keys`` names, in order, until one refuses.

    ``Retry-After`` is the wait the refusing limit asks for. Should the storage fail
    (Redis down), the request is let through, counted (``api.rate_limits_unavailable``) and a
    warning logged: an API that answers without rate limits for a while is better than no API.
    """

    def __init__(self) -> None:
        self._wait: float | None = None

    @abc.abstractmethod
    def scoped_keys(self, request: Request, view: APIView) -> list[tuple[str, str]]:
        """(scope, client key) of each limit the request counts against."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        counted = []
        for scope, ident in self.scoped_keys(request, view):
            # Read at request time: DRF binds the rates when its module is imported; this
            # follows the settings as they are now (and as tests override them).
            rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
            if rate is not None:
                counted.append((parse_rate(str(rate)), scope, ident))
        if not counted:
            return True
        rate_limiter = limiter()
        try:
            for item in counted:
                # Narrowest first (a token's limit before its user's): a request refused stops
                # here, and counts against no limit after the one that refused it.
                if not rate_limiter.hit(*item):
                    reset = rate_limiter.get_window_stats(*item).reset_time
                    self._wait = max(0.0, reset - time.time())
                    return False
        except StorageError as error:
            # Counted, and logged at most once a minute: during an outage every request
            # comes here.
            metric_count("api.rate_limits_unavailable", reason=error)
        return True

    def wait(self) -> float | None:
        return self._wait


class ClientRateThrottle(CountingRateThrottle):
    """A signed-in client's limits: its user's (``user``: whatever the credentials, session or
    any of their tokens) and, for a request with an API token, the token's own (``token``,
    keyed on its public prefix)."""

    def scoped_keys(self, request: Request, view: APIView) -> list[tuple[str, str]]:
        if not (request.user and request.user.is_authenticated):
            return []
        keys = []
        token = request.auth
        if isinstance(token, ApiToken):
            keys.append(("token", token.prefix))
        keys.append(("user", str(request.user.pk)))
        return keys


class AnonRateThrottle(CountingRateThrottle):
    """Counts anonymous requests per client address (as far as proxies can be trusted)."""

    def scoped_keys(self, request: Request, view: APIView) -> list[tuple[str, str]]:
        if request.user and request.user.is_authenticated:
            return []
        return [("anon", client_ip(request))]
