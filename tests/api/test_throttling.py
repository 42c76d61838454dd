"""Request rates are limited per token and per user."""

import pytest
from django.conf import settings as django_settings

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
