"""From feed to flag: an imported advisory reaches the inventories it is about.

These tests commit (``transaction=True``) so that the matching requested after commit really
runs — eagerly, in this process, as ``make test`` configures Celery. The worker-backed path is
the same task, exercised in ``tests/exposure/test_worker.py``.

The inventories name the products before any feed has put them in the catalogue: the import
adds the product, the organization's item resolves to it, and the advisory flags it.
"""

from __future__ import annotations

import copy
import json

import pytest

from advisories.feeds.kev import NO_VERSIONS_CAVEAT
from advisories.feeds.services import csaf_import, kev_import
from exposure.models import Flag
from orgs.models import InventoryItem
from orgs.services import inventory_item_create
from tests.advisories.feeds.conftest import OWN_FIXTURES, as_bytes, shared_path
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _items(organization, vendor: str, product: str, versions: list[str]) -> dict[str, int]:
    return {
        version: inventory_item_create(
            organization=organization,
            data={"raw_vendor": vendor, "raw_product": product, "version": version},
        ).pk
        for version in versions
    }


def _flagged(advisory_pk: int) -> dict[int, str]:
    return dict(
        Flag.objects.filter(advisory_id=advisory_pk, status="open").values_list(
            "item_id", "confidence"
        )
    )


def test_a_bsi_csaf_advisory_flags_the_affected_version_and_spares_the_fixed_one():
    path = shared_path("csaf", "examples", "bsi-2022-0001.json")
    utility = OrganizationFactory(name="Stadtwerke Nordhafen", sector="energy")
    items = _items(
        utility, "CSAF Tools", "CVRF-CSAF-Converter", ["1.0.0-rc1", "1.0.0-rc2", "1.0.0-dev2"]
    )
    assert not InventoryItem.objects.filter(pk__in=items.values(), product__isnull=False).exists()

    advisory = csaf_import(content=path.read_bytes()).advisory

    assert InventoryItem.objects.filter(pk__in=items.values(), product__isnull=False).count() == 3
    flagged = _flagged(advisory.pk)
    assert items["1.0.0-rc1"] in flagged
    assert items["1.0.0-dev2"] in flagged
    assert items["1.0.0-rc2"] not in flagged  # the first fixed version


def test_a_newer_csaf_version_that_adds_a_product_flags_its_items(advisory_document):
    hospital = OrganizationFactory(name="Klinikum Lindenau", sector="health")
    gateway = inventory_item_create(
        organization=hospital,
        data={"raw_vendor": "Acme Corp.", "raw_product": "Acme Gateway", "version": "2.4.0"},
    )
    console = inventory_item_create(
        organization=hospital,
        data={"raw_vendor": "Acme Corp.", "raw_product": "Acme Console", "version": "1.0"},
    )
    advisory = csaf_import(content=as_bytes(advisory_document)).advisory
    assert gateway.pk in _flagged(advisory.pk)
    assert console.pk not in _flagged(advisory.pk)

    newer = copy.deepcopy(advisory_document)
    newer["document"]["tracking"]["version"] = "2"
    newer["document"]["tracking"]["revision_history"].append(
        {"number": "2", "date": "2026-03-01T10:00:00.000Z", "summary": "Console is affected too."}
    )
    newer["document"]["tracking"]["current_release_date"] = "2026-03-01T10:00:00.000Z"
    status = newer["vulnerabilities"][0]["product_status"]
    status["known_affected"].append(status.pop("known_not_affected")[0])
    assert csaf_import(content=as_bytes(newer)).outcome == "updated"

    assert console.pk in _flagged(advisory.pk)


def test_a_kev_import_flags_the_organizations_running_the_exploited_product_as_possible():
    catalog = json.loads((OWN_FIXTURES / "kev-small.json").read_text())
    entry = catalog["vulnerabilities"][0]
    bank = OrganizationFactory(name="Hansebank", sector="finance")
    product = {"raw_vendor": entry["vendorProject"], "raw_product": entry["product"]}
    firewall = inventory_item_create(organization=bank, data=product)
    patched = inventory_item_create(organization=bank, data={**product, "version": "99.0"})
    other = inventory_item_create(
        organization=bank, data={"raw_vendor": "Nobody Inc", "raw_product": "Nothing"}
    )

    kev_import(content=json.dumps(catalog).encode())

    flags = Flag.objects.filter(item__in=[firewall, patched], status="open")
    assert {f.advisory.identifier for f in flags} == {entry["cveID"]}
    # The catalog names no versions: every version is flagged possible, never confirmed.
    assert {(f.item_id, f.confidence, f.possible_reason) for f in flags} == {
        (firewall.pk, "possible", NO_VERSIONS_CAVEAT),
        (patched.pk, "possible", NO_VERSIONS_CAVEAT),
    }
    assert not Flag.objects.filter(item=other).exists()


def test_a_cisa_advisory_with_r_prefixed_firmware_releases_flags_the_older_release():
    # ICSA-22-132-05 gives "SIMATIC IPC547G" as "< R1.30.0": releases written with an "R".
    path = shared_path("csaf", "cisa-samples", "icsa-22-132-05.json")
    plant = OrganizationFactory(name="Werk Süd", sector="energy")
    items = _items(plant, "Siemens", "SIMATIC IPC547G", ["R1.29.0", "R1.30.0", "1.31"])

    advisory = csaf_import(content=path.read_bytes()).advisory

    ranged = advisory.targets.get(version_range="< R1.30.0")
    assert (ranged.needs_review, ranged.review_reason) == (False, "")
    assert not advisory.targets.filter(needs_review=True).exists()
    assert set(_flagged(advisory.pk)) == {items["R1.29.0"]}
