"""The catalogue over the API: vendors, products, their aliases and sources."""

import pytest

from advisories.models import Source
from audit.models import AuditEntry
from tests.api.base import CreateTests, DeleteTests, ListTests, RetrieveTests, UpdateTests
from tests.factories import AdvisoryFactory, ProductFactory, SourceFactory, VendorFactory
from vendors.models import Product, ProductAlias, Vendor, VendorAlias

pytestmark = pytest.mark.django_db


class TestVendors(ListTests, RetrieveTests, CreateTests, UpdateTests):
    basename = "vendor"
    model = Vendor
    writer = "editor"
    update_data = {"country": "RU", "cpe_vendor": "kaspersky"}

    def make(self, tenants, organization):
        return VendorFactory()

    def create_data(self, tenants):
        return {"name": "Kaspersky Lab", "country": "RU", "website": "https://kaspersky.com"}


class TestProducts(ListTests, RetrieveTests, CreateTests, UpdateTests):
    basename = "product"
    model = Product
    writer = "editor"
    update_data = {"category": "endpoint_protection", "deep_system_access": True}

    def make(self, tenants, organization):
        return ProductFactory()

    def create_data(self, tenants):
        return {"vendor": VendorFactory().pk, "name": "Endpoint Security"}


class TestVendorAliases(ListTests, RetrieveTests, CreateTests, DeleteTests):
    basename = "vendoralias"
    model = VendorAlias
    writer = "editor"

    def make(self, tenants, organization):
        return VendorAlias.objects.create(vendor=VendorFactory(), name="Kaspersky Lab JSC")

    def create_data(self, tenants):
        return {"vendor": VendorFactory().pk, "name": "AO Kaspersky Lab"}


class TestProductAliases(ListTests, RetrieveTests, CreateTests, DeleteTests):
    basename = "productalias"
    model = ProductAlias
    writer = "editor"

    def make(self, tenants, organization):
        return ProductAlias.objects.create(product=ProductFactory(), name="KES")

    def create_data(self, tenants):
        return {"product": ProductFactory().pk, "name": "KESB"}


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


def test_a_new_vendor_gets_a_slug_and_is_audited(tenants, api):
    editor = TestVendors().user(tenants, "editor")
    response = api.session(editor).post("/api/v1/vendors/", {"name": "Huawei Technologies"})
    assert response.status_code == 201
    assert response.json()["slug"] == "huawei-technologies"
    assert AuditEntry.objects.filter(action="vendor.create", actor_id=editor.pk).exists()


def test_an_alias_that_is_another_vendors_name_is_refused_naming_the_field(tenants, api):
    VendorFactory(name="Kaspersky")
    other = VendorFactory(name="Other")
    editor = TestVendors().user(tenants, "editor")
    response = api.session(editor).post(
        "/api/v1/vendor-aliases/", {"vendor": other.pk, "name": "Kaspersky"}
    )
    assert response.status_code == 400
    assert "name" in response.json()


def test_vendors_and_products_cannot_be_deleted_through_the_api(tenants, api):
    editor = TestVendors().user(tenants, "editor")
    product = ProductFactory()
    client = api.session(editor)
    assert client.delete(f"/api/v1/vendors/{product.vendor_id}/").status_code == 405
    assert client.delete(f"/api/v1/products/{product.pk}/").status_code == 405


