"""List endpoints run the same number of queries for a page of 1 and a page of 100."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.services import audit_record
from tests.api.factories import FlagFactory
from tests.factories import (
    AffectedTargetFactory,
    InventoryItemFactory,
    MembershipFactory,
    ProductFactory,
    PublishedAdvisoryFactory,
    VendorFactory,
)
from vendors.models import ProductAlias, VendorAlias

pytestmark = pytest.mark.django_db

ROWS = 101


def _flags(tenants):
    for _ in range(ROWS):
        FlagFactory(item=InventoryItemFactory(organization=tenants.org_a), assignee=tenants.analyst)


def _items(tenants):
    for _ in range(ROWS):
        InventoryItemFactory(organization=tenants.org_a)


def _advisories(tenants):
    for n in range(ROWS):
        advisory = PublishedAdvisoryFactory()
        AffectedTargetFactory(advisory=advisory)
        advisory.cves.create(cve_id=f"CVE-2024-{n:05d}")
        advisory.references.create(url=f"https://example.org/{n}")


def _vendors(tenants):
    for n in range(ROWS):
        VendorAlias.objects.create(vendor=VendorFactory(), name=f"Alias {n}")


def _products(tenants):
    for n in range(ROWS):
        ProductAlias.objects.create(product=ProductFactory(), name=f"Alias {n}")


def _memberships(tenants):
    for _ in range(ROWS):
        MembershipFactory(organization=tenants.org_a)


def _audit(tenants):
    for _ in range(ROWS):
        audit_record(action="test.event", organization=tenants.org_a)


@pytest.mark.parametrize(
    ("url", "build"),
    [
        ("/api/v1/flags/", _flags),
        ("/api/v1/inventory-items/", _items),
        ("/api/v1/advisories/", _advisories),
        ("/api/v1/vendors/", _vendors),
        ("/api/v1/products/", _products),
        ("/api/v1/memberships/", _memberships),
        ("/api/v1/audit-entries/", _audit),
    ],
)
def test_a_bigger_page_costs_no_more_queries(tenants, api, url, build):
    build(tenants)
    client = api.session(tenants.owner)
    counts = []
    for size in (1, 100):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"page_size": size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1], f"{url}: {counts[0]} queries for 1 row, {counts[1]} for 100"
