"""Request rates of the REST API: per token, per user, and per address for anonymous callers.

A token's own limit keeps one runaway script from using its owner's whole allowance; the
user's limit caps everything a person does, however many tokens they hold. Rates are read at
request time from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``, so settings can change them.

Requests are counted in the cache (Redis when ``REDIS_URL`` is set), by a sliding window of two
counters: the requests of the current window (a minute, for ``N/minute``) and of the one
before, weighted by how much of it the sliding window still covers. A request is counted
against all of its limits at once (its user's and its token's: one Redis round trip), each
count an atomic increment, whatever the rate. DRF's own throttles keep instead the time of
every request of the window in one cached list, read and written back whole by each request:
a list of 1,200 times for a token used at its limit, pickled both ways on every request, and,
since two concurrent requests each write back the list they read, one of them is forgotten and
a client with many connections gets through more often than its rate allows. An increment is
never lost. A refused request is taken back from every limit, so a client that keeps knocking
while refused is let in again once its rate allows.
"""

from __future__ import annotations

import abc
import contextlib
import math
import time
from dataclasses import dataclass
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


@dataclass(frozen=True)
class _Limit:
    """One limit a request is counted against: ``allowed`` requests per ``window`` seconds
    for the client ``key`` names, in the window numbered ``index`` (``elapsed`` seconds into
    it)."""

    key: str
    allowed: int
    window: int
    index: int
    elapsed: float

    @property
    def current(self) -> str:
        return f"{self.key}:{self.index}"

    @property
    def previous(self) -> str:
        return f"{self.key}:{self.index - 1}"


def _hit(limits: list[_Limit]) -> list[tuple[int, int]]:
    """Count a request against each limit: for each, the count of its current window with
    this request, and the count of the window before."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # One round trip for all of them (the cache's own Redis client, a pipeline); INCR
        # counts a missing counter from 0, atomically. (Django's own incr() asks first whether
        # the key exists, and refuses a missing one.)
        pipe = backend._cache.get_client(write=True).pipeline(transaction=False)
        for limit in limits:
            current_key = backend.make_and_validate_key(limit.current)
            pipe.incr(current_key)
            pipe.expire(current_key, _kept(limit))
            pipe.get(backend.make_and_validate_key(limit.previous))
        replies = pipe.execute()
        return [(int(replies[at]), int(replies[at + 2] or 0)) for at in range(0, len(replies), 3)]
    # Another cache (the in-process one of a development server): add() then incr(), each
    # atomic in the cache itself.
    counts = []
    for limit in limits:
        backend.add(limit.current, 0, _kept(limit))
        try:
            count = backend.incr(limit.current)
        except ValueError:
            # Evicted between the two: count afresh.
            backend.add(limit.current, 0, _kept(limit))
            count = backend.incr(limit.current)
        counts.append((int(count), int(backend.get(limit.previous) or 0)))
    return counts


def _kept(limit: _Limit) -> int:
    # A counter is kept until the window after its own has ended, the last that reads it.
    return 2 * limit.window + 1


def _unhit(limits: list[_Limit]) -> None:
    """Take back a request counted by ``_hit``."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        pipe = backend._cache.get_client(write=True).pipeline(transaction=False)
        for limit in limits:
            pipe.decr(backend.make_and_validate_key(limit.current))
        pipe.execute()
        return
    for limit in limits:
        # A counter evicted meanwhile has nothing left to take back.
        with contextlib.suppress(ValueError):
            backend.decr(limit.current)


class CountingRateThrottle(BaseThrottle, abc.ABC):
    """Counts a request against each limit ``scoped_keys`` names, all of them at once.

    A request is let through only if every limit allows it; one that is refused is taken back
    from all of them, so it counts against none (a token over its own limit does not use up
    its user's). ``Retry-After`` is the longest wait any refusing limit asks for.
    """

    # The clock, as DRF's throttles have it: seconds since the epoch.
    timer = staticmethod(time.time)

    def __init__(self) -> None:
        self._wait: float | None = None

    @abc.abstractmethod
    def scoped_keys(self, request: Request, view: APIView) -> list[tuple[str, str]]:
        """(scope, client key) of each limit the request counts against."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        now = self.timer()
        limits = []
        for scope, ident in self.scoped_keys(request, view):
            # Read at request time: DRF binds the rates when its module is imported; this
            # follows the settings as they are now (and as tests override them).
            rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
            if rate is None:
                continue
            allowed, window = parse_rate(str(rate))
            index = math.floor(now / window)
            limits.append(
                _Limit(f"throttle:{scope}:{ident}", allowed, window, index, now - index * window)
            )
        if not limits:
            return True
        waits = []
        for limit, (current, previous) in zip(limits, _hit(limits), strict=True):
            window, elapsed = limit.window, limit.elapsed
            # The previous window's requests, as many as the sliding window still covers.
            if previous * (window - elapsed) / window + current > limit.allowed:
                waits.append(
                    _seconds_until_room(limit.allowed, window, elapsed, current - 1, previous)
                )
        if not waits:
            return True
        _unhit(limits)
        self._wait = max(waits)
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


class ClientRateThrottle(CountingRateThrottle):
    """A signed-in client's limits: its user's (``user``: whatever the credentials, session or
    any of their tokens) and, for a request with an API token, the token's own (``token``,
    keyed on its public prefix)."""

    def scoped_keys(self, request: Request, view: APIView) -> list[tuple[str, str]]:
        if not (request.user and request.user.is_authenticated):
            return []
        keys = [("user", str(request.user.pk))]
        token = request.auth
        if isinstance(token, ApiToken):
            keys.append(("token", token.prefix))
        return keys


class AnonRateThrottle(CountingRateThrottle):
    """Counts anonymous requests per client address (as far as proxies can be trusted)."""

    def scoped_keys(self, request: Request, view: APIView) -> list[tuple[str, str]]:
        if request.user and request.user.is_authenticated:
            return []
        return [("anon", client_ip(request))]
