"""Request rates are limited per token and per user."""

import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from config.api_throttles import ClientRateThrottle
from orgs.tokens import token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    def set_rates(**rates):
        settings.REST_FRAMEWORK = {
            **django_settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"anon": "100/minute", "user": "100/minute", **rates},
        }

    return set_rates


def test_a_token_over_its_rate_is_told_to_wait(tenants, api, rates):
    rates(token="3/minute")
    first = api.token(tenants.viewer)
    for _ in range(3):
        assert first.get("/api/v1/flags/").status_code == 200
    refused = first.get("/api/v1/flags/")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    # The limit is the token's: another token of the same user still works.
    assert api.token(tenants.viewer).get("/api/v1/flags/").status_code == 200


def test_a_user_over_their_rate_is_limited_whatever_the_credentials(tenants, api, rates):
    rates(user="4/minute", token="100/minute")
    assert api.session(tenants.viewer).get("/api/v1/flags/").status_code == 200
    assert api.session(tenants.viewer).get("/api/v1/flags/").status_code == 200
    assert api.token(tenants.viewer).get("/api/v1/flags/").status_code == 200
    assert api.token(tenants.viewer).get("/api/v1/flags/").status_code == 200
    assert api.token(tenants.viewer).get("/api/v1/flags/").status_code == 429
    assert api.session(tenants.viewer).get("/api/v1/flags/").status_code == 429
    assert api.session(tenants.analyst).get("/api/v1/flags/").status_code == 200


# --- the counting itself -------------------------------------------------------------------

WINDOW_START = 1_800_000_000 - 1_800_000_000 % 60  # the start of a minute


def _redis_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "KEY_PREFIX": f"throttle-test-{uuid.uuid4()}",
        }
    }


def _forget_redis_counts() -> None:
    # Only this test's keys: clear() would empty the whole Redis database, which other tests
    # running beside this one use.
    backend = caches["default"]
    client = backend._cache.get_client(write=True)
    keys = client.keys(f"{backend.key_prefix}*")
    if keys:
        client.delete(*keys)


@pytest.fixture(params=["in-process cache", "redis"])
def counting_cache(request, settings):
    """The throttle's counts in the test's own in-process cache, or in the real Redis."""
    if request.param == "redis":
        _redis_cache(settings)
    yield request.param
    if request.param == "redis":
        _forget_redis_counts()


def _request_of(token):
    request = Request(APIRequestFactory().get("/api/v1/flags/"))
    request.user = token.user
    request.auth = token
    return request


@pytest.fixture
def token(tenants):
    issued, _raw = token_create(user=tenants.viewer, name="throttled")
    return issued


def _throttle_at(moment):
    throttle = ClientRateThrottle()
    throttle.timer = lambda: moment
    return throttle


def test_the_window_slides_over_the_previous_one_by_its_remaining_share(
    token, rates, counting_cache
):
    rates(token="10/minute")
    request = _request_of(token)
    end_of_first = WINDOW_START + 59
    assert all(_throttle_at(end_of_first).allow_request(request, None) for _ in range(10))
    # Refused requests are not counted against the client.
    for _ in range(5):
        refused = _throttle_at(end_of_first)
        assert not refused.allow_request(request, None)
        assert 0 < refused.wait() <= 61
    # Half-way through the next minute, half of the ten still count: five more fit.
    halfway = WINDOW_START + 60 + 30
    assert all(_throttle_at(halfway).allow_request(request, None) for _ in range(5))
    refused = _throttle_at(halfway)
    assert not refused.allow_request(request, None)
    # Ten of the previous minute weigh 4 once 36 seconds of this one have passed: 4 + 5 + 1.
    assert refused.wait() == pytest.approx(6.0)
    assert not _throttle_at(WINDOW_START + 60 + 35.9).allow_request(request, None)
    assert _throttle_at(WINDOW_START + 60 + 36).allow_request(request, None)
    # Each token is counted apart.
    other, _raw = token_create(user=token.user, name="another")
    assert _throttle_at(halfway).allow_request(_request_of(other), None)


def test_a_client_over_the_limit_waits_for_the_next_window(token, rates, counting_cache):
    rates(token="3/minute")
    request = _request_of(token)
    start = WINDOW_START + 10
    assert all(_throttle_at(start).allow_request(request, None) for _ in range(3))
    refused = _throttle_at(start)
    assert not refused.allow_request(request, None)
    # The three weigh 2 (and one more fits) a third of the way into the next minute.
    assert refused.wait() == pytest.approx(50 + 20)
    assert _throttle_at(WINDOW_START + 60 + 20).allow_request(request, None)


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_are_all_counted(tenants, rates, settings):
    # Forty requests of one token at once, in threads, against the real Redis: exactly its
    # rate gets through (a count read and written back whole would lose some of them).
    _redis_cache(settings)
    rates(token="10/minute")
    issued, _raw = token_create(user=tenants.viewer, name="concurrent")
    request = _request_of(issued)
    barrier = threading.Barrier(40)

    def attempt(_: int) -> bool:
        barrier.wait()
        return ClientRateThrottle().allow_request(request, None)

    try:
        with ThreadPoolExecutor(max_workers=40) as pool:
            outcomes = list(pool.map(attempt, range(40)))
    finally:
        _forget_redis_counts()
    assert outcomes.count(True) == 10


def test_counters_expire_after_the_window_that_reads_them(token, rates, settings):
    _redis_cache(settings)
    rates(token="10/hour", user="100/minute")
    try:
        assert ClientRateThrottle().allow_request(_request_of(token), None)
        backend = caches["default"]
        client = backend._cache.get_client(write=False)
        ttls = {
            key.decode().split(":")[3]: client.ttl(key)
            for key in client.keys(f"{backend.key_prefix}*")
        }
        assert set(ttls) == {"user", "token"}
        assert 3600 < ttls["token"] <= 2 * 3600 + 1
        assert 60 < ttls["user"] <= 2 * 60 + 1
    finally:
        _forget_redis_counts()


def test_a_request_refused_by_one_limit_counts_against_none(tenants, rates, counting_cache):
    # The token's limit refuses its third request; that request does not use up its user's
    # allowance, which another token of the same user still has one request of.
    rates(token="2/minute", user="3/minute")
    moment = WINDOW_START + 5
    first, _raw = token_create(user=tenants.viewer, name="first")
    second, _raw = token_create(user=tenants.viewer, name="second")
    assert _throttle_at(moment).allow_request(_request_of(first), None)
    assert _throttle_at(moment).allow_request(_request_of(first), None)
    refused = _throttle_at(moment)
    assert not refused.allow_request(_request_of(first), None)
    assert _throttle_at(moment).allow_request(_request_of(second), None)
    # Now both of the user's limits refuse: the wait is the longer one's.
    both = _throttle_at(moment)
    assert not both.allow_request(_request_of(first), None)
    assert both.wait() == pytest.approx(55 + 60 * (1 - 1 / 2))
    assert refused.wait() == both.wait()


@pytest.mark.parametrize("rate", ["ten/minute", "10/fortnight", "10", "-1/minute"])
def test_an_unreadable_rate_is_a_configuration_error(token, rates, rate):
    rates(token=rate)
    with pytest.raises(ImproperlyConfigured, match="API rate"):
        ClientRateThrottle().allow_request(_request_of(token), None)
