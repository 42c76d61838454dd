"""Chunked runs give exactly the flags of one unchunked run over the same data.

One world holds the items and targets of every case of the correctness table
(``test_matching_table.CASES``: every target kind, exclusions, caveats, subsidiaries,
jurisdictions, missing versions), its items spread unevenly over forty organizations. Each run
kind — the advisories published, a catalogue change, a full re-match over drifted flags — is
done once by the engine in one piece (in a savepoint that is then rolled back) and once as
chunks of 1, 7 and a billion items; the flags and their events must be the same sets.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from advisories.models import Advisory, AffectedTarget
from advisories.services import advisory_publish
from exposure.choices import MatchRunKind, MatchRunStatus
from exposure.engine import Scope, match_scope, matching_transaction
from exposure.models import Flag, FlagEvent, MatchRun
from exposure.services import (
    _advisories_depending_on_vendors,
    _items_to_resolve,
    advisories_match,
    catalogue_match,
)
from exposure.tasks import full_rematch
from orgs.models import InventoryItem, Organization
from orgs.resolution import items_resolve
from tests.exposure.conftest import item_data, target_fields
from tests.exposure.test_matching_table import CASES
from tests.factories import AdvisoryFactory, OrganizationFactory
from vendors.models import Vendor
from vendors.services import vendor_update

pytestmark = pytest.mark.django_db

CHUNK_SIZES = [1, 7, 1_000_000_000]
ORGANIZATIONS = 40


@pytest.fixture
def world(catalogue: Any) -> list[Advisory]:
    """Every case's items in several organizations; every case's targets as one advisory,
    published (and so marked) but not matched yet."""
    organizations = [OrganizationFactory() for _ in range(ORGANIZATIONS)]
    # Uneven: a few organizations get many items, most a few, the last three none.
    spread = random.Random(24)
    weights = [(index % 9 + 1) ** 2 for index in range(ORGANIZATIONS - 3)]
    items = []
    for case in CASES:
        for spec in case.items.values():
            [organization] = spread.choices(organizations[:-3], weights=weights)
            item = InventoryItem(organization=organization, **item_data(catalogue, spec))
            item.refresh_derived_fields()
            items.append(item)
    InventoryItem.objects.bulk_create(items)
    items_resolve(items=InventoryItem.objects.filter(product=None))
    advisories = []
    for case in CASES:
        advisory = AdvisoryFactory()
        for spec in case.targets:
            AffectedTarget.objects.create(advisory=advisory, **target_fields(catalogue, spec))
        # Outside the test's on-commit capture: the matching it asks for does not run.
        advisory_publish(advisory=advisory)
        advisories.append(advisory)
    InventoryItem.objects.update(match_requested_at=None)
    return advisories


def flag_state() -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """Every flag's values and every event, by (advisory, item) rather than by id."""
    flags = set(
        Flag.objects.values_list(
            "advisory_id",
            "item_id",
            "organization_id",
            "status",
            "resolution_reason",
            "confidence",
            "possible_reason",
            "priority",
            "due_date",
            "matched_target_id",
            "item_label",
            "product_id",
            "vendor_id",
        )
    )
    events = set(
        FlagEvent.objects.values_list(
            "flag__advisory_id", "flag__item_id", "kind", "from_status", "to_status", "note"
        )
    )
    assert len(flags) == Flag.objects.count()
    return flags, events


def chunk_count(size: int) -> int:
    """How many chunks of ``size`` items the organizations make, counted here: runs of
    consecutive organizations holding at least ``size`` items, and the rest."""
    per_organization = dict(
        InventoryItem.objects.order_by()
        .values("organization_id")
        .annotate(n=Count("*"))
        .values_list("organization_id", "n")
    )
    chunks, items, waiting = 0, 0, 0
    for pk in Organization.objects.order_by("pk").values_list("pk", flat=True):
        items, waiting = items + per_organization.get(pk, 0), waiting + 1
        if items >= size:
            chunks, items, waiting = chunks + 1, 0, 0
    return chunks + (1 if waiting else 0)


def unchunked(run: Callable[[], None]) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """The flags after ``run`` (the engine in one piece), then roll it back."""
    savepoint = transaction.savepoint()
    try:
        with matching_transaction():
            run()
        return flag_state()
    finally:
        transaction.savepoint_rollback(savepoint)


def test_the_world_spreads_over_many_chunks_of_seven(world):
    sizes = list(
        InventoryItem.objects.order_by()
        .values("organization_id")
        .annotate(n=Count("*"))
        .values_list("n", flat=True)
    )
    assert len(sizes) >= 25 and min(sizes) < 7 < max(sizes)


