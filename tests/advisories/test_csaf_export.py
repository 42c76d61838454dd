"""Our own advisories as CSAF 2.0: each document passes the csaf package's schema and every
mandatory test, says what the advisory says, and reads back as the same advisory."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from advisories.choices import SourceKind, Tlp
from advisories.feeds.csaf import csaf_map
from advisories.feeds.validation import csaf_check, csaf_profile_problems
from advisories.models import Advisory
from advisories.publishing.documents import (
    CsafExportRefused,
    advisory_csaf,
    advisory_csaf_checked,
)
from advisories.services import advisory_create, advisory_publish, advisory_update
from tests.factories import ProductFactory, SourceFactory, UserFactory, VendorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_source():
    return SourceFactory(name="Our CERT", slug="our-cert", kind=SourceKind.INTERNAL)


@pytest.fixture
def fortinet():
    vendor = VendorFactory(name="Fortinet")
    return vendor, ProductFactory(vendor=vendor, name="FortiOS")


def publish(source, **fields: Any) -> Advisory:
    advisory = advisory_create(source=source, **fields)
    return advisory_publish(advisory=advisory)


def assert_valid(document: dict[str, Any]) -> None:
    check = csaf_check(document)
    assert (check.refusals, check.violations, csaf_profile_problems(document)) == ((), (), ())


def test_a_vulnerability_advisory_is_a_valid_security_advisory_that_reads_back(
    own_source, fortinet
):
    vendor, product = fortinet
    advisory = publish(
        own_source,
        identifier="OUR-2026-0001",
        title="FortiOS SSL-VPN heap overflow",
        summary="A heap overflow lets an attacker run code.",
        kind="vulnerability",
        severity="critical",
        cvss_score="9.8",
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        recommended_action="update",
        action_details="Install 7.2.5 or later.",
        tlp=Tlp.AMBER_STRICT,
        cve_ids=["CVE-2024-21762"],
        references=[{"url": "https://example.org/our-2026-0001", "category": "self"}],
        targets=[
            {"kind": "product_range", "product": product, "version_range": "vers:generic/<7.2.5"},
            {
                "kind": "product_range",
                "product": product,
                "version_range": "vers:generic/>=7.2.5",
                "is_exclusion": True,
            },
            {"kind": "purl", "purl": "pkg:pypi/fortilib@1.0.0"},
            {
                "kind": "cpe",
                "cpe": "cpe:2.3:o:fortinet:fortiproxy:*:*:*:*:*:*:*:*",
                "version_end_excluding": "7.4.3",
            },
        ],
    )
    document = advisory_csaf_checked(advisory)
    assert_valid(document)
    meta = document["document"]
    assert meta["category"] == "csaf_security_advisory"
    assert meta["distribution"]["tlp"]["label"] == "AMBER"
    assert "TLP:AMBER+STRICT" in meta["distribution"]["text"]
    [vulnerability] = document["vulnerabilities"]
    assert vulnerability["cve"] == "CVE-2024-21762"
    assert vulnerability["remediations"][0]["category"] == "vendor_fix"
    assert vulnerability["scores"][0]["cvss_v3"]["baseScore"] == 9.8
    assert len(vulnerability["product_status"]["fixed"]) == 1

    mapped = csaf_map(document)
    assert (mapped.identifier, mapped.tlp, mapped.severity) == (
        "OUR-2026-0001",
        Tlp.AMBER_STRICT,
        "critical",
    )
    assert mapped.recommended_action == "update"
    assert {
        (t.is_exclusion, t.vendor, t.product, t.version_range, t.purl) for t in mapped.targets
    } == {
        (False, "Fortinet", "FortiOS", "vers:generic/<7.2.5", ""),
        (True, "Fortinet", "FortiOS", "vers:generic/>=7.2.5", ""),
        (False, "", "", "", "pkg:pypi/fortilib@1.0.0"),
        (False, "fortinet", "fortiproxy", "vers:generic/<7.4.3", ""),
    }


def test_a_revision_raises_the_document_version(own_source, fortinet):
    _vendor, product = fortinet
    advisory = publish(
        own_source,
        identifier="OUR-2026-0002",
        title="FortiOS",
        kind="vulnerability",
        targets=[{"kind": "product", "product": product}],
    )
    assert advisory_csaf_checked(advisory)["document"]["tracking"]["version"] == "1"
    advisory_update(advisory=advisory, data={"severity": "critical"}, summary="More severe.")
    tracking = advisory_csaf_checked(advisory)["document"]["tracking"]
    assert tracking["version"] == "2"
    assert tracking["revision_history"][-1]["summary"] == "More severe."


def test_a_vendor_warning_is_informational_and_names_the_vendors_products(own_source, fortinet):
    vendor, _product = fortinet
    ProductFactory(vendor=vendor, name="FortiGate")
    advisory = publish(
        own_source,
        identifier="OUR-2026-0003",
        title="Replace Fortinet products",
        kind="vendor_warning",
        recommended_action="replace",
        tlp=Tlp.CLEAR,
        references=[{"url": "https://example.org/warning", "category": "external"}],
        targets=[{"kind": "vendor", "vendor": vendor}],
    )
    document = advisory_csaf_checked(advisory)
    assert_valid(document)
    assert document["document"]["category"] == "csaf_informational_advisory"
    assert document["document"]["distribution"]["tlp"]["label"] == "WHITE"
    assert "vulnerabilities" not in document
    assert {t.product for t in csaf_map(document).targets} == {"FortiGate", "FortiOS"}


def test_a_document_that_fails_a_test_is_refused_with_the_reason(own_source, fortinet):
    vendor, _product = fortinet
    # An informational advisory needs an external reference (CSAF test 6.1.27.2).
    advisory = publish(
        own_source,
        identifier="OUR-2026-0004",
        title="Replace Fortinet products",
        kind="vendor_warning",
        targets=[{"kind": "vendor", "vendor": vendor}],
    )
    with pytest.raises(CsafExportRefused) as refused:
        advisory_csaf_checked(advisory)
    assert any("6.1.27" in reason for reason in refused.value.reasons)


def test_a_jurisdiction_or_someone_elses_advisory_is_not_exported(own_source):
    advisory = publish(
        own_source,
        identifier="OUR-2026-0005",
        title="Vendors under RU",
        kind="vendor_warning",
        targets=[{"kind": "jurisdiction", "country": "RU"}],
    )
    with pytest.raises(CsafExportRefused, match="jurisdiction"):
        advisory_csaf(advisory)
    theirs = publish(
        SourceFactory(kind=SourceKind.VENDOR_PSIRT),
        identifier="PSIRT-1",
        title="Theirs",
        kind="vulnerability",
    )
    with pytest.raises(CsafExportRefused, match="own sources"):
        advisory_csaf(theirs)


def test_the_page_serves_the_document_or_shows_the_editor_why_not(client, own_source, fortinet):
    vendor, product = fortinet
    good = publish(
        own_source,
        identifier="OUR-2026-0006",
        title="FortiOS",
        kind="vulnerability",
        targets=[{"kind": "product", "product": product}],
    )
    bad = publish(
        own_source,
        identifier="OUR-2026-0007",
        title="Replace",
        kind="vendor_warning",
        targets=[{"kind": "vendor", "vendor": vendor}],
    )
    client.force_login(UserFactory(is_advisory_editor=True))
    response = client.get(reverse("advisories:advisory_csaf", args=[good.pk]))
    assert response.status_code == 200
    assert json.loads(response.content)["document"]["tracking"]["id"] == "OUR-2026-0006"
    assert 'filename="our-2026-0006.json"' in response["Content-Disposition"]
    response = client.get(reverse("advisories:advisory_csaf", args=[bad.pk]))
    assert response.status_code == 422
    assert b"6.1.27" in response.content
