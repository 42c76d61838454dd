"""Inventory items over the API: written through the inventory services, so they resolve to
the catalogue and are matched against published advisories at once."""

import pytest

from audit.models import AuditEntry
from exposure.models import Flag
from orgs.models import InventoryItem
from tests.api.base import (
    OrganizationFixedTests,
    TenantCreateTests,
    TenantDeleteTests,
    TenantListTests,
    TenantRetrieveTests,
    TenantUpdateTests,
)
from tests.factories import (
    AffectedTargetFactory,
    InventoryItemFactory,
    ProductFactory,
    PublishedAdvisoryFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db


class TestInventoryItems(
    TenantListTests,
    TenantRetrieveTests,
    TenantCreateTests,
    TenantUpdateTests,
    TenantDeleteTests,
    OrganizationFixedTests,
):
    basename = "inventoryitem"
    model = InventoryItem
    update_data = {"version": "21.3.10", "quantity": 12}

    def make(self, tenants, organization):
        return InventoryItemFactory(organization=organization)

    def create_data(self, tenants):
        return {
            "organization": tenants.org_a.pk,
            "raw_vendor": "Kaspersky Lab",
            "raw_product": "Endpoint Security",
            "version": "11.10",
        }


@pytest.fixture
def warning(db):
    """A published vendor warning against Kaspersky, whose catalogue knows one product."""
    vendor = VendorFactory(name="Kaspersky Lab")
    ProductFactory(vendor=vendor, name="Endpoint Security")
    advisory = PublishedAdvisoryFactory()
    AffectedTargetFactory(advisory=advisory, vendor=vendor)
    return advisory


def test_an_item_added_through_the_api_resolves_and_is_flagged(
    tenants, api, warning, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.session(tenants.analyst).post(
            "/api/v1/inventory-items/",
            {
                "organization": tenants.org_a.pk,
                "raw_vendor": "Kaspersky Lab",
                "raw_product": "Endpoint Security",
                "version": "11.10",
            },
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["resolved"] is True
    assert body["source"] == "api"
    flag = Flag.objects.get(item_id=body["id"])
    assert (flag.advisory, flag.organization) == (warning, tenants.org_a)
    assert AuditEntry.objects.filter(action="inventory.item_create").exists()


def test_an_unknown_product_is_kept_unresolved(tenants, api):
    response = api.session(tenants.analyst).post(
        "/api/v1/inventory-items/",
        {"organization": tenants.org_a.pk, "raw_vendor": "Acme", "raw_product": "Widget"},
    )
    assert response.status_code == 201
    assert response.json()["resolved"] is False


def test_removing_an_item_resolves_its_flags(
    tenants, api, warning, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        item_id = (
            api.session(tenants.analyst)
            .post(
                "/api/v1/inventory-items/",
                {
                    "organization": tenants.org_a.pk,
                    "raw_vendor": "Kaspersky Lab",
                    "raw_product": "Endpoint Security",
                },
            )
            .json()["id"]
        )
    with django_capture_on_commit_callbacks(execute=True):
        response = api.session(tenants.analyst).delete(f"/api/v1/inventory-items/{item_id}/")
    assert response.status_code == 204
    assert Flag.objects.get(advisory=warning).status == "resolved"


def test_an_item_must_name_something(tenants, api):
    response = api.session(tenants.analyst).post(
        "/api/v1/inventory-items/", {"organization": tenants.org_a.pk, "version": "1.0"}
    )
    assert response.status_code == 400
    assert "raw_product" in response.json()


def test_a_viewer_cannot_add_items_even_to_their_own_organization(tenants, api):
    response = api.session(tenants.viewer).post(
        "/api/v1/inventory-items/", {"organization": tenants.org_a.pk, "raw_product": "X"}
    )
    assert response.status_code == 403
    assert not InventoryItem.objects.exists()


def test_inventory_filters(tenants, api):
    product = ProductFactory()
    wanted = InventoryItemFactory(
        organization=tenants.org_a, product=product, environment="staging"
    )
    InventoryItemFactory(organization=tenants.org_a, product=product)
    InventoryItemFactory(organization=tenants.org_a, product=None, raw_product="Unknown")
    client = api.session(tenants.viewer)
    for query, expected in (
        ({"environment": "staging"}, [wanted.pk]),
        ({"vendor": product.vendor_id, "environment": "staging"}, [wanted.pk]),
        ({"resolved": "false"}, [InventoryItem.objects.get(product=None).pk]),
    ):
        ids = [row["id"] for row in client.get("/api/v1/inventory-items/", query).json()["results"]]
        assert ids == expected, query
