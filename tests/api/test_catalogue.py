"""The catalogue over the API: vendors, products, their aliases and sources."""

import pytest

from advisories.models import Source
from audit.models import AuditEntry
from tests.api.base import CreateTests, DeleteTests, ListTests, RetrieveTests, UpdateTests
from tests.factories import AdvisoryFactory, ProductFactory, SourceFactory, VendorFactory
from vendors.models import Product, ProductAlias, Vendor, VendorAlias

pytestmark = pytest.mark.django_db


class TestVendors(ListTests, RetrieveTests):
    basename = "vendor"
    model = Vendor
    writer = "editor"

    def make(self, tenants, organization):
        return VendorFactory()


class TestProducts(ListTests, RetrieveTests):
    basename = "product"
    model = Product
    writer = "editor"

    def make(self, tenants, organization):
        return ProductFactory()


class TestVendorAliases(ListTests, RetrieveTests):
    basename = "vendoralias"
    model = VendorAlias
    writer = "editor"

    def make(self, tenants, organization):
        return VendorAlias.objects.create(vendor=VendorFactory(), name="Kaspersky Lab JSC")


class TestProductAliases(ListTests, RetrieveTests):
    basename = "productalias"
    model = ProductAlias
    writer = "editor"

    def make(self, tenants, organization):
        return ProductAlias.objects.create(product=ProductFactory(), name="KES")


class TestSources(ListTests, RetrieveTests, CreateTests, UpdateTests, DeleteTests):
    basename = "source"
    model = Source
    writer = "editor"
    update_data = {"description": "Germany's Federal Office for Information Security"}

    def make(self, tenants, organization):
        return SourceFactory()

    def create_data(self, tenants):
        return {"name": "CERT-Bund", "slug": "cert-bund", "kind": "national_cert", "country": "DE"}


def test_vendor_filters_search_aliases_and_list_each_vendor_once(tenants, api):
    vendor = VendorFactory(name="Kaspersky Lab")
    VendorAlias.objects.create(vendor=vendor, name="AO Kaspersky Lab Moscow")
    VendorAlias.objects.create(vendor=vendor, name="Kaspersky Moscow Office")
    VendorFactory(name="Other")
    response = api.session(tenants.viewer).get("/api/v1/vendors/", {"q": "moscow"})
    assert [row["id"] for row in response.json()["results"]] == [vendor.pk]


def test_product_list_filters_by_vendor_and_category(tenants, api):
    wanted = ProductFactory(category="endpoint_protection")
    ProductFactory(vendor=wanted.vendor, category="other")
    ProductFactory(category="endpoint_protection")
    response = api.session(tenants.viewer).get(
        "/api/v1/products/", {"vendor": wanted.vendor_id, "category": "endpoint_protection"}
    )
    assert [row["id"] for row in response.json()["results"]] == [wanted.pk]


def test_a_plain_member_cannot_add_a_source(tenants, api):
    response = api.session(tenants.owner).post(
        "/api/v1/sources/", {"name": "X", "slug": "x"}, format="json"
    )
    assert response.status_code == 403


def test_an_editors_organization_token_cannot_write_the_catalogue(tenants, api):
    editor = tenants.owner
    editor.is_advisory_editor = True
    editor.save()
    client = api.token(editor, organization=tenants.org_a)
    response = client.post("/api/v1/sources/", {"name": "X", "slug": "x"}, format="json")
    assert response.status_code == 403


def test_source_changes_are_audited(tenants, api):
    source = SourceFactory()
    editor = TestSources().user(tenants, "editor")
    api.session(editor).patch(f"/api/v1/sources/{source.pk}/", {"website": "https://bsi.de"})
    entry = AuditEntry.objects.get(action="source.update")
    assert entry.actor_id == editor.pk
    assert entry.after["website"] == "https://bsi.de"


def test_a_source_with_advisories_cannot_be_deleted(tenants, api):
    advisory = AdvisoryFactory()
    editor = TestSources().user(tenants, "editor")
    response = api.session(editor).delete(f"/api/v1/sources/{advisory.source_id}/")
    assert response.status_code == 409
    assert Source.objects.filter(pk=advisory.source_id).exists()


def test_an_enabled_feed_needs_kind_and_url(tenants, api):
    editor = TestSources().user(tenants, "editor")
    response = api.session(editor).post(
        "/api/v1/sources/", {"name": "X", "slug": "x", "feed_enabled": True}, format="json"
    )
    assert response.status_code == 400
    assert "feed_enabled" in response.json()
