"""Inventory writes: resolution to the catalogue, matching after commit, audit, bulk imports."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from advisories.models import AffectedTarget
from advisories.services import advisory_publish
from audit.models import AuditEntry
from exposure.choices import FlagStatus, MatchRunKind, ResolutionReason
from exposure.models import Flag, MatchRun
from orgs.models import InventoryItem
from orgs.selectors import inventory_unresolved
from orgs.services import (
    inventory_item_create,
    inventory_item_delete,
    inventory_item_update,
    inventory_items_bulk_create,
)
from tests.factories import AdvisoryFactory, OrganizationFactory, ProductFactory, VendorFactory
from vendors.models import ProductAlias, VendorAlias

pytestmark = pytest.mark.django_db


@pytest.fixture
def fortios(db):
    vendor = VendorFactory(name="Fortinet, Inc.", slug="fortinet", cpe_vendor="fortinet")
    product = ProductFactory(
        vendor=vendor, name="FortiOS", slug="fortios", cpe_vendor="fortinet", cpe_product="fortios"
    )
    VendorAlias.objects.create(vendor=vendor, name="Fortinet Networks")
    ProductAlias.objects.create(product=product, name="FortiGate firmware")
    return product


@pytest.fixture
def django_package(db):
    vendor = VendorFactory(name="Django Software Foundation", slug="dsf")
    return ProductFactory(
        vendor=vendor, name="Django", slug="django", purl_type="pypi", purl_name="django"
    )


def create(organization, **data):
    return inventory_item_create(organization=organization, data=data)


@pytest.mark.parametrize(
    "data",
    [
        {"raw_vendor": "FORTINET INC", "raw_product": "fortios"},
        {"raw_vendor": "Fortinet Networks", "raw_product": "FortiOS"},
        {"raw_vendor": "Fortinet", "raw_product": "FortiGate Firmware"},
        {"raw_product": "FortiOS"},
        {"cpe": "cpe:2.3:o:fortinet:fortios:7.2.4:*:*:*:*:*:*:*"},
    ],
    ids=["normalized-names", "vendor-alias", "product-alias", "bare-product-name", "cpe"],
)
def test_an_item_resolves_to_the_product_it_names(data, fortios, tenants):
    assert create(tenants.org_a, **data).product == fortios


def test_an_item_resolves_by_its_purl(django_package, tenants):
    item = create(tenants.org_a, purl="pkg:pypi/Django@4.2.1")
    assert (item.product, item.version) == (django_package, "4.2.1")


def test_the_version_is_taken_from_the_cpe_when_none_is_given(fortios, tenants):
    item = create(tenants.org_a, cpe="cpe:2.3:o:fortinet:fortios:7.2.4:*:*:*:*:*:*:*")
    assert item.version == "7.2.4"
    assert item.version_key is not None


def test_an_ambiguous_name_resolves_nothing(fortios, tenants):
    other = ProductFactory(vendor=fortios.vendor, name="FortiManager", slug="fortimanager")
    ProductAlias.objects.create(product=other, name="FortiGate firmware")
    item = create(tenants.org_a, raw_vendor="Fortinet", raw_product="FortiGate firmware")
    assert item.product is None


def test_unresolved_items_are_kept_and_listed_for_their_organization_only(fortios, tenants):
    odd = create(tenants.org_a, raw_vendor="Nobody Knows", raw_product="Widget Pro")
    create(tenants.org_a, raw_vendor="Fortinet", raw_product="FortiOS")
    theirs = create(tenants.org_b, raw_vendor="Nobody Knows", raw_product="Widget Pro")
    assert list(inventory_unresolved(user=tenants.viewer)) == [odd]
    assert list(inventory_unresolved(user=tenants.outsider)) == [theirs]


def test_a_chosen_product_is_kept_even_if_the_names_point_elsewhere(fortios, tenants):
    other = ProductFactory(name="Custom Appliance", slug="custom")
    item = create(tenants.org_a, raw_vendor="Fortinet", raw_product="FortiOS", product=other)
    assert item.product == other


def test_a_new_item_is_marked_and_matched_once_after_commit(
    fortios, tenants, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        item = create(tenants.org_a, raw_vendor="Fortinet", raw_product="FortiOS")
        assert item.match_requested_at is not None
    assert len(callbacks) == 1
    assert InventoryItem.objects.get(pk=item.pk).match_requested_at is None
    assert MatchRun.objects.filter(kind=MatchRunKind.ORGANIZATION).count() == 1


def test_changing_only_notes_asks_for_no_matching(
    fortios, tenants, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        item = create(tenants.org_a, raw_vendor="Fortinet", raw_product="FortiOS")
    with django_capture_on_commit_callbacks() as callbacks:
        inventory_item_update(item=item, data={"notes": "in the DMZ"})
    assert callbacks == []
    assert InventoryItem.objects.get(pk=item.pk).match_requested_at is None


def test_renaming_an_item_resolves_it_again(fortios, django_package, tenants):
    item = create(tenants.org_a, raw_vendor="Fortinet", raw_product="FortiOS")
    item = inventory_item_update(
        item=item, data={"raw_vendor": "", "raw_product": "", "purl": "pkg:pypi/django@5.0"}
    )
    assert item.product == django_package


def test_an_unknown_field_is_refused(tenants):
    with pytest.raises(ValidationError):
        create(tenants.org_a, raw_product="X", organization_id=tenants.org_b.pk)


def test_every_write_is_audited(fortios, tenants):
    item = create(tenants.org_a, raw_vendor="Fortinet", raw_product="FortiOS")
    inventory_item_update(item=item, data={"version": "7.2.4"})
    inventory_item_delete(item=item, user=tenants.owner)
    inventory_items_bulk_create(organization=tenants.org_a, items=[{"raw_product": "FortiOS"}])
    actions = list(
        AuditEntry.objects.filter(organization_id=tenants.org_a.pk)
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "inventory.item_create",
        "inventory.item_update",
        "inventory.item_delete",
        "inventory.bulk_create",
    ]
    assert AuditEntry.objects.get(action="inventory.item_delete").actor_name == "owner-a"


# --- bulk -----------------------------------------------------------------------------------


def rows(count: int, **extra):
    return [
        {
            "raw_vendor": "Fortinet",
            "raw_product": "FortiOS",
            "version": f"7.0.{n}",
            "external_ref": f"fw-{n}",
            "source": "csv",
            **extra,
        }
        for n in range(count)
    ]


def test_bulk_create_is_all_or_nothing(fortios, tenants):
    bad = [*rows(3), {"raw_vendor": "Fortinet", "quantity": 1, "source": "csv"}, *rows(2)]
    with pytest.raises(ValidationError, match="Item 4"):
        inventory_items_bulk_create(organization=tenants.org_a, items=bad)
    assert not InventoryItem.objects.exists()


def test_bulk_create_resolves_everything_and_asks_for_one_match(
    fortios, tenants, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = inventory_items_bulk_create(
            organization=tenants.org_a,
            items=[*rows(5), {"raw_product": "Mystery Box", "source": "csv"}],
        )
    assert (result.created, result.removed, result.unresolved) == (6, 0, 1)
    assert len(callbacks) == 1
    assert InventoryItem.objects.filter(product=fortios).count() == 5


def test_bulk_create_takes_the_same_queries_for_ten_or_two_hundred_items(fortios):
    def queries(count: int) -> int:
        organization = OrganizationFactory()
        with CaptureQueriesContext(connection) as captured:
            inventory_items_bulk_create(organization=organization, items=rows(count))
        return len(captured)

    assert queries(10) == queries(200)


def test_bulk_replace_updates_by_reference_and_removes_the_rest(
    fortios, tenants, django_capture_on_commit_callbacks
):
    advisory = AdvisoryFactory()
    AffectedTarget.objects.create(advisory=advisory, kind="product", product=fortios)
    with django_capture_on_commit_callbacks(execute=True):
        inventory_items_bulk_create(organization=tenants.org_a, items=rows(3))
        advisory_publish(advisory=advisory)
    kept = InventoryItem.objects.get(external_ref="fw-0")
    gone = InventoryItem.objects.get(external_ref="fw-2")
    manual = create(tenants.org_a, raw_vendor="Fortinet", raw_product="FortiOS")

    with django_capture_on_commit_callbacks(execute=True):
        result = inventory_items_bulk_create(
            organization=tenants.org_a,
            items=[*rows(2, notes="re-imported"), *rows(1, external_ref="fw-new")],
            replace_source="csv",
        )

    assert (result.created, result.updated, result.removed) == (1, 2, 1)
    assert InventoryItem.objects.get(pk=kept.pk).notes == "re-imported"
    assert InventoryItem.objects.filter(pk=manual.pk).exists()
    kept_flag = Flag.objects.get(item=kept)
    assert kept_flag.status == FlagStatus.OPEN and kept_flag.events.count() == 1
    gone_flag = Flag.objects.get(item_label="Fortinet FortiOS 7.0.2")
    assert (gone_flag.item_id, gone_flag.resolution_reason) == (
        None,
        ResolutionReason.ITEM_REMOVED,
    )
    assert not InventoryItem.objects.filter(pk=gone.pk).exists()
