"""A small catalogue with ownership chains, CPE and purl identities, and helpers that drive
matching through the real services (publish → on-commit task → engine)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from advisories.models import Advisory, AffectedTarget
from advisories.services import advisory_publish
from exposure.models import Flag
from orgs.models import InventoryItem, Organization
from orgs.services import inventory_item_create
from tests.factories import AdvisoryFactory, OrganizationFactory, ProductFactory, VendorFactory
from vendors.models import Product, Vendor, VendorAlias


@dataclass
class Catalogue:
    vendors: dict[str, Vendor] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)


VENDORS = {
    # key: (name, country, parent key, cpe vendor)
    "kaspersky": ("Kaspersky Lab", "RU", None, "kaspersky"),
    "kaspersky_uk": ("Kaspersky Lab UK", "GB", "kaspersky", ""),
    "kaspersky_uk_services": ("Kaspersky UK Services", "GB", "kaspersky_uk", ""),
    "hikvision": ("Hikvision", "CN", None, "hikvision"),
    "siemens": ("Siemens", "DE", None, "siemens"),
    "microsoft": ("Microsoft", "US", None, "microsoft"),
    "fortinet": ("Fortinet", "US", None, "fortinet"),
    "dsf": ("Django Software Foundation", "US", None, ""),
    "openjs": ("OpenJS Foundation", "US", None, ""),
    "debian": ("Debian Project", "", None, ""),
    "newtonsoft": ("Newtonsoft", "US", None, ""),
}
PRODUCTS = {
    # key: (vendor key, name, (cpe part, vendor, product), (purl type, namespace, name))
    "endpoint_security": (
        "kaspersky",
        "Endpoint Security",
        ("a", "kaspersky", "endpoint_security"),
        None,
    ),
    "anti_virus": ("kaspersky", "Anti-Virus", ("a", "kaspersky", "anti_virus"), None),
    "mail_gateway": ("kaspersky_uk", "Secure Mail Gateway", None, None),
    "mdr": ("kaspersky_uk_services", "Managed Detection", None, None),
    "camera": ("hikvision", "DS-2CD2043G0", ("o", "hikvision", "ds-2cd2043g0_firmware"), None),
    "scalance": ("siemens", "SCALANCE X200", ("h", "siemens", "scalance_x200"), None),
    "sql_server": ("microsoft", "SQL Server", ("a", "microsoft", "sql_server"), None),
    "fortios": ("fortinet", "FortiOS", ("o", "fortinet", "fortios"), None),
    "django": ("dsf", "Django", None, ("pypi", "", "django")),
    "lodash": ("openjs", "lodash", None, ("npm", "", "lodash")),
    "openssl": ("debian", "openssl", None, ("deb", "debian", "openssl")),
    "json_net": ("newtonsoft", "Json.NET", None, ("nuget", "", "newtonsoft.json")),
}


@pytest.fixture
def catalogue(db: None) -> Catalogue:
    built = Catalogue()
    for key, (name, country, parent, cpe_vendor) in VENDORS.items():
        built.vendors[key] = VendorFactory(
            name=name,
            slug=key.replace("_", "-"),
            country=country,
            parent=built.vendors[parent] if parent else None,
            cpe_vendor=cpe_vendor,
        )
    VendorAlias.objects.create(vendor=built.vendors["kaspersky"], name="Laboratoriya Kasperskogo")
    for key, (vendor, name, cpe, purl) in PRODUCTS.items():
        cpe_part, cpe_vendor, cpe_product = cpe or ("", "", "")
        purl_type, purl_namespace, purl_name = purl or ("", "", "")
        built.products[key] = ProductFactory(
            vendor=built.vendors[vendor],
            name=name,
            slug=key.replace("_", "-"),
            cpe_part=cpe_part,
            cpe_vendor=cpe_vendor,
            cpe_product=cpe_product,
            purl_type=purl_type,
            purl_namespace=purl_namespace,
            purl_name=purl_name,
        )
    return built


@pytest.fixture
def org(db: None) -> Organization:
    return OrganizationFactory(name="Stadtwerke Alpha", sector="energy")


@pytest.fixture
def other_org(db: None) -> Organization:
    return OrganizationFactory(name="Klinikum Beta", sector="health")


def item_data(catalogue: Catalogue, spec: dict[str, Any]) -> dict[str, Any]:
    """Item fields from a short spec: ``p`` names a catalogue product by key (its names are
    entered as raw text, so resolution finds it); ``v`` is the version."""
    data: dict[str, Any] = {}
    if "p" in spec:
        product = catalogue.products[spec["p"]]
        data["raw_vendor"], data["raw_product"] = product.vendor.name, product.name
    for short, name in (("vendor", "raw_vendor"), ("product", "raw_product")):
        if short in spec:
            data[name] = spec[short]
    for name in ("cpe", "purl", "criticality"):
        if name in spec:
            data[name] = spec[name]
    data["version"] = spec.get("v", "")
    return data


@pytest.fixture
def make_item(catalogue: Catalogue, org: Organization) -> Callable[..., InventoryItem]:
    def make(spec: dict[str, Any], organization: Organization | None = None) -> InventoryItem:
        return inventory_item_create(
            organization=organization or org, data=item_data(catalogue, spec)
        )

    return make


def target_fields(catalogue: Catalogue, spec: dict[str, Any]) -> dict[str, Any]:
    """Target fields from a spec whose ``vendor``/``product`` name catalogue keys."""
    fields = dict(spec)
    if "vendor" in fields:
        fields["vendor"] = catalogue.vendors[fields["vendor"]]
    if "product" in fields:
        fields["product"] = catalogue.products[fields["product"]]
    return fields


@pytest.fixture
def publish(
    catalogue: Catalogue, django_capture_on_commit_callbacks: Any
) -> Callable[..., Advisory]:
    """Create an advisory with these targets and publish it, running the after-commit
    matching task in-process (the settings of the test run make tasks eager)."""

    def publish_(*targets: dict[str, Any], **advisory_fields: Any) -> Advisory:
        advisory = AdvisoryFactory(**advisory_fields)
        for spec in targets:
            AffectedTarget.objects.create(advisory=advisory, **target_fields(catalogue, spec))
        with django_capture_on_commit_callbacks(execute=True):
            advisory_publish(advisory=advisory)
        advisory.refresh_from_db()
        return advisory

    return publish_


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Call ``function(**kwargs)`` and run the matching it asks for after commit."""

    def run(function: Callable[..., Any], **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return run


def open_flags(advisory: Advisory) -> dict[int, str]:
    """``{item id: confidence}`` of the advisory's unresolved flags."""
    return dict(
        Flag.objects.filter(advisory=advisory)
        .exclude(status="resolved")
        .values_list("item_id", "confidence")
    )
