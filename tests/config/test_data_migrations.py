"""Data migrations that bring stored rows up to a newer parser, run on rows in the old state.

Each migration's function is called with the current app registry on rows written as the
previous code stored them (no key for an "R" version; a range naming an "R" release waiting
for review), and must leave them as the current code would write them, marked for matching.
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from advisories.choices import TargetKind
from advisories.models import Advisory, AffectedTarget, TargetInterval
from advisories.services import target_compile
from orgs.models import InventoryItem
from tests.factories import (
    AdvisoryFactory,
    AffectedTargetFactory,
    InventoryItemFactory,
    ProductFactory,
    PublishedAdvisoryFactory,
)
from vendors.matching.versions import version_key

pytestmark = pytest.mark.django_db

items_migration = importlib.import_module("orgs.migrations.0006_r_prefixed_version_keys")
ranges_migration = importlib.import_module("advisories.migrations.0005_r_prefixed_ranges")


def test_items_with_r_prefixed_versions_get_their_key_and_are_marked_for_matching():
    firmware = InventoryItemFactory(version="R1.29.0")
    release = InventoryItemFactory(version="Release 2.1")
    plain = InventoryItemFactory(version="1.29.0")
    vendor_word = InventoryItemFactory(version="2014 R2")
    # As the previous code stored them: no key for the "R" ones, nothing pending.
    InventoryItem.objects.filter(pk__in=[firmware.pk, release.pk]).update(version_key=None)
    InventoryItem.objects.update(match_requested_at=None)

    items_migration.refresh_r_prefixed_keys(apps, None)

    rows = {
        row.pk: row
        for row in InventoryItem.objects.filter(
            pk__in=[firmware.pk, release.pk, plain.pk, vendor_word.pk]
        )
    }
    assert rows[firmware.pk].version_key == version_key("1.29.0") == rows[plain.pk].version_key
    assert rows[release.pk].version_key == version_key("2.1")
    assert rows[firmware.pk].match_requested_at is not None
    assert rows[release.pk].match_requested_at is not None
    # Rows whose key did not change are left alone.
    assert rows[plain.pk].match_requested_at is None
    assert rows[vendor_word.pk].match_requested_at is None


def _waiting_target(advisory: Advisory, version_range: str) -> AffectedTarget:
    target = AffectedTargetFactory(
        advisory=advisory,
        kind=TargetKind.PRODUCT_RANGE,
        vendor=None,
        product=ProductFactory(),
        version_range=version_range,
    )
    # As the previous code stored it: waiting for review, no intervals.
    TargetInterval.objects.filter(target=target).delete()
    AffectedTarget.objects.filter(pk=target.pk).update(
        needs_review=True, review_reason="'R1.30.0' is not a recognisable version or range"
    )
    return target


def test_ranges_naming_r_releases_are_parsed_again_and_their_advisory_marked():
    published = PublishedAdvisoryFactory()
    draft = AdvisoryFactory()
    ranged = _waiting_target(published, "< R1.30.0")
    drafted = _waiting_target(draft, ">= R2 | <= R2.4")
    still_bad = _waiting_target(published, "Release train Q3")
    Advisory.objects.update(match_requested_at=None)

    ranges_migration.reparse_r_prefixed_ranges(apps, None)

    ranged.refresh_from_db()
    assert (ranged.needs_review, ranged.review_reason) == (False, "")
    migrated = list(ranged.intervals.values_list("lower", "upper", "upper_inclusive"))
    # The same intervals the current code compiles from the text.
    assert migrated == list(
        target_compile(target=ranged).intervals.values_list("lower", "upper", "upper_inclusive")
    )
    assert migrated == [(None, version_key("1.30.0"), False)]
    drafted.refresh_from_db()
    assert not drafted.needs_review and drafted.intervals.count() == 1
    still_bad.refresh_from_db()
    assert still_bad.needs_review and not still_bad.intervals.exists()
    # Only the published advisory waits for matching; a draft matches nothing yet.
    published.refresh_from_db()
    draft.refresh_from_db()
    assert published.match_requested_at is not None
    assert draft.match_requested_at is None
