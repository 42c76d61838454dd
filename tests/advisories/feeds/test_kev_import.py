"""Importing the CISA KEV catalog: one published advisory per CVE, in bulk, idempotently."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from advisories.choices import AdvisoryKind, AdvisoryStatus, RecommendedAction, Severity, TargetKind
from advisories.feeds.errors import DocumentInvalid
from advisories.feeds.services import kev_import
from advisories.models import Advisory, AdvisoryRevision
from tests.advisories.feeds.conftest import OWN_FIXTURES, shared_path, writes
from tests.factories import ProductFactory, VendorFactory
from vendors.match_requests import MATCH_CATALOGUE
from vendors.models import Product, ProductAlias, Vendor, VendorAlias

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog() -> dict:
    return json.loads((OWN_FIXTURES / "kev-small.json").read_text())


def _bytes(catalog: dict) -> bytes:
    return json.dumps(catalog).encode()


def test_each_entry_becomes_a_published_known_exploited_advisory(catalog):
    result = kev_import(content=_bytes(catalog))

    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    advisory = Advisory.objects.get(identifier="CVE-2024-3400")
    assert advisory.status == AdvisoryStatus.PUBLISHED
    assert advisory.kind == AdvisoryKind.VULNERABILITY
    assert advisory.known_exploited
    assert advisory.severity == Severity.HIGH
    assert advisory.title == "Palo Alto Networks PAN-OS Command Injection Vulnerability"
    assert advisory.action_deadline == date(2024, 4, 19)
    assert advisory.issued_on == date(2024, 4, 12)
    assert advisory.action_details.startswith("Apply mitigations per vendor instructions")
    assert advisory.recommended_action == RecommendedAction.MITIGATE
    assert "Known to be used in ransomware campaigns." in advisory.summary
    assert advisory.match_requested_at is not None
    assert list(advisory.cves.values_list("cve_id", flat=True)) == ["CVE-2024-3400"]
    assert list(advisory.references.values_list("url", flat=True)) == [
        "https://security.paloaltonetworks.com/CVE-2024-3400",
        "https://nvd.nist.gov/vuln/detail/CVE-2024-3400",
    ]
    target = advisory.targets.get()
    assert (target.kind, str(target.product)) == (TargetKind.PRODUCT, "Palo Alto Networks PAN-OS")
    assert advisory.revisions.count() == 1


def test_vendor_and_product_are_resolved_by_normalized_name_and_alias(catalog):
    microsoft = VendorFactory(name="Microsoft Corporation")
    windows = ProductFactory(vendor=microsoft, name="Windows Server")
    ProductAlias.objects.create(product=windows, name="Windows")
    fortinet = VendorFactory(name="Fortinet Inc.")
    VendorAlias.objects.create(vendor=fortinet, name="Fortinet Networks")
    catalog["vulnerabilities"][2]["vendorProject"] = "Fortinet Networks"

    kev_import(content=_bytes(catalog))

    assert Advisory.objects.get(identifier="CVE-2024-21412").targets.get().product == windows
    assert Product.objects.get(name="FortiOS").vendor == fortinet
    assert Vendor.objects.filter(normalized_name="microsoft").count() == 1


def test_a_second_import_of_the_same_catalog_writes_nothing(catalog):
    kev_import(content=_bytes(catalog))

    with CaptureQueriesContext(connection) as queries:
        result = kev_import(content=_bytes(catalog))

    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert writes(queries) == []


def test_a_changed_entry_updates_its_advisory_and_adds_a_revision(catalog):
    kev_import(content=_bytes(catalog))
    catalog["vulnerabilities"][0]["dueDate"] = "2024-05-01"
    catalog["vulnerabilities"][0]["product"] = "PAN-OS GlobalProtect"

    result = kev_import(content=_bytes(catalog))

    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    advisory = Advisory.objects.get(identifier="CVE-2024-3400")
    assert advisory.action_deadline == date(2024, 5, 1)
    assert str(advisory.targets.get().product) == "Palo Alto Networks PAN-OS GlobalProtect"
    assert advisory.revisions.count() == 2


def test_a_broken_entry_is_reported_with_its_path_and_the_others_import(catalog):
    catalog["vulnerabilities"][1]["dateAdded"] = "yesterday"
    catalog["vulnerabilities"][2]["cveID"] = "not-a-cve"

    result = kev_import(content=_bytes(catalog))

    assert result.created == 1
    assert [str(p) for p in result.problems] == [
        "/vulnerabilities/1/dateAdded: 'yesterday' is not a date (YYYY-MM-DD)",
        "/vulnerabilities/2/cveID: 'not-a-cve' is not a CVE id",
    ]


def test_something_that_is_not_a_catalog_is_refused_and_stores_nothing():
    with pytest.raises(DocumentInvalid, match="not a KEV catalog"):
        kev_import(content=b'{"title": "something else"}')
    assert not Advisory.objects.exists()


def test_the_full_catalog_imports_1404_advisories_in_bulk_and_again_as_a_no_op():
    content = shared_path("kev", "known_exploited_vulnerabilities.json").read_bytes()

    with CaptureQueriesContext(connection) as first_queries:
        first = kev_import(content=content)
    with CaptureQueriesContext(connection) as again_queries:
        again = kev_import(content=content)

    assert (first.created, first.problems) == (1404, ())
    assert Advisory.objects.filter(known_exploited=True).count() == 1404
    assert AdvisoryRevision.objects.count() == 1404
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1404)
    # Bulk statements, not a query per entry: a per-row regression shows here whatever the
    # machine's speed (the times are the benchmark's business, make bench-feeds).
    print(f"queries: first {len(first_queries)}, again {len(again_queries)}")
    assert len(first_queries) < 200
    assert len(again_queries) < 50


def test_an_entry_whose_names_are_only_symbols_is_skipped(catalog):
    catalog["vulnerabilities"][0]["product"] = "™"

    result = kev_import(content=_bytes(catalog))

    assert result.created == 2
    assert [str(p) for p in result.problems] == [
        "/vulnerabilities/0: the vendor or product name has no letters or digits"
    ]


def test_what_an_import_adds_to_the_catalogue_is_handed_to_the_matcher_in_one_request(
    catalog, django_capture_on_commit_callbacks
):
    known = VendorFactory(name="Microsoft Corporation")  # its product is new, it is not

    with django_capture_on_commit_callbacks() as callbacks:
        kev_import(content=_bytes(catalog))

    requests = [c.args for c in callbacks if c.args and c.args[0] == MATCH_CATALOGUE]
    assert len(requests) == 1
    [(_name, vendor_ids, product_ids)] = requests
    new_vendors = Vendor.objects.exclude(pk=known.pk)
    assert vendor_ids == sorted(new_vendors.values_list("pk", flat=True))
    assert len(vendor_ids) == 2
    assert product_ids == sorted(Product.objects.values_list("pk", flat=True))
    assert len(product_ids) == 3

    # Nothing new the second time: no catalogue request at all.
    with django_capture_on_commit_callbacks() as callbacks:
        kev_import(content=_bytes(catalog))
    assert not [c for c in callbacks if c.args and c.args[0] == MATCH_CATALOGUE]
