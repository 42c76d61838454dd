"""Request rates of the REST API: per token, per user, and per address for anonymous callers.

A token's own limit keeps one runaway script from using its owner's whole allowance; the
user's limit caps everything a person does, however many tokens they hold. Rates are read at
request time from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``, so settings can change them.

Requests are counted in the cache (Redis when ``REDIS_URL`` is set), by a sliding window of two
counters: the requests of the current window (a minute, for ``N/minute``) and of the one
before, weighted by how much of it the sliding window still covers. Each request costs one
atomic increment and one read, whatever the rate. DRF's own throttles keep instead the time of
every request of the window in one cached list, read and written back whole by each request:
a list of 1,200 times for a token used at its limit, pickled both ways on every request, and,
since two concurrent requests each write back the list they read, one of them is forgotten and
a client with many connections gets through more often than its rate allows. An increment is
never lost. A refused request is not counted, so a client that keeps knocking while refused
is let in again once its rate allows.
"""

from __future__ import annotations

import contextlib
import math
import time
from typing import TYPE_CHECKING

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from config.net import client_ip
from orgs.models import ApiToken

if TYPE_CHECKING:
    # Importing DRF's views here would import this module again through DRF's settings.
    from rest_framework.views import APIView

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"1200/minute"`` as (1200, 60): the requests allowed and the window in seconds. The
    period is read by its first letter (``s``, ``m``, ``h`` or ``d``), as DRF reads it."""
    count, _, period = rate.partition("/")
    try:
        allowed = int(count)
        window = _PERIODS[period.strip()[:1]]
    except (ValueError, KeyError):
        raise ImproperlyConfigured(
            f"Cannot read the API rate {rate!r}: write it as <requests>/<second|minute|hour|day>."
        ) from None
    if allowed < 0:
        raise ImproperlyConfigured(f"The API rate {rate!r} allows a negative number of requests.")
    return allowed, window


def _hit(key: str, window: int, index: int) -> tuple[int, int]:
    """Count a request in window ``index`` of ``key``: the count of that window with it, and
    the count of the window before."""
    current, previous = f"{key}:{index}", f"{key}:{index - 1}"
    # Kept until the window after this one has ended, the last that reads it.
    keep = 2 * window + 1
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        current_key = backend.make_and_validate_key(current)
        # One round trip; INCR counts a missing counter from 0, atomically. (Django's own
        # incr() asks first whether the key exists, and refuses a missing one.)
        client = backend._cache.get_client(current_key, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.incr(current_key)
        pipe.expire(current_key, keep)
        pipe.get(backend.make_and_validate_key(previous))
        count, _expiry, before = pipe.execute()
        return int(count), int(before or 0)
    # Another cache (the in-process one of a development server): add() then incr(), each
    # atomic in the cache itself.
    backend.add(current, 0, keep)
    try:
        count = backend.incr(current)
    except ValueError:
        # Evicted between the two: count afresh.
        backend.add(current, 0, keep)
        count = backend.incr(current)
    return int(count), int(backend.get(previous) or 0)


def _unhit(key: str, index: int) -> None:
    # A counter expired or evicted meanwhile has nothing left to take back.
    with contextlib.suppress(ValueError):
        caches["default"].decr(f"{key}:{index}")


class CountingRateThrottle(BaseThrottle):
    """A rate of ``scope`` (from the settings) per key that ``get_cache_key`` gives."""

    scope: str = ""
    # The clock, as DRF's throttles have it: seconds since the epoch.
    timer = staticmethod(time.time)

    def __init__(self) -> None:
        self._wait: float | None = None

    def get_rate(self) -> str | None:
        # DRF binds the rates when its module is imported; reading them here instead follows
        # the settings as they are now (and as tests override them).
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        return None if rate is None else str(rate)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view: APIView) -> bool:
        rate = self.get_rate()
        if rate is None:
            return True
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        allowed, window = parse_rate(rate)
        now = self.timer()
        index = math.floor(now / window)
        elapsed = now - index * window
        key = f"throttle:{self.scope}:{ident}"
        current, previous = _hit(key, window, index)
        # The previous window's requests, as many as the sliding window still covers of it.
        if previous * (window - elapsed) / window + current <= allowed:
            return True
        _unhit(key, index)
        self._wait = _seconds_until_room(allowed, window, elapsed, current - 1, previous)
        return False

    def wait(self) -> float | None:
        return self._wait


def _seconds_until_room(
    allowed: int, window: int, elapsed: float, current: int, previous: int
) -> float:
    """Seconds until one more request fits, if no other comes: ``current`` requests counted in
    this window (``elapsed`` seconds into it) and ``previous`` in the one before."""
    room = allowed - current - 1
    if room >= 0 and previous:
        # Within this window, once enough of the previous one has slid out.
        return max(0.0, (window - elapsed) - room * window / previous)
    # In the next window, where this window's requests are the previous ones.
    if allowed < 1:
        return float(window - elapsed + window)
    return (window - elapsed) + max(0.0, window * (1 - (allowed - 1) / max(current, 1)))


class TokenRateThrottle(CountingRateThrottle):
    """Counts the requests of one API token, keyed on its public prefix."""

    scope = "token"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        token = request.auth
        if not isinstance(token, ApiToken):
            return None
        return token.prefix


class UserRateThrottle(CountingRateThrottle):
    """Counts the requests of one user, by session or by any of their tokens."""

    scope = "user"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return str(request.user.pk)


class AnonRateThrottle(CountingRateThrottle):
    """Counts anonymous requests per client address (as far as proxies can be trusted)."""

    scope = "anon"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return client_ip(request)
