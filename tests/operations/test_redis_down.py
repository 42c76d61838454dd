"""Redis is optional for serving. With the cache, the rate limits and the broker on a Redis
server of the test's own, the server is stopped: the API, the pages and writes all answer 2xx,
``/healthz`` says Redis is degraded; once it is started again, the sweeper matches what was
written meanwhile."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from advisories.models import AffectedTarget
from advisories.services import advisory_publish
from exposure.models import Flag
from operations.metrics import metric_counts
from orgs.models import InventoryItem
from orgs.tokens import token_create
from tests.exposure.test_worker import wait_for
from tests.factories import AdvisoryFactory, ProductFactory, VendorFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


@pytest.fixture
def on_test_redis(broker, settings: Any) -> None:
    """The cache and the rate limits on the test's Redis, as docker-compose wires them."""
    settings.CACHES = {
        "default": {
            "BACKEND": "operations.cache.FailSoftRedisCache",
            "LOCATION": broker.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.REDIS_URL = broker.url
    settings.API_RATE_LIMIT_STORAGE = broker.url
    settings.API_RATE_LIMIT_PREFIX = f"redis-down-{uuid.uuid4()}"


def test_with_redis_down_everything_answers_and_the_sweeper_catches_up(
    tenants, client, broker, workers, on_test_redis
):
    product = ProductFactory(vendor=VendorFactory(name="Kaspersky"), name="Endpoint Security")
    advisory = AdvisoryFactory()
    AffectedTarget.objects.create(advisory=advisory, kind="product", product=product)
    advisory_publish(advisory=advisory)  # matched now: the broker is up, no worker yet
    _token, text = token_create(user=tenants.owner, name="script", access="read_write")
    api = {"HTTP_AUTHORIZATION": f"Bearer {text}"}
    client.force_login(tenants.owner)
    assert client.get("/").status_code == 200  # fills the overview's cache
    workers(beat=True)
    broker.stop()
    before = metric_counts()

    reads = [
        client.get("/api/v1/flags/", **api),
        client.get("/api/v1/inventory-items/", **api),
        client.get(f"/api/v1/advisories/{advisory.pk}/", **api),
        client.get("/api/v1/flags/"),  # the session, too
        client.get("/"),
        client.get("/flags/"),
        client.get(f"/advisories/{advisory.pk}/"),
        client.get(f"/organizations/{tenants.org_a.slug}/inventory/"),
    ]
    written = client.post(
        "/api/v1/inventory-items/",
        {
            "organization": tenants.org_a.pk,
            "raw_vendor": "Kaspersky",
            "raw_product": "Endpoint Security",
            "version": "21.3",
        },
        content_type="application/json",
        **api,
    )
    health = client.get("/healthz")

    assert [r.status_code for r in reads] == [200] * len(reads)
    assert written.status_code == 201, written.content
    assert health.status_code == 200
    assert health.json()["redis"] == "degraded"
    after = metric_counts()
    assert after.get("cache.unavailable", 0) > before.get("cache.unavailable", 0)
    assert after.get("api.rate_limits_unavailable", 0) > before.get(
        "api.rate_limits_unavailable", 0
    )
    item = InventoryItem.objects.get(pk=written.json()["id"])
    assert item.match_requested_at is not None
    assert not Flag.objects.filter(item=item).exists()

    broker.start()

    wait_for(
        lambda: Flag.objects.filter(item=item, advisory=advisory).exists(),
        what="the sweeper to match the item written while Redis was down",
    )
    assert client.get("/healthz").json()["redis"] == "ok"
