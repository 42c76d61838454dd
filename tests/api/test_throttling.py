"""Request rates are limited per token and per user."""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api.throttles import ClientRateThrottle
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


@pytest.fixture(params=["memory", "redis"])
def storage(request, settings):
    """Counts in the process, or in the real Redis (under this test's own key prefix)."""
    if request.param == "redis":
        settings.API_RATE_LIMIT_STORAGE = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    else:
        settings.API_RATE_LIMIT_STORAGE = "memory://"
    return request.param


def _request_of(token):
    request = Request(APIRequestFactory().get("/api/v1/flags/"))
    request.user = token.user
    request.auth = token
    return request


@pytest.fixture
def token(tenants):
    issued, _raw = token_create(user=tenants.viewer, name="throttled")
    return issued


def _allowed(request) -> bool:
    return ClientRateThrottle().allow_request(request, None)


def test_a_refused_request_is_told_when_the_oldest_request_leaves_the_window(token, rates, storage):
    rates(token="3/minute")
    request = _request_of(token)
    assert all(_allowed(request) for _ in range(3))
    refused = ClientRateThrottle()
    assert not refused.allow_request(request, None)
    assert 58 < refused.wait() <= 60


def test_the_window_moves_on_and_lets_the_client_in_again(token, rates, storage):
    rates(token="2/second")
    request = _request_of(token)
    assert _allowed(request)
    assert _allowed(request)
    assert not _allowed(request)
    time.sleep(1.05)
    assert _allowed(request)


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_are_all_counted(tenants, rates, settings):
    # Forty requests of one token at once, in threads, against the real Redis: exactly its
    # rate gets through (a count read and written back whole would lose some of them).
    settings.API_RATE_LIMIT_STORAGE = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    rates(token="10/minute")
    issued, _raw = token_create(user=tenants.viewer, name="concurrent")
    request = _request_of(issued)
    barrier = threading.Barrier(40)

    def attempt(_: int) -> bool:
        barrier.wait()
        return _allowed(request)

    with ThreadPoolExecutor(max_workers=40) as pool:
        outcomes = list(pool.map(attempt, range(40)))
    assert outcomes.count(True) == 10


def test_counts_in_redis_expire_with_their_window(token, rates, settings):
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    settings.API_RATE_LIMIT_STORAGE = url
    rates(token="10/hour", user="100/minute")
    assert _allowed(_request_of(token))
    client = redis.Redis.from_url(url)
    keys = client.keys(f"{settings.API_RATE_LIMIT_PREFIX}*")
    ttls = {key.decode().split("/")[1]: client.ttl(key) for key in keys}
    assert set(ttls) == {"user", "token"}
    assert 3590 < ttls["token"] <= 3600
    assert 50 < ttls["user"] <= 60


def test_a_request_refused_by_one_limit_counts_against_none(tenants, rates, storage):
    # The token's limit refuses its third request; that request does not use up its user's
    # allowance, which another token of the same user still has one request of.
    rates(token="2/minute", user="3/minute")
    first, _raw = token_create(user=tenants.viewer, name="first")
    second, _raw = token_create(user=tenants.viewer, name="second")
    assert _allowed(_request_of(first))
    assert _allowed(_request_of(first))
    assert not _allowed(_request_of(first))
    assert _allowed(_request_of(second))
    assert not _allowed(_request_of(second))


@pytest.mark.parametrize("rate", ["ten/minute", "10/fortnight", "10", "-1/minute"])
def test_an_unreadable_rate_is_a_configuration_error(token, rates, rate):
    rates(token=rate)
    with pytest.raises(ImproperlyConfigured, match="API rate"):
        ClientRateThrottle().allow_request(_request_of(token), None)