@pytest.mark.parametrize("size", CHUNK_SIZES)
def test_chunked_advisory_runs_flag_exactly_what_one_unchunked_run_does(world, settings, size):
    ids = tuple(sorted(advisory.pk for advisory in world))
    expected = unchunked(lambda: match_scope(Scope(advisory_ids=ids), now=timezone.now()))
    assert len(expected[0]) > 100

    settings.MATCHING_CHUNK_ITEMS = size
    [run] = advisories_match(advisory_ids=list(ids))

    assert run.status == MatchRunStatus.SUCCEEDED
    assert run.chunks.count() == chunk_count(size)
    assert flag_state() == expected
    assert run.flags_created == len(expected[0])
    assert not Advisory.objects.filter(match_requested_at__isnull=False).exists()


def matched_world(world: list[Advisory]) -> None:
    advisories_match(advisory_ids=[advisory.pk for advisory in world])
    assert Flag.objects.exists()


@pytest.mark.parametrize("size", CHUNK_SIZES)
def test_chunked_catalogue_runs_flag_exactly_what_one_unchunked_run_does(
    world, catalogue, settings, size
):
    matched_world(world)
    # The UK subsidiary is sold to a Chinese owner: jurisdiction and subsidiary targets move.
    vendor_update(
        vendor=Vendor.objects.get(pk=catalogue.vendors["kaspersky_uk"].pk),
        data={"parent": catalogue.vendors["hikvision"], "country": "CN"},
    )
    vendors = dict(
        Vendor.objects.filter(match_requested_at__isnull=False).values_list(
            "pk", "match_requested_at"
        )
    )
    assert vendors

    def one_piece() -> None:
        now = timezone.now()
        items_resolve(items=_items_to_resolve(vendors, {}), now=now)
        match_scope(Scope(advisory_ids=_advisories_depending_on_vendors(list(vendors))), now=now)

    expected = unchunked(one_piece)
    assert expected != flag_state()

    settings.MATCHING_CHUNK_ITEMS = size
    run = catalogue_match(vendor_ids=list(vendors))

    assert run is not None and run.status == MatchRunStatus.SUCCEEDED
    assert run.kind == MatchRunKind.CATALOGUE and run.chunks.count() == chunk_count(size)
    assert flag_state() == expected
    assert not Vendor.objects.filter(match_requested_at__isnull=False).exists()


@pytest.mark.parametrize("size", CHUNK_SIZES)
def test_chunked_full_rematches_flag_exactly_what_one_unchunked_run_does(
    world, catalogue, settings, size
):
    matched_world(world)
    # Drift behind the matcher's back: flags lost, one wrongly resolved, a value changed.
    flags = list(Flag.objects.order_by("pk").values_list("pk", flat=True))
    Flag.objects.filter(pk__in=flags[::9]).delete()
    Flag.objects.filter(pk=flags[1]).update(status="resolved", resolution_reason="item_removed")
    Flag.objects.filter(pk=flags[2]).update(priority=1)
    expected = unchunked(lambda: match_scope(Scope(), now=timezone.now()))
    assert expected != flag_state()

    settings.MATCHING_CHUNK_ITEMS = size
    full_rematch.apply()

    parent = MatchRun.objects.get(kind=MatchRunKind.FULL)
    assert parent.status == MatchRunStatus.SUCCEEDED
    assert parent.chunks.count() == chunk_count(size)
    assert flag_state() == expected


def _flag_table_rows_planned() -> float:
    """What the planner believes the flag table holds (``pg_class.reltuples``)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'exposure_flag'")
        return float(cursor.fetchone()[0])


@pytest.mark.parametrize(("many", "refreshed"), [(5, True), (1_000_000, False)])
def test_a_chunked_first_match_refreshes_the_flags_statistics_once_it_created_many(
    world, settings, monkeypatch, many, refreshed
):
    """Chunks that create a first match's flags leave the statistics alone; the run, once
    finished, refreshes them when it created many, so that the next run (a full re-match
    tomorrow) is planned on the flags that now exist."""
    from django.db import connection

    monkeypatch.setattr("exposure.engine.apply._MANY_CHANGES", many)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE exposure_flag")
    assert _flag_table_rows_planned() == 0

    settings.MATCHING_CHUNK_ITEMS = 7
    full_rematch.apply()

    created = Flag.objects.count()
    assert created > 5
    assert MatchRun.objects.get(kind=MatchRunKind.FULL).flags_created == created
    assert _flag_table_rows_planned() == (created if refreshed else 0)
