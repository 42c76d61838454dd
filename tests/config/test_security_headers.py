"""Every response carries the Permissions-Policy; an API answer to a signed-in client may not
be kept by any cache."""

from __future__ import annotations

import pytest

from tests.api.conftest import Clients

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> Clients:
    return Clients()


@pytest.mark.parametrize("path", ["/accounts/login/", "/healthz", "/api/v1/", "/no-such-page/"])
def test_every_response_carries_the_permissions_policy(client, path):
    response = client.get(path)
    policy = response.headers["Permissions-Policy"]
    assert "camera=()" in policy and "geolocation=()" in policy and "microphone=()" in policy


def test_a_signed_in_api_answer_may_not_be_stored(tenants, api):
    for client in (api.token(tenants.viewer), api.session(tenants.viewer)):
        response = client.get("/api/v1/flags/")
        assert response.status_code == 200
        directives = {d.strip() for d in response.headers["Cache-Control"].split(",")}
        assert {"no-store", "private"} <= directives


def test_an_anonymous_api_refusal_and_the_pages_keep_their_own_caching(api, client, tenants):
    refused = api.anonymous().get("/api/v1/flags/")
    assert refused.status_code == 401
    assert "no-store" not in refused.headers.get("Cache-Control", "")
    client.force_login(tenants.viewer)
    page = client.get("/flags/")
    assert page.status_code == 200
    assert "no-store" not in page.headers.get("Cache-Control", "")
