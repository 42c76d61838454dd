"""A small world for the page tests: a Kaspersky-style vendor warning that flags items in
organization A and organization B, a draft, and a user for each role the pages care about."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from advisories.choices import AdvisoryKind, Severity, TargetKind
from advisories.models import Advisory, AffectedTarget
from exposure.models import Flag
from orgs.models import InventoryItem, User
from tests.conftest import Tenants
from tests.factories import (
    AdvisoryFactory,
    InventoryItemFactory,
    ProductFactory,
    PublishedAdvisoryFactory,
    UserFactory,
    VendorFactory,
)
from vendors.models import Product, Vendor


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """Each test gets an empty cache of its own, so that no test sees another's overview."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "web"}
    }
    from django.core.cache import cache

    cache.clear()


@dataclass
class World:
    tenants: Tenants
    editor: User
    vendor: Vendor
    product: Product
    warning: Advisory
    draft: Advisory
    item_a: InventoryItem
    item_b: InventoryItem
    flag_a: Flag
    flag_b: Flag


def flag_for(advisory: Advisory, item: InventoryItem, **fields) -> Flag:
    """A flag as the matcher would leave it (the matcher is tested in tests/exposure)."""
    return Flag.objects.create(
        advisory=advisory,
        item=item,
        organization=item.organization,
        product=item.product,
        vendor=item.product.vendor if item.product else None,
        item_label=str(item),
        **fields,
    )


@pytest.fixture
def world(tenants) -> World:
    vendor = VendorFactory(name="Kaspersky", slug="kaspersky", country="RU")
    product = ProductFactory(
        vendor=vendor,
        name="Endpoint Security",
        slug="endpoint-security",
        category="endpoint_protection",
        deep_system_access=True,
    )
    warning = PublishedAdvisoryFactory(
        identifier="BSI-2022-0315",
        title="Replace Kaspersky antivirus products",
        kind=AdvisoryKind.VENDOR_WARNING,
        severity=Severity.HIGH,
    )
    AffectedTarget.objects.create(advisory=warning, kind=TargetKind.VENDOR, vendor=vendor)
    draft = AdvisoryFactory(identifier="DRAFT-0001", title="Unpublished draft about Kaspersky")
    AffectedTarget.objects.create(advisory=draft, kind=TargetKind.VENDOR, vendor=vendor)
    item_a = InventoryItemFactory(organization=tenants.org_a, product=product, version="21.3")
    item_b = InventoryItemFactory(organization=tenants.org_b, product=product, version="11.0")
    yesterday = timezone.localdate() - timedelta(days=1)
    flag_a = flag_for(warning, item_a, due_date=yesterday)
    flag_b = flag_for(warning, item_b)
    editor = UserFactory(username="editor", is_advisory_editor=True)
    return World(tenants, editor, vendor, product, warning, draft, item_a, item_b, flag_a, flag_b)
