"""Catalogue writes re-resolve inventory and re-match what depends on them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from advisories.models import AffectedTarget
from advisories.services import advisory_publish
from audit.models import AuditEntry
from exposure.choices import FlagStatus, MatchRunKind, ResolutionReason
from exposure.models import Flag, MatchRun
from orgs.services import inventory_item_create
from tests.factories import AdvisoryFactory, VendorFactory
from vendors.models import Vendor
from vendors.services import (
    product_alias_add,
    product_create,
    product_update,
    vendor_alias_add,
    vendor_alias_remove,
    vendor_create,
    vendor_update,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a service and the matching it asks for after commit (tasks run in-process)."""

    def run(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return run


@pytest.fixture
def kaspersky(db):
    return vendor_create(data={"name": "Kaspersky Lab", "country": "RU", "cpe_vendor": "kaspersky"})


@pytest.fixture
def endpoint(kaspersky):
    return product_create(data={"vendor": kaspersky, "name": "Endpoint Security"})


def published(committed, **target):
    advisory = AdvisoryFactory()
    AffectedTarget.objects.create(advisory=advisory, **target)
    committed(advisory_publish, advisory=advisory)
    return advisory


def flagged(advisory):
    return set(
        Flag.objects.filter(advisory=advisory)
        .exclude(status=FlagStatus.RESOLVED)
        .values_list("item_id", flat=True)
    )


def test_adding_a_vendor_alias_resolves_items_using_it_and_flags_them(committed, endpoint, tenants):
    advisory = published(committed, kind="product", product=endpoint)
    item = committed(
        inventory_item_create,
        organization=tenants.org_a,
        data={"raw_vendor": "AO Kasperskiy", "raw_product": "Endpoint Security"},
    )
    assert item.product is None and flagged(advisory) == set()

    committed(vendor_alias_add, vendor=endpoint.vendor, name="AO Kasperskiy")

    item.refresh_from_db()
    assert item.product == endpoint
    assert flagged(advisory) == {item.pk}
    assert MatchRun.objects.filter(kind=MatchRunKind.CATALOGUE).exists()


def test_adding_a_product_alias_resolves_items_using_it(committed, endpoint, tenants):
    advisory = published(committed, kind="product", product=endpoint)
    item = committed(
        inventory_item_create,
        organization=tenants.org_a,
        data={"raw_vendor": "Kaspersky Lab", "raw_product": "KES for Windows"},
    )

    committed(product_alias_add, product=endpoint, name="KES for Windows")

    assert flagged(advisory) == {item.pk}


def test_removing_an_alias_stops_matching_items_known_only_by_it(committed, kaspersky, tenants):
    alias = vendor_alias_add(vendor=kaspersky, name="Kasperski Labs")
    advisory = published(committed, kind="vendor", vendor=kaspersky)
    item = committed(
        inventory_item_create,
        organization=tenants.org_a,
        data={"raw_vendor": "Kasperski Labs", "raw_product": "Something uncatalogued"},
    )
    assert flagged(advisory) == {item.pk}

    committed(vendor_alias_remove, alias=alias)

    flag = Flag.objects.get(item=item)
    assert (flag.status, flag.resolution_reason) == (
        FlagStatus.RESOLVED,
        ResolutionReason.NO_LONGER_MATCHES,
    )


def test_an_alias_that_is_another_vendors_name_is_refused(kaspersky):
    other = VendorFactory(name="Positive Technologies", slug="ptsecurity")
    with pytest.raises(ValidationError):
        vendor_alias_add(vendor=other, name="Kaspersky Lab")


def test_moving_a_vendor_to_another_country_rematches_jurisdiction_advisories(committed, tenants):
    vendor = vendor_create(data={"name": "Acme Cameras", "country": "US"})
    product = product_create(data={"vendor": vendor, "name": "Cam 3000"})
    item = committed(
        inventory_item_create,
        organization=tenants.org_a,
        data={"raw_vendor": "Acme Cameras", "raw_product": "Cam 3000"},
    )
    advisory = published(committed, kind="jurisdiction", country="CN")
    assert flagged(advisory) == set()

    committed(vendor_update, vendor=vendor, data={"country": "CN"})
    assert flagged(advisory) == {item.pk}
    assert product.vendor.pk == vendor.pk

    committed(vendor_update, vendor=vendor, data={"country": "US"})
    assert flagged(advisory) == set()


def test_a_new_parent_company_brings_its_jurisdiction_to_the_subsidiary(
    committed, kaspersky, tenants
):
    subsidiary = vendor_create(data={"name": "Secure Mail UK", "country": "GB"})
    product_create(data={"vendor": subsidiary, "name": "Mail Gateway"})
    item = committed(
        inventory_item_create,
        organization=tenants.org_a,
        data={"raw_vendor": "Secure Mail UK", "raw_product": "Mail Gateway"},
    )
    advisory = published(committed, kind="jurisdiction", country="RU")

    committed(vendor_update, vendor=subsidiary, data={"parent": kaspersky})

    assert flagged(advisory) == {item.pk}


def test_a_product_given_a_cpe_is_matched_by_cpe_advisories(committed, endpoint, tenants):
    item = committed(
        inventory_item_create,
        organization=tenants.org_a,
        data={"raw_vendor": "Kaspersky Lab", "raw_product": "Endpoint Security", "version": "11.1"},
    )
    advisory = published(
        committed,
        kind="cpe",
        cpe="cpe:2.3:a:kaspersky:endpoint_security:*:*:*:*:*:*:*:*",
        version_end_excluding="12",
    )
    assert flagged(advisory) == set()

    committed(
        product_update,
        product=endpoint,
        data={"cpe": "cpe:2.3:a:Kaspersky:Endpoint_Security:*:*:*:*:*:*:*:*"},
    )

    assert flagged(advisory) == {item.pk}
    assert Flag.objects.get(advisory=advisory).confidence == "confirmed"


def test_a_product_whose_cpe_part_changes_is_matched_again(committed, endpoint, tenants):
    committed(
        product_update,
        product=endpoint,
        data={"cpe": "cpe:2.3:*:kaspersky:endpoint_security:*:*:*:*:*:*:*:*"},
    )
    item = committed(
        inventory_item_create,
        organization=tenants.org_a,
        data={"raw_vendor": "Kaspersky Lab", "raw_product": "Endpoint Security", "version": "11.1"},
    )
    advisory = published(
        committed, kind="cpe", cpe="cpe:2.3:a:kaspersky:endpoint_security:*:*:*:*:*:*:*:*"
    )
    # The catalogue does not know whether it is an application: the advisory may concern it.
    assert Flag.objects.get(advisory=advisory, item=item).confidence == "possible"

    committed(
        product_update,
        product=endpoint,
        data={"cpe": "cpe:2.3:a:kaspersky:endpoint_security:*:*:*:*:*:*:*:*"},
    )
    assert Flag.objects.get(advisory=advisory, item=item).confidence == "confirmed"

    committed(
        product_update,
        product=endpoint,
        data={"cpe": "cpe:2.3:h:kaspersky:endpoint_security:*:*:*:*:*:*:*:*"},
    )
    flag = Flag.objects.get(advisory=advisory, item=item)
    assert (flag.status, flag.resolution_reason) == (
        FlagStatus.RESOLVED,
        ResolutionReason.NO_LONGER_MATCHES,
    )


def test_a_products_purl_is_stored_as_items_purls_are_keyed(endpoint):
    product = product_update(product=endpoint, data={"purl": "pkg:PyPI/Kaspersky_Client"})
    assert (product.purl_type, product.purl_namespace, product.purl_name) == (
        "pypi",
        "",
        "kaspersky-client",
    )
    assert product.purl == "pkg:pypi/kaspersky-client"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"cpe": "cpe:2.3:a:kaspersky"}, "cpe", "expected 11"),
        ({"cpe": "cpe:2.3:a:kaspersky:endpoint*:*:*:*:*:*:*:*:*"}, "cpe", "gives its product"),
        ({"cpe": "cpe:2.3:a:kaspersky:kes:11.1:*:*:*:*:*:*:*"}, "cpe", "version must be"),
        ({"cpe": "cpe:2.3:-:kaspersky:kes:*:*:*:*:*:*:*:*"}, "cpe", "not '-'"),
        ({"purl": "pkg:pypi/kaspersky-client@1.0"}, "purl", "leave out a version"),
        ({"purl": "kaspersky-client"}, "purl", "not a valid package URL"),
    ],
    ids=["short", "wildcard", "versioned", "na_part", "versioned_purl", "not_a_purl"],
)
def test_a_bad_cpe_name_or_purl_is_refused_naming_the_field_and_nothing_is_stored(
    endpoint, data, field, message
):
    endpoint.refresh_from_db()
    before = (endpoint.cpe, endpoint.purl, endpoint.updated_at)
    with pytest.raises(ValidationError) as raised:
        product_update(product=endpoint, data={**data, "name": "Renamed"})
    assert list(raised.value.message_dict) == [field]
    assert message in raised.value.message_dict[field][0]
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.cpe, endpoint.purl, endpoint.updated_at) == (
        "Endpoint Security",
        *before,
    )


