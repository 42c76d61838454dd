"""A small Kaspersky world for campaign tests: a warning that asks to replace, organization A
(energy) running three Kaspersky items, organization B (health) two, organization C (energy)
none, a replacement product, and a platform analyst who runs campaigns."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from advisories.choices import AdvisoryKind, RecommendedAction, TargetKind
from advisories.models import Advisory, AffectedTarget
from advisories.services import advisory_publish
from orgs.models import InventoryItem, Organization, User
from orgs.services import inventory_item_create
from tests.conftest import Tenants
from tests.factories import AdvisoryFactory, OrganizationFactory, ProductFactory, UserFactory
from vendors.models import Product, Vendor


@dataclass
class World:
    tenants: Tenants
    org_c: Organization
    analyst: User
    kaspersky: Vendor
    kes: Product
    defender: Product
    advisory: Advisory
    items_a: list[InventoryItem]
    items_b: list[InventoryItem]


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Call ``function(**kwargs)`` and run what it queues after commit (matching, eagerly)."""

    def run(function: Callable[..., Any], **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return run


@pytest.fixture
def world(tenants: Tenants, run_on_commit: Callable[..., Any]) -> World:
    kes = ProductFactory(
        name="Kaspersky Endpoint Security",
        slug="kaspersky-endpoint-security",
        vendor__name="Kaspersky",
        vendor__slug="kaspersky",
        vendor__country="RU",
    )
    defender = ProductFactory(
        name="Defender for Endpoint", slug="defender", vendor__name="Microsoft", vendor__slug="ms"
    )
    org_c = OrganizationFactory(name="Wasserwerk Gamma", slug="wasserwerk-gamma", sector="energy")
    items_a = [
        run_on_commit(
            inventory_item_create,
            organization=tenants.org_a,
            data={
                "raw_vendor": "Kaspersky",
                "raw_product": kes.name,
                "version": "11.10",
                "external_ref": f"a-{n}",
            },
        )
        for n in range(3)
    ]
    items_b = [
        run_on_commit(
            inventory_item_create,
            organization=tenants.org_b,
            data={
                "raw_vendor": "Kaspersky",
                "raw_product": kes.name,
                "version": "12.1",
                "external_ref": f"b-{n}",
            },
        )
        for n in range(2)
    ]
    advisory = AdvisoryFactory(
        identifier="BSI-TEST-KASPERSKY",
        title="Replace Kaspersky antivirus software",
        kind=AdvisoryKind.VENDOR_WARNING,
        recommended_action=RecommendedAction.REPLACE,
        issued_on=timezone.localdate() - datetime.timedelta(days=40),
    )
    AffectedTarget.objects.create(advisory=advisory, kind=TargetKind.VENDOR, vendor=kes.vendor)
    run_on_commit(advisory_publish, advisory=advisory)
    advisory.refresh_from_db()
    analyst = UserFactory(username="cert-analyst", is_global_analyst=True)
    return World(tenants, org_c, analyst, kes.vendor, kes, defender, advisory, items_a, items_b)
