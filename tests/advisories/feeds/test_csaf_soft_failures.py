"""Real advisories are not dropped for cosmetic faults: a CSAF document that fails only
mandatory tests that leave what it covers known is imported, published, and keeps each
violation for the advisory page, the admin and the API; one that leaves its coverage unknown
is refused with its reason; one that names nothing to match is kept as a marked draft."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import csaf
import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from rest_framework.test import APIClient

from advisories.choices import AdvisoryStatus, FeedKind, FeedRunStatus, Severity
from advisories.feeds.errors import DocumentInvalid
from advisories.feeds.runs import feed_run
from advisories.feeds.services import csaf_import
from advisories.feeds.validation import REFUSING_TESTS, VIOLATION_REASONS
from advisories.models import Advisory, AffectedTarget, Source
from advisories.services import advisory_publish, advisory_update
from tests.advisories.feeds.conftest import as_bytes
from tests.advisories.feeds.providers import publish_rolie
from tests.factories import SourceFactory, UserFactory
from vendors.models import Vendor

pytestmark = pytest.mark.django_db

Mutation = Callable[[dict[str, Any]], None]


def _vulnerability(document: dict[str, Any]) -> dict[str, Any]:
    return document["vulnerabilities"][0]


def _cwe_named_otherwise(document: dict[str, Any]) -> None:
    _vulnerability(document)["cwe"] = {"id": "CWE-200", "name": "Information leak"}


def _range_as_product_version(document: dict[str, Any]) -> None:
    gateway = document["product_tree"]["branches"][0]["branches"][0]
    gateway["branches"].append(
        {
            "category": "product_version",
            "name": "<= 1.9",
            "product": {"name": "Acme Gateway up to 1.9", "product_id": "ACME-GW-OLD"},
        }
    )
    _vulnerability(document)["product_status"]["known_affected"].append("ACME-GW-OLD")


def _affected_and_fixed(document: dict[str, Any]) -> None:
    _vulnerability(document)["product_status"]["fixed"].append("ACME-GW-AFFECTED")


def _score_not_what_its_vector_computes(document: dict[str, Any]) -> None:
    cvss = _vulnerability(document)["scores"][0]["cvss_v3"]
    cvss.update(baseScore=9.8, baseSeverity="CRITICAL")


def _cvss_property_against_its_vector(document: dict[str, Any]) -> None:
    _vulnerability(document)["scores"][0]["cvss_v3"]["attackVector"] = "LOCAL"


def _two_scores_of_one_version(document: dict[str, Any]) -> None:
    scores = _vulnerability(document)["scores"]
    scores.append(copy.deepcopy(scores[0]))


def _unknown_product_in_a_remediation(document: dict[str, Any]) -> None:
    _vulnerability(document)["remediations"][0]["product_ids"].append("ACME-GW-9000")


def _unregistered_language(document: dict[str, Any]) -> None:
    document["document"]["lang"] = "qq"


def _translator_without_source_language(document: dict[str, Any]) -> None:
    document["document"]["publisher"]["category"] = "translator"


def _version_ahead_of_its_history(document: dict[str, Any]) -> None:
    document["document"]["tracking"]["version"] = "2"


def _revision_numbered_twice(document: dict[str, Any]) -> None:
    document["document"]["tracking"]["revision_history"].append(
        {"date": "2026-01-16T10:00:00.000Z", "number": "1", "summary": "Typo fixed."}
    )


def _one_cve_in_two_vulnerabilities(document: dict[str, Any]) -> None:
    again = copy.deepcopy(_vulnerability(document))
    again["product_status"] = {"known_affected": ["ACME-GW-LEGACY"]}
    del again["remediations"], again["scores"]
    document["vulnerabilities"].append(again)


def _remediation_for_no_product(document: dict[str, Any]) -> None:
    del _vulnerability(document)["remediations"][1]["product_ids"]


SOFT_FAILURES: dict[str, Mutation] = {
    "6.1.1": _unknown_product_in_a_remediation,
    "6.1.6": _affected_and_fixed,
    "6.1.7": _two_scores_of_one_version,
    "6.1.9": _score_not_what_its_vector_computes,
    "6.1.10": _cvss_property_against_its_vector,
    "6.1.11": _cwe_named_otherwise,
    "6.1.12": _unregistered_language,
    "6.1.15": _translator_without_source_language,
    "6.1.16": _version_ahead_of_its_history,
    "6.1.22": _revision_numbered_twice,
    "6.1.23": _one_cve_in_two_vulnerabilities,
    "6.1.29": _remediation_for_no_product,
    "6.1.31": _range_as_product_version,
}


def _editor() -> Any:
    return UserFactory(username="editor", is_advisory_editor=True)


def _page(user: Any, advisory: Advisory) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("advisories:advisory_detail", kwargs={"pk": advisory.pk}))
    assert response.status_code == 200
    return response.content.decode()


def _api(user: Any, advisory: Advisory) -> dict[str, Any]:
    client = APIClient()
    client.force_login(user)
    response = client.get(reverse("api:advisory-detail", kwargs={"pk": advisory.pk}))
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("test_id", sorted(SOFT_FAILURES, key=lambda t: int(t.split(".")[2])))
def test_a_document_failing_only_a_test_that_keeps_its_meaning_is_published_with_it_shown(
    advisory_document, test_id
):
    SOFT_FAILURES[test_id](advisory_document)

    result = csaf_import(content=as_bytes(advisory_document))

    advisory = result.advisory
    assert (result.outcome, advisory.status) == ("imported", AdvisoryStatus.PUBLISHED)
    messages = [violation["message"] for violation in advisory.source_violations]
    assert any(message.startswith(f"test {test_id} (") for message in messages), messages
    assert [p.message for p in result.violations] == messages
    assert any("mandatory CSAF test" in warning for warning in result.warnings)
    editor = _editor()
    page = _page(editor, advisory)
    assert "Failed CSAF tests" in page
    for violation in advisory.source_violations:
        assert escape(violation["message"]) in page
        assert escape(violation["path"]) in page
    assert _api(editor, advisory)["source_violations"] == advisory.source_violations


def test_a_product_listed_as_affected_and_as_fixed_stays_a_target_held_for_review(
    advisory_document,
):
    _affected_and_fixed(advisory_document)

    advisory = csaf_import(content=as_bytes(advisory_document)).advisory

    gateway = advisory.targets.get(version_range="vers:generic/>=2.0|<2.4.1")
    assert not gateway.is_exclusion and gateway.needs_review
    assert gateway.review_reason == (
        "The source lists it as affected and as fixed for CVE-2026-0001 (CSAF test 6.1.6); "
        "say which holds."
    )
    # The document's other targets are read as they would be without the contradiction.
    assert not advisory.targets.get(purl="pkg:pypi/libacme@1.2.3").needs_review
    api_target = next(t for t in _api(_editor(), advisory)["targets"] if t["id"] == gateway.pk)
    assert (api_target["needs_review"], api_target["review_reason"]) == (
        True,
        gateway.review_reason,
    )


def test_a_contradicted_target_whose_range_is_unreadable_gives_both_reasons(advisory_document):
    _vulnerability(advisory_document)["product_status"]["fixed"].append("ACME-GW-LEGACY")

    advisory = csaf_import(content=as_bytes(advisory_document)).advisory

    legacy = advisory.targets.get(version_range="all firmware since the 2019 line")
    assert legacy.needs_review
    unreadable, contradiction = legacy.review_reason.split("; ", 1)
    assert "all firmware since the 2019 line" in unreadable
    assert contradiction.startswith("The source lists it as affected and as fixed")


def test_the_conflict_survives_publishing_and_only_an_editor_replacing_the_target_clears_it(
    advisory_document,
):
    tracking = advisory_document["document"]["tracking"]
    tracking["status"], tracking["version"] = "draft", "0.1.0"
    tracking["revision_history"][0]["number"] = "0.1.0"
    _affected_and_fixed(advisory_document)
    draft = csaf_import(content=as_bytes(advisory_document)).advisory

    advisory = advisory_publish(advisory=draft)

    gateway = advisory.targets.get(version_range="vers:generic/>=2.0|<2.4.1")
    assert gateway.needs_review and "6.1.6" in gateway.review_reason
    targets = [
        {name: getattr(target, name) for name in ("kind", "is_exclusion", "product", "purl")}
        | {"version_range": target.version_range}
        for target in advisory.targets.all()
    ]
    advisory_update(advisory=advisory, data={}, targets=targets)
    gateway = advisory.targets.get(version_range="vers:generic/>=2.0|<2.4.1")
    assert not gateway.needs_review and gateway.intervals.count() == 1


def test_a_score_that_its_vector_does_not_compute_is_kept_as_published(advisory_document):
    _score_not_what_its_vector_computes(advisory_document)

    advisory = csaf_import(content=as_bytes(advisory_document)).advisory

    assert (advisory.severity, advisory.cvss_score) == (Severity.CRITICAL, Decimal("9.8"))


def test_a_product_defined_twice_is_refused_naming_the_test_and_stores_nothing(
    advisory_document,
):
    names = advisory_document["product_tree"]["full_product_names"]
    names.append({**names[0], "name": "libacme 9.9"})

    with pytest.raises(DocumentInvalid) as refused:
        csaf_import(content=as_bytes(advisory_document))

    assert [str(p) for p in refused.value.problems] == [
        "/product_tree/full_product_names/1/product_id: test 6.1.2 (Multiple Definition of "
        "Product ID): product id `LIBACME-1.2.3` is already defined at "
        "/product_tree/full_product_names/0/product_id"
    ]
    assert not Advisory.objects.exists()
    assert not Source.objects.exists()
    assert not Vendor.objects.exists()


def test_a_circular_product_definition_is_refused(advisory_document):
    advisory_document["product_tree"]["relationships"] = [
        {
            "category": "installed_on",
            "product_reference": "REL-1",
            "relates_to_product_reference": "ACME-CONSOLE",
            "full_product_name": {"name": "Acme Console on itself", "product_id": "REL-1"},
        }
    ]

    with pytest.raises(DocumentInvalid) as refused:
        csaf_import(content=as_bytes(advisory_document))

    assert [p.message.split(":")[0] for p in refused.value.problems] == [
        "test 6.1.3 (Circular Definition of Product ID)"
    ]


def test_a_hard_failure_from_a_feed_is_recorded_on_the_run_with_its_reason(
    local_server, advisory_document
):
    broken = copy.deepcopy(advisory_document)
    broken["document"]["tracking"]["id"] = "ACME-BROKEN"
    _vulnerability(broken)["product_status"]["known_affected"].append("ACME-GW-9000")
    soft = copy.deepcopy(advisory_document)
    _cwe_named_otherwise(soft)
    url = publish_rolie(
        local_server,
        {
            "broken.json": (as_bytes(broken), "2026-01-15T10:00:00.000Z"),
            "soft.json": (as_bytes(soft), "2026-01-15T10:00:00.000Z"),
        },
    )
    source = SourceFactory(
        name="Acme PSIRT", slug="acme", feed_kind=FeedKind.CSAF_PROVIDER, feed_url=url
    )

    run = feed_run(source=source)

    assert (run.status, run.imported, run.failed) == (FeedRunStatus.PARTIAL, 1, 1)
    [failure] = run.failures
    assert failure["document"].endswith("/broken.json")
    assert "/vulnerabilities/0/product_status/known_affected/3: test 6.1.1" in failure["reason"]
    assert "ACME-GW-9000" in failure["reason"]
    assert (
        Advisory.objects.get(source=source)
        .source_violations[0]["message"]
        .startswith("test 6.1.11")
    )


def test_every_mandatory_test_of_the_validator_either_refuses_or_is_a_known_violation():
    catalog = Path(csaf.__file__).parent / "csaf" / "v20" / "rules" / "catalog.json"
    catalogue = json.loads(catalog.read_text())
    mandatory = {t["id"] for t in catalogue["tests"] if t["group"] == "mandatory"}

    unjudged = mandatory - REFUSING_TESTS - set(VIOLATION_REASONS) - {"6.1.27"}

    assert unjudged == set()
    assert REFUSING_TESTS.isdisjoint(VIOLATION_REASONS)


# --- nothing to match ------------------------------------------------------------------------


def _without_product_tree(document: dict[str, Any]) -> None:
    del document["product_tree"]
    del document["vulnerabilities"]
    document["document"]["category"] = "csaf_base"


def _without_vulnerabilities(document: dict[str, Any]) -> None:
    del document["vulnerabilities"]
    document["document"]["category"] = "csaf_base"


def _only_fixed_products(document: dict[str, Any]) -> None:
    status = _vulnerability(document)["product_status"]
    status["fixed"] += status.pop("known_affected")
    del _vulnerability(document)["scores"]
    for remediation in _vulnerability(document)["remediations"]:
        remediation["product_ids"] = ["ACME-GW-2.4.1"]


NOTHING_TO_MATCH: dict[str, tuple[Mutation, str]] = {
    "no product tree": (_without_product_tree, "The document has no product tree"),
    "no vulnerabilities": (_without_vulnerabilities, "The document lists no vulnerabilities"),
    "no affected product": (_only_fixed_products, "No product of the document is listed"),
}


@pytest.mark.parametrize("case", sorted(NOTHING_TO_MATCH))
def test_a_document_with_nothing_to_match_is_kept_as_a_marked_draft_not_published(
    advisory_document, case
):
    mutate, reason = NOTHING_TO_MATCH[case]
    mutate(advisory_document)

    result = csaf_import(content=as_bytes(advisory_document))

    advisory = result.advisory
    assert result.outcome == "imported"
    assert advisory.status == AdvisoryStatus.DRAFT and advisory.published_at is None
    assert advisory.nothing_to_match.startswith(reason)
    assert advisory.match_requested_at is None
    assert f"imported as a draft: {reason}" in result.message
    assert not AffectedTarget.objects.filter(advisory=advisory, is_exclusion=False).exists()

    editor = _editor()
    assert escape(advisory.nothing_to_match) in _page(editor, advisory)
    assert _api(editor, advisory)["nothing_to_match"] == advisory.nothing_to_match
    listing = Client()
    listing.force_login(editor)
    assert "Nothing to match" in listing.get(reverse("advisories:advisory_list")).content.decode()
    # Like every draft, it is the editors' alone.
    reader = Client()
    reader.force_login(UserFactory(username="reader", is_global_analyst=True))
    detail = reverse("advisories:advisory_detail", kwargs={"pk": advisory.pk})
    assert reader.get(detail).status_code == 404


def test_a_later_version_with_products_publishes_the_marked_draft(advisory_document):
    first = copy.deepcopy(advisory_document)
    _without_vulnerabilities(first)
    draft = csaf_import(content=as_bytes(first)).advisory
    assert draft.nothing_to_match
    tracking = advisory_document["document"]["tracking"]
    tracking["version"] = "2"
    tracking["revision_history"].append(
        {"date": "2026-02-01T10:00:00.000Z", "number": "2", "summary": "Products added."}
    )

    result = csaf_import(content=as_bytes(advisory_document))

    advisory = Advisory.objects.get(pk=draft.pk)
    assert result.outcome == "updated"
    assert advisory.status == AdvisoryStatus.PUBLISHED and advisory.nothing_to_match == ""
    assert advisory.targets.filter(is_exclusion=False).exists()


def test_the_admin_shows_violations_and_filters_documents_with_nothing_to_match(
    advisory_document,
):
    soft = copy.deepcopy(advisory_document)
    _cwe_named_otherwise(soft)
    with_violation = csaf_import(content=as_bytes(soft)).advisory
    empty = copy.deepcopy(advisory_document)
    empty["document"]["tracking"]["id"] = "ACME-EMPTY"
    _without_vulnerabilities(empty)
    nothing = csaf_import(content=as_bytes(empty)).advisory
    admin = Client()
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    change = admin.get(reverse("admin:advisories_advisory_change", args=[with_violation.pk]))
    changelist = admin.get(reverse("admin:advisories_advisory_changelist"), {"imported": "nothing"})

    assert escape(with_violation.source_violations[0]["message"]) in change.content.decode()
    listed = changelist.content.decode()
    assert nothing.identifier in listed
    assert with_violation.identifier not in listed