def test_a_number_for_a_name_is_refused_not_coerced(tenants, api):
    editor = TestVendors().user(tenants, "editor")
    response = api.session(editor).post("/api/v1/vendors/", {"name": 42}, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": ["Expected a string."]}


KES_CPE = "cpe:2.3:a:kaspersky:endpoint_security:*:*:*:*:*:*:*:*"


def test_a_product_takes_its_whole_cpe_name_and_purl_and_shows_them_back(tenants, api):
    client = api.session(TestProducts().user(tenants, "editor"))
    response = client.post(
        "/api/v1/products/",
        {
            "vendor": VendorFactory().pk,
            "name": "Endpoint Security",
            "cpe": "CPE:2.3:a:Kaspersky:Endpoint_Security:*:*:*:*:*:*:*:*",
            "purl": "pkg:PyPI/Kaspersky_Client",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["cpe"], response.json()["purl"]) == (
        KES_CPE,
        "pkg:pypi/kaspersky-client",
    )
    product = Product.objects.get(pk=response.json()["id"])
    assert (product.cpe_part, product.cpe_vendor, product.cpe_product) == (
        "a",
        "kaspersky",
        "endpoint_security",
    )
    assert (product.purl_type, product.purl_namespace, product.purl_name) == (
        "pypi",
        "",
        "kaspersky-client",
    )
    shown = client.get(f"/api/v1/products/{product.pk}/").json()
    assert (shown["cpe"], shown["purl"]) == (KES_CPE, "pkg:pypi/kaspersky-client")
    assert not {"cpe_part", "cpe_vendor", "cpe_product", "purl_type", "purl_name"} & set(shown)


def test_a_products_part_not_known_is_written_and_shown_as_a_star(tenants, api):
    product = ProductFactory(cpe_part="o", cpe_vendor="fortinet", cpe_product="fortios")
    client = api.session(TestProducts().user(tenants, "editor"))
    response = client.patch(
        f"/api/v1/products/{product.pk}/",
        {"cpe": "cpe:2.3:*:fortinet:fortios:*:*:*:*:*:*:*:*"},
        format="json",
    )
    assert response.json()["cpe"] == "cpe:2.3:*:fortinet:fortios:*:*:*:*:*:*:*:*"
    product.refresh_from_db()
    assert (product.cpe_part, product.cpe_vendor) == ("", "fortinet")

    cleared = client.patch(f"/api/v1/products/{product.pk}/", {"cpe": ""}, format="json")
    assert cleared.json()["cpe"] == ""
    product.refresh_from_db()
    assert (product.cpe_part, product.cpe_vendor, product.cpe_product) == ("", "", "")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"cpe": "cpe:2.3:a:kaspersky:endpoint_security"}, "cpe", "expected 11"),
        ({"cpe": "cpe:2.3:a:kaspersky:endpoint_security:11.1:*:*:*:*:*:*:*"}, "cpe", "version"),
        ({"cpe": "cpe:2.3:a:kaspersky:*:*:*:*:*:*:*:*:*"}, "cpe", "gives its product"),
        ({"purl": "pkg:pypi/kaspersky-client@1.0"}, "purl", "leave out a version"),
        ({"purl": "kaspersky-client"}, "purl", "not a valid package URL"),
        ({"cpe_vendor": "kaspersky"}, "cpe_vendor", "Unknown field"),
    ],
    ids=["short_cpe", "versioned_cpe", "any_product", "versioned_purl", "bare_name", "parts"],
)
def test_a_bad_cpe_name_or_purl_is_refused_naming_the_field(tenants, api, body, field, message):
    product = ProductFactory(cpe_part="a", cpe_vendor="kaspersky", cpe_product="anti_virus")
    name = product.name
    client = api.session(TestProducts().user(tenants, "editor"))
    response = client.patch(
        f"/api/v1/products/{product.pk}/", {"name": "Renamed", **body}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert message in str(response.json()[field])
    product.refresh_from_db()
    assert (product.name, product.cpe) == (name, "cpe:2.3:a:kaspersky:anti_virus:*:*:*:*:*:*:*:*")


def test_the_product_list_finds_products_by_a_whole_cpe_name_or_purl(tenants, api):
    application = ProductFactory(cpe_part="a", cpe_vendor="linux", cpe_product="linux_kernel")
    system = ProductFactory(cpe_part="o", cpe_vendor="linux", cpe_product="linux_kernel")
    unknown = ProductFactory(cpe_vendor="linux", cpe_product="linux_kernel")
    package = ProductFactory(purl_type="pypi", purl_name="django")
    client = api.session(tenants.viewer)

    def found(q: str) -> set[int]:
        return {row["id"] for row in client.get("/api/v1/products/", {"q": q}).json()["results"]}

    # A scanner's versioned name finds its product; the part narrows it as matching does.
    assert found("cpe:2.3:o:linux:linux_kernel:6.1.2:*:*:*:*:*:*:*") == {system.pk, unknown.pk}
    assert found("cpe:2.3:*:linux:linux_kernel:*:*:*:*:*:*:*:*") == {
        application.pk,
        system.pk,
        unknown.pk,
    }
    assert found("pkg:pypi/Django@4.2") == {package.pk}
