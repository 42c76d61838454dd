"""Importing one CSAF 2.0 document: validation, mapping, idempotence, atomicity."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from advisories.choices import (
    AdvisoryKind,
    AdvisoryStatus,
    RecommendedAction,
    ReferenceCategory,
    Severity,
    TargetKind,
)
from advisories.feeds.errors import DocumentInvalid
from advisories.feeds.services import csaf_import
from advisories.models import Advisory, AdvisoryRevision, AffectedTarget, Source
from audit.models import AuditEntry
from tests.advisories.feeds.conftest import as_bytes, shared_documents, writes
from vendors.models import Product, Vendor

pytestmark = pytest.mark.django_db

SHARED_DOCUMENTS = shared_documents("examples", "cisa-samples")


def _row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Advisory,
            AffectedTarget,
            AdvisoryRevision,
            Source,
            Vendor,
            Product,
            AuditEntry,
        )
    }


def test_a_security_advisory_maps_its_tracking_publisher_scores_and_remediations(
    advisory_document,
):
    result = csaf_import(content=as_bytes(advisory_document))

    advisory = result.advisory
    assert result.outcome == "imported"
    assert advisory.identifier == "ACME-2026-0001"
    assert advisory.source.name == "Acme PSIRT"
    assert advisory.source.website == "https://psirt.acme.example"
    assert advisory.status == AdvisoryStatus.PUBLISHED
    assert advisory.kind == AdvisoryKind.VULNERABILITY
    assert advisory.source_version == "1"
    assert advisory.summary == "Acme Gateway before 2.4.1 lets anyone read its configuration."
    assert (advisory.severity, advisory.cvss_score) == (Severity.HIGH, Decimal("7.5"))
    assert advisory.cvss_vector.startswith("CVSS:3.1/AV:N")
    # A vendor fix exists for the supported line, so "update" wins over the legacy "replace".
    assert advisory.recommended_action == RecommendedAction.UPDATE
    assert "No fix planned: The legacy firmware is end of life" in advisory.action_details
    assert str(advisory.issued_on) == "2026-01-15"
    assert list(advisory.cves.values_list("cve_id", flat=True)) == ["CVE-2026-0001"]
    assert list(advisory.references.values_list("category", flat=True)) == [ReferenceCategory.SELF]
    assert advisory.raw_document == advisory_document
    assert advisory.raw_format == "csaf-2.0"
    assert "Acme PSIRT revision 1: Initial version." in advisory.revisions.values_list(
        "summary", flat=True
    )


def test_product_statuses_become_inclusions_exclusions_and_review_items(advisory_document):
    advisory = csaf_import(content=as_bytes(advisory_document)).advisory

    targets = {
        (t.kind, str(t.product or ""), t.version_range, t.purl, t.is_exclusion): t
        for t in advisory.targets.select_related("product__vendor")
    }
    affected = targets[
        (
            TargetKind.PRODUCT_RANGE,
            "Acme Corp. Acme Gateway",
            "vers:generic/>=2.0|<2.4.1",
            "",
            False,
        )
    ]
    assert not affected.needs_review and affected.intervals.count() == 1
    legacy = targets[
        (
            TargetKind.PRODUCT_RANGE,
            "Acme Corp. Acme Gateway",
            "all firmware since the 2019 line",
            "",
            False,
        )
    ]
    assert legacy.needs_review and legacy.review_reason
    assert (TargetKind.PURL, "", "", "pkg:pypi/libacme@1.2.3", False) in targets
    assert (TargetKind.PRODUCT_RANGE, "Acme Corp. Acme Gateway", "2.4.1", "", True) in targets
    assert (TargetKind.PRODUCT, "Acme Corp. Acme Console", "", "", True) in targets
    assert len(targets) == 5


@pytest.mark.parametrize("path", SHARED_DOCUMENTS, ids=lambda p: p.name)
def test_every_shared_example_imports_and_reimports_as_a_no_op(path):
    content = path.read_bytes()
    try:
        first = csaf_import(content=content, name=path.name)
    except DocumentInvalid as error:
        pytest.fail(f"{path.name} was refused: {error.describe()}")
    assert first.outcome == "imported"
    before = _row_counts()

    with CaptureQueriesContext(connection) as queries:
        again = csaf_import(content=content, name=path.name)

    assert again.outcome == "unchanged"
    assert again.advisory.pk == first.advisory.pk
    assert writes(queries) == []
    assert _row_counts() == before


def _version_2(document):
    document["document"]["tracking"]["version"] = "2"
    document["document"]["tracking"]["current_release_date"] = "2026-03-01T10:00:00.000Z"
    document["document"]["tracking"]["revision_history"].append(
        {"date": "2026-03-01T10:00:00.000Z", "number": "2", "summary": "Console is affected too."}
    )
    status = document["vulnerabilities"][0]["product_status"]
    status["known_affected"].append(status.pop("known_not_affected")[0])
    return document


def test_a_newer_version_updates_the_advisory_adds_revisions_and_requests_matching(
    advisory_document,
):
    first = csaf_import(content=as_bytes(advisory_document)).advisory
    revisions_before = first.revisions.count()

    result = csaf_import(content=as_bytes(_version_2(advisory_document)))

    advisory = result.advisory
    assert result.outcome == "updated"
    assert advisory.pk == first.pk
    assert advisory.source_version == "2"
    assert advisory.match_requested_at is not None
    assert advisory.targets.filter(product__name="Acme Console", is_exclusion=False).exists()
    assert not advisory.targets.filter(product__name="Acme Console", is_exclusion=True).exists()
    summaries = list(advisory.revisions.values_list("summary", flat=True))
    assert "Acme PSIRT revision 2: Console is affected too." in summaries
    assert "Updated from CSAF version 1 to 2." in summaries
    assert advisory.revisions.count() == revisions_before + 2


def test_an_older_version_is_ignored_with_a_message(advisory_document):
    csaf_import(content=as_bytes(_version_2(copy.deepcopy(advisory_document))))

    result = csaf_import(content=as_bytes(advisory_document))

    assert result.outcome == "ignored"
    assert "older than the imported version 2" in result.message
    assert result.advisory.source_version == "2"


def test_a_draft_document_is_imported_as_a_draft(advisory_document):
    advisory_document["document"]["tracking"]["status"] = "draft"
    advisory_document["document"]["tracking"]["version"] = "0.1.0"
    advisory_document["document"]["tracking"]["revision_history"][0]["number"] = "0.1.0"

    result = csaf_import(content=as_bytes(advisory_document))

    assert result.advisory.status == AdvisoryStatus.DRAFT


def test_an_informational_advisory_covers_every_product_in_its_tree(advisory_document):
    advisory_document["document"]["category"] = "csaf_informational_advisory"
    advisory_document["document"]["references"].append(
        {"category": "external", "summary": "Background", "url": "https://example.org/warning"}
    )
    del advisory_document["vulnerabilities"]

    advisory = csaf_import(content=as_bytes(advisory_document)).advisory

    assert advisory.kind == AdvisoryKind.INFORMATIONAL
    assert advisory.targets.count() == 5
    assert not advisory.targets.filter(is_exclusion=True).exists()


def test_broken_json_is_refused_with_its_position_and_stores_nothing():
    before = _row_counts()

    with pytest.raises(DocumentInvalid, match=r"not valid JSON: .* line 2 column"):
        csaf_import(content=b'{"document":\n  {"title": }')

    assert _row_counts() == before


def test_a_schema_violation_is_refused_with_json_paths_and_stores_nothing(advisory_document):
    del advisory_document["document"]["title"]
    advisory_document["vulnerabilities"][0]["scores"][0]["cvss_v3"]["baseScore"] = 11
    before = _row_counts()

    with pytest.raises(DocumentInvalid) as refused:
        csaf_import(content=as_bytes(advisory_document))

    paths = {problem.path for problem in refused.value.problems}
    assert "/document" in paths
    assert "/vulnerabilities/0/scores/0/cvss_v3" in paths
    assert _row_counts() == before


def test_a_failed_mandatory_test_is_refused_with_its_number(advisory_document):
    advisory_document["vulnerabilities"][0]["product_status"]["fixed"].append("NO-SUCH-PRODUCT")

    with pytest.raises(DocumentInvalid) as refused:
        csaf_import(content=as_bytes(advisory_document))

    assert [str(p) for p in refused.value.problems] == [
        "/vulnerabilities/0/product_status/fixed/1: test 6.1.1 (Missing Definition of Product "
        "ID): product id `NO-SUCH-PRODUCT` is not defined in product_tree"
    ]


def test_a_failure_while_applying_leaves_nothing_half_imported(advisory_document):
    # Valid CSAF, but an id longer than the model holds: the advisory row fails after the
    # source, vendor and products were written in the same transaction.
    advisory_document["document"]["tracking"]["id"] = "ACME-" + "9" * 100
    before = _row_counts()

    with pytest.raises(DocumentInvalid, match="valid CSAF but cannot be stored") as refused:
        csaf_import(content=as_bytes(advisory_document))

    assert "identifier" in str(refused.value.problems[0])
    assert _row_counts() == before
    assert not Source.objects.filter(name="Acme PSIRT").exists()
    assert not Vendor.objects.filter(name="Acme Corp.").exists()


def test_a_document_of_another_csaf_version_is_refused_as_such(advisory_document):
    advisory_document["document"]["csaf_version"] = "2.1"

    with pytest.raises(DocumentInvalid) as refused:
        csaf_import(content=as_bytes(advisory_document))

    assert [str(p) for p in refused.value.problems] == [
        "/document/csaf_version: expected CSAF 2.0, found '2.1'"
    ]


def test_a_product_version_that_is_a_range_in_disguise_is_read_as_that_range(advisory_document):
    gateway = advisory_document["product_tree"]["branches"][0]["branches"][0]["branches"]
    gateway += [
        {
            "category": "product_version",
            "name": name,
            "product": {"name": f"Acme Gateway {name}", "product_id": product_id},
        }
        for name, product_id in (("2.4.X", "ACME-GW-2.4.X"), ("V191-V195", "ACME-GW-V191"))
    ]
    advisory_document["vulnerabilities"][0]["product_status"]["known_affected"] += [
        "ACME-GW-2.4.X",
        "ACME-GW-V191",
    ]

    # Mandatory test 6.1.31 finds "2.4.X" in a product_version; a violation that leaves the
    # document's meaning known, so it is imported, with the violation kept.
    advisory = csaf_import(content=as_bytes(advisory_document)).advisory
    assert any(v["message"].startswith("test 6.1.31") for v in advisory.source_violations)

    read = dict(
        advisory.targets.filter(version_range__in=["2.4.X", "V191-V195"]).values_list(
            "version_range", "read_as"
        )
    )
    # Matched as one literal version, 2.4.X would have flagged nothing and V191-V195 only
    # a version "191.195".
    assert read == {"2.4.X": "≥ 2.4.x and < 2.5.x", "V191-V195": "≥ 191 and ≤ 195"}
