"""Vendor and product lists and pages: search, filters, scoped organizations, bounded
queries."""

import pytest
from django.urls import reverse

from tests.factories import InventoryItemFactory, ProductFactory, VendorFactory
from vendors.models import Product

pytestmark = pytest.mark.django_db

VENDORS = reverse("vendors:vendor_list")
PRODUCTS = reverse("vendors:product_list")


def test_vendor_list_searches_and_filters_by_country(client, world):
    VendorFactory(name="Hikvision", slug="hikvision", country="CN")
    client.force_login(world.tenants.viewer)
    names = [v.name for v in client.get(VENDORS, {"country": "CN"}).context["page"].object_list]
    assert names == ["Hikvision"]
    names = [v.name for v in client.get(VENDORS, {"q": "kasp"}).context["page"].object_list]
    assert names == ["Kaspersky"]
    assert b"No vendor matches" in client.get(VENDORS, {"q": "zzzz"}).content


def test_vendor_page_lists_only_the_users_organizations(client, world):
    client.force_login(world.tenants.viewer)
    response = client.get(world.vendor.get_absolute_url())
    page = response.context["page"]
    assert [org.name for org in page.organizations] == ["Stadtwerke Alpha"]
    assert page.organizations[0].active_flags == 1
    assert b"Klinikum Beta" not in response.content
    assert [a.identifier for a in page.advisories] == ["BSI-2022-0315"]  # the draft is hidden


def test_vendor_page_shows_ownership_and_jurisdiction_advisories(client, world):
    from advisories.models import AffectedTarget
    from tests.factories import PublishedAdvisoryFactory

    subsidiary = VendorFactory(name="Kaspersky UK", slug="kaspersky-uk", country="GB")
    subsidiary.parent = world.vendor
    subsidiary.save()
    russia = PublishedAdvisoryFactory(identifier="CSIRT-IT-RU", kind="vendor_warning")
    AffectedTarget.objects.create(advisory=russia, kind="jurisdiction", country="RU")
    client.force_login(world.tenants.viewer)
    page = client.get(subsidiary.get_absolute_url()).context["page"]
    assert page.ownership_chain == [world.vendor]
    assert "CSIRT-IT-RU" in [a.identifier for a in page.advisories]
    # The parent's vendor target does not take in subsidiaries, so it is not listed.
    assert "BSI-2022-0315" not in [a.identifier for a in page.advisories]
    parent_page = client.get(world.vendor.get_absolute_url()).context["page"]
    assert parent_page.subsidiaries == [subsidiary]


def test_product_page_shows_traits_versions_and_organizations(client, world):
    client.force_login(world.tenants.outsider)
    response = client.get(world.product.get_absolute_url())
    page = response.context["page"]
    assert page.versions == [("11.0", 1)]
    assert [org.name for org in page.organizations] == ["Klinikum Beta"]
    assert b"Deep system access" in response.content
    assert b"Stadtwerke Alpha" not in response.content


def test_unknown_vendor_and_product_are_not_found(client, world):
    client.force_login(world.tenants.viewer)
    assert client.get("/vendors/no-such-vendor/").status_code == 404
    assert client.get("/vendors/kaspersky/no-such-product/").status_code == 404


def test_product_list_filters_by_category(client, world):
    ProductFactory(name="Camera", category="video_surveillance")
    client.force_login(world.tenants.viewer)
    rows = client.get(PRODUCTS, {"category": "endpoint_protection"}).context["page"].object_list
    assert [p.name for p in rows] == ["Endpoint Security"]


@pytest.mark.parametrize("url_name", ["vendors:vendor_list", "vendors:product_list"])
def test_catalogue_lists_make_the_same_number_of_queries_for_many_rows(
    client, world, url_name, django_assert_max_num_queries
):
    client.force_login(world.tenants.viewer)
    with django_assert_max_num_queries(10) as few:
        client.get(reverse(url_name))
    parent = VendorFactory()
    for _ in range(30):
        ProductFactory(vendor=VendorFactory(parent=parent))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse(url_name))


def test_vendor_page_makes_the_same_number_of_queries_for_many_items(
    client, world, django_assert_max_num_queries
):
    from tests.factories import OrganizationFactory

    client.force_login(world.editor)
    with django_assert_max_num_queries(15) as few:
        client.get(world.vendor.get_absolute_url())
    for _ in range(10):
        product = ProductFactory(vendor=world.vendor)
        InventoryItemFactory(organization=OrganizationFactory(), product=product)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(world.vendor.get_absolute_url())


def test_product_page_shows_its_whole_cpe_name_with_its_part_and_its_purl(client, world):
    Product.objects.filter(pk=world.product.pk).update(
        cpe_part="a",
        cpe_vendor="kaspersky",
        cpe_product="endpoint_security",
        purl_type="npm",
        purl_namespace="@kaspersky",
        purl_name="agent",
    )
    other = ProductFactory(name="Agent", cpe_vendor="kaspersky", cpe_product="agent")
    client.force_login(world.tenants.viewer)

    page = client.get(world.product.get_absolute_url()).content.decode()
    assert "cpe:2.3:a:kaspersky:endpoint_security:*:*:*:*:*:*:*:*</span> (application)" in page
    assert "pkg:npm/%40kaspersky/agent" in page
    unknown = client.get(other.get_absolute_url()).content.decode()
    assert "cpe:2.3:*:kaspersky:agent:*:*:*:*:*:*:*:*" in unknown
    assert "part not known" in unknown


def test_product_list_and_picker_find_a_product_by_a_pasted_cpe_name_or_purl(client, world):
    Product.objects.filter(pk=world.product.pk).update(
        cpe_part="a", cpe_vendor="kaspersky", cpe_product="endpoint_security"
    )
    firmware = ProductFactory(
        name="Firmware", cpe_part="o", cpe_vendor="kaspersky", cpe_product="endpoint_security"
    )
    package = ProductFactory(name="Agent", purl_type="pypi", purl_name="kaspersky-agent")
    scanned = "cpe:2.3:a:kaspersky:endpoint_security:11.1.0:*:*:*:*:*:*:*"

    client.force_login(world.tenants.viewer)
    rows = client.get(PRODUCTS, {"q": scanned}).context["page"].object_list
    assert [p.pk for p in rows] == [world.product.pk]
    rows = client.get(PRODUCTS, {"q": "pkg:pypi/Kaspersky_Agent@2.0"}).context["page"].object_list
    assert [p.pk for p in rows] == [package.pk]

    client.force_login(world.editor)
    picker = reverse("vendors:product_search")
    options = client.get(picker, {"q": scanned.replace(":a:", ":o:", 1)}).context["options"]
    assert [pk for pk, _label, _category in options] == [firmware.pk]