def test_the_parts_of_a_cpe_name_are_not_a_second_way_in(endpoint):
    with pytest.raises(ValidationError, match="Unknown fields: cpe_product, cpe_vendor"):
        product_update(
            product=endpoint, data={"cpe_vendor": "kaspersky", "cpe_product": "endpoint_security"}
        )


def test_risk_traits_raise_the_priority_of_existing_flags(committed, endpoint, tenants):
    committed(
        inventory_item_create,
        organization=tenants.org_a,
        data={"raw_vendor": "Kaspersky Lab", "raw_product": "Endpoint Security"},
    )
    advisory = published(committed, kind="vendor", vendor=endpoint.vendor)
    before = Flag.objects.get(advisory=advisory).priority

    committed(product_update, product=endpoint, data={"deep_system_access": True})

    assert Flag.objects.get(advisory=advisory).priority == before + 5


def test_a_new_product_resolves_the_items_that_named_it(committed, kaspersky, tenants):
    item = committed(
        inventory_item_create,
        organization=tenants.org_a,
        data={"raw_vendor": "Kaspersky Lab", "raw_product": "Small Office Security"},
    )

    product = committed(product_create, data={"vendor": kaspersky, "name": "Small Office Security"})

    item.refresh_from_db()
    assert item.product == product


def test_catalogue_writes_are_audited(kaspersky, endpoint):
    vendor_update(vendor=kaspersky, data={"website": "https://www.kaspersky.com"})
    vendor_alias_add(vendor=kaspersky, name="KL")
    assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "vendor.create",
        "product.create",
        "vendor.update",
        "vendor.alias_add",
    ]
    assert not Vendor.objects.filter(match_requested_at=None, pk=kaspersky.pk).exists()
