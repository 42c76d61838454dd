"""Matching runs: their records, their locks, the chunks of a full re-match, the sweeper."""

from __future__ import annotations

import datetime
import re

import pytest
from celery.exceptions import Retry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from advisories.models import Advisory, AffectedTarget
from exposure.choices import FlagStatus, MatchRunKind, MatchRunStatus
from exposure.engine import MatchingBusy, Scope, count_hits
from exposure.engine.locks import MATCHING_KEY, organization_key
from exposure.models import Flag, FlagEvent, MatchRun
from exposure.services import (
    advisories_match,
    advisories_plan,
    chunk_failed,
    chunk_match,
    full_rematch_plan,
    organization_match,
    pending_sweep,
)
from exposure.tasks import full_rematch
from orgs.models import InventoryItem, Organization
from tests.exposure.conftest import open_flags
from tests.factories import (
    InventoryItemFactory,
    OrganizationFactory,
    PublishedAdvisoryFactory,
)

pytestmark = pytest.mark.django_db

KASPERSKY = {"kind": "vendor", "vendor": "kaspersky"}


def test_publishing_records_an_advisory_run(make_item, publish):
    make_item({"p": "endpoint_security"})
    make_item({"p": "anti_virus"})
    advisory = publish(KASPERSKY)
    run = MatchRun.objects.get(parent=None)
    assert run.chunks.get().status == MatchRunStatus.SUCCEEDED
    assert (run.kind, run.status, run.advisory_ids) == (
        MatchRunKind.ADVISORY,
        MatchRunStatus.SUCCEEDED,
        [advisory.pk],
    )
    assert (run.items_considered, run.flags_created, run.error) == (2, 2, "")
    assert run.duration is not None and run.finished_at >= run.started_at
    assert advisory.match_requested_at is None


def test_a_failing_run_is_recorded_and_leaves_its_advisory_pending(make_item, publish):
    make_item({"p": "endpoint_security"})
    advisory = publish(KASPERSKY)
    AffectedTarget.objects.filter(advisory=advisory).update(kind="future_kind")
    Advisory.objects.filter(pk=advisory.pk).update(match_requested_at=timezone.now())

    with pytest.raises(ValueError, match="future_kind"):
        advisories_match(advisory_ids=[advisory.pk])

    failed = MatchRun.objects.filter(status=MatchRunStatus.FAILED, parent=None).get()
    assert failed.advisory_ids == [advisory.pk]
    assert "future_kind" in failed.chunks.get(status=MatchRunStatus.FAILED).error
    assert Advisory.objects.get(pk=advisory.pk).match_requested_at is not None


def waiting_advisory(catalogue, vendor: str = "kaspersky") -> Advisory:
    advisory = PublishedAdvisoryFactory(match_requested_at=timezone.now())
    AffectedTarget.objects.create(
        advisory=advisory, kind="vendor", vendor=catalogue.vendors[vendor]
    )
    return advisory


def test_one_task_matches_every_waiting_advisory_in_one_run(make_item, catalogue):
    make_item({"p": "endpoint_security"})
    first, second = waiting_advisory(catalogue), waiting_advisory(catalogue)

    runs = advisories_match(advisory_ids=[second.pk])

    assert [run.advisory_ids for run in runs] == [[first.pk, second.pk]]
    assert Flag.objects.count() == 2
    assert advisories_match(advisory_ids=[first.pk]) == []


def test_planning_takes_as_many_queries_for_many_waiting_advisories_as_for_one(
    make_item, catalogue
):
    make_item({"p": "endpoint_security"})
    initial = waiting_advisory(catalogue)
    with CaptureQueriesContext(connection) as one:
        [first] = advisories_plan(advisory_ids=[])
    later = [waiting_advisory(catalogue).pk for _ in range(5)]
    with CaptureQueriesContext(connection) as many:
        [second] = advisories_plan(advisory_ids=[])

    # The first run's advisory is still in it, so the second run plans the five others.
    assert (first.advisory_ids, second.advisory_ids) == ([initial.pk], later)
    assert len(many) == len(one)


def test_a_failing_advisory_does_not_hold_back_the_others(make_item, catalogue):
    make_item({"p": "endpoint_security"})
    good, bad = waiting_advisory(catalogue), waiting_advisory(catalogue)
    AffectedTarget.objects.filter(advisory=bad).update(kind="future_kind")

    with pytest.raises(ValueError, match="future_kind"):
        advisories_match(advisory_ids=[bad.pk])
    # The failed run asks again when it commits: then each advisory is planned on its own.
    with pytest.raises(ValueError, match="future_kind"):
        advisories_match(advisory_ids=[bad.pk])

    assert open_flags(good) and not Flag.objects.filter(advisory=bad).exists()
    assert Advisory.objects.get(pk=good.pk).match_requested_at is None
    assert Advisory.objects.get(pk=bad.pk).match_requested_at is not None
    failed = MatchRun.objects.filter(status=MatchRunStatus.FAILED, parent=None)
    assert sorted(run.advisory_ids for run in failed) == sorted([[bad.pk], [good.pk, bad.pk]])


def test_an_advisory_chunk_waits_for_nobody_when_its_organization_is_busy(
    make_item, publish, org, other_session
):
    make_item({"p": "endpoint_security"})
    advisory = publish(KASPERSKY)
    Advisory.objects.filter(pk=advisory.pk).update(match_requested_at=timezone.now())
    other_session.execute("SELECT pg_advisory_lock(%s)", [organization_key(org.pk)])

    # Executed eagerly, the chunk's task asks to be retried later.
    with pytest.raises(Retry, match="MatchingBusy"):
        advisories_match(advisory_ids=[advisory.pk])
    run = MatchRun.objects.get(kind=MatchRunKind.ADVISORY, status=MatchRunStatus.RUNNING)
    [chunk] = run.chunks.all()
    with pytest.raises(MatchingBusy):
        chunk_match(chunk_id=chunk.pk)

    assert (run.status, chunk.status) == (MatchRunStatus.RUNNING, MatchRunStatus.PENDING)
    assert Advisory.objects.get(pk=advisory.pk).match_requested_at is not None
    assert not MatchRun.objects.filter(status=MatchRunStatus.FAILED).exists()
    # While its run is going, asking again plans nothing; once the lock is free, the chunk,
    # re-sent by the sweeper, finishes the run and clears the marker.
    assert advisories_match(advisory_ids=[advisory.pk]) == []
    other_session.execute("SELECT pg_advisory_unlock(%s)", [organization_key(org.pk)])
    assert pending_sweep(min_age=datetime.timedelta(0)).chunks == 1
    chunk.refresh_from_db()
    run.refresh_from_db()
    assert chunk.status == MatchRunStatus.SUCCEEDED
    assert run.status == MatchRunStatus.SUCCEEDED
    assert Advisory.objects.get(pk=advisory.pk).match_requested_at is None


def test_organization_runs_share_the_matching_lock_but_not_an_organization(
    make_item, publish, org, other_org, other_session
):
    publish(KASPERSKY)
    make_item({"p": "endpoint_security"})
    make_item({"p": "endpoint_security"}, organization=other_org)
    other_session.execute("SELECT pg_advisory_lock_shared(%s)", [MATCHING_KEY])
    other_session.execute("SELECT pg_advisory_lock(%s)", [organization_key(other_org.pk)])

    assert organization_match(organization_id=org.pk) is not None
    with pytest.raises(MatchingBusy):
        organization_match(organization_id=other_org.pk)


def test_a_run_releases_its_locks(make_item, publish, org, other_session):
    publish(KASPERSKY)
    make_item({"p": "endpoint_security"})
    organization_match(organization_id=org.pk)
    other_session.execute("SELECT pg_try_advisory_lock(%s)", [MATCHING_KEY])
    assert other_session.fetchone()[0] is True


def test_a_chunk_finding_one_organization_busy_holds_no_lock_and_stays_pending(
    drift, other_session
):
    parent = full_rematch_plan(items_per_chunk=1000)
    [chunk] = parent.chunks.all()
    busy, *free = sorted(chunk.organization_ids)
    assert free
    other_session.execute("SELECT pg_advisory_lock(%s)", [organization_key(busy)])

    with pytest.raises(MatchingBusy):
        chunk_match(chunk_id=chunk.pk)

    chunk.refresh_from_db()
    assert chunk.status == MatchRunStatus.PENDING
    # Nothing stays held: the other session can take every other lock exclusively.
    for key in [MATCHING_KEY, *(organization_key(pk) for pk in free)]:
        other_session.execute("SELECT pg_try_advisory_lock(%s)", [key])
        assert other_session.fetchone()[0] is True


def test_a_chunk_releases_every_organization_lock(drift, other_session):
    parent = full_rematch_plan(items_per_chunk=1000)
    [chunk] = parent.chunks.all()
    assert chunk_match(chunk_id=chunk.pk) is not None
    for key in [MATCHING_KEY, *(organization_key(pk) for pk in chunk.organization_ids)]:
        other_session.execute("SELECT pg_try_advisory_lock(%s)", [key])
        assert other_session.fetchone()[0] is True


def test_an_organization_run_matches_only_its_marked_items(make_item, publish, org, catalogue):
    advisory = publish(KASPERSKY)
    marked = make_item({"p": "endpoint_security"})
    unmarked = InventoryItemFactory(organization=org, product=catalogue.products["anti_virus"])

    run = organization_match(organization_id=org.pk)

    assert run is not None and run.items_considered == 1
    assert open_flags(advisory) == {marked.pk: "confirmed"}
    assert InventoryItem.objects.get(pk=unmarked.pk).match_requested_at is None
    assert organization_match(organization_id=org.pk) is None


# --- full re-match -------------------------------------------------------------------------


@pytest.fixture
def drift(catalogue, make_item, publish):
    """A published advisory; items in three organizations written behind the matcher's back
    (no marker), and a flag wrongly resolved: only a full re-match repairs them."""
    stale = make_item({"p": "anti_virus"})
    advisory = publish(KASPERSKY)
    organizations = [OrganizationFactory() for _ in range(3)]
    for organization in organizations:
        for _ in range(2):
            InventoryItemFactory(
                organization=organization, product=catalogue.products["endpoint_security"]
            )
    Flag.objects.filter(item=stale).update(
        status=FlagStatus.RESOLVED, resolution_reason="no_longer_matches"
    )
    return advisory


def test_a_full_rematch_is_split_into_chunks_that_repair_drift(drift):
    parent = full_rematch_plan(items_per_chunk=3)
    chunks = list(parent.chunks.order_by("pk"))
    assert len(chunks) >= 2
    assert all(chunk.status == MatchRunStatus.PENDING for chunk in chunks)

    for chunk in chunks:
        assert chunk_match(chunk_id=chunk.pk) is not None

    parent.refresh_from_db()
    assert parent.status == MatchRunStatus.SUCCEEDED
    assert (parent.flags_created, parent.flags_reopened) == (6, 1)
    assert Flag.objects.filter(advisory=drift).exclude(status=FlagStatus.RESOLVED).count() == 7


def full_rematch_now() -> MatchRun:
    """Plan a full re-match and do its chunks one after the other, as the benchmark does."""
    parent = full_rematch_plan(items_per_chunk=3)
    for chunk_id in parent.chunks.order_by("pk").values_list("pk", flat=True):
        chunk_match(chunk_id=chunk_id)
    parent.refresh_from_db()
    return parent


_FLAG_WRITE = re.compile(r'\b(INSERT INTO|UPDATE|DELETE FROM)\s+"?exposure_flag(event)?\b', re.I)


def flag_writes(statements: list[dict[str, str]]) -> list[str]:
    """The statements among ``statements`` that write flags or their history."""
    return [query["sql"] for query in statements if _FLAG_WRITE.search(query["sql"])]


def changes(run: MatchRun) -> dict[str, int]:
    """What a run recorded it changed."""
    return {
        "created": run.flags_created,
        "updated": run.flags_updated,
        "resolved": run.flags_resolved,
        "reopened": run.flags_reopened,
    }


def test_a_steady_state_full_rematch_writes_no_flag_and_records_no_change(drift):
    full_rematch_now()
    before = list(Flag.objects.order_by("pk").values_list("pk", "status", "updated_at"))
    events = FlagEvent.objects.count()

    with CaptureQueriesContext(connection) as captured:
        parent = full_rematch_now()

    assert parent.status == MatchRunStatus.SUCCEEDED
    assert parent.chunks.count() >= 2
    for run in [parent, *parent.chunks.all()]:
        assert changes(run) == {"created": 0, "updated": 0, "resolved": 0, "reopened": 0}
    assert flag_writes(captured.captured_queries) == []
    assert list(Flag.objects.order_by("pk").values_list("pk", "status", "updated_at")) == before
    assert FlagEvent.objects.count() == events


def test_chunks_record_the_items_their_plan_counted(drift):
    parent = full_rematch_now()
    chunks = list(parent.chunks.order_by("pk"))
    assert sum(chunk.items_considered for chunk in chunks) == InventoryItem.objects.count()
    for chunk in chunks:
        assert (
            chunk.items_considered
            == InventoryItem.objects.filter(organization_id__in=chunk.organization_ids).count()
        )


@pytest.mark.parametrize(
    ("column", "wrong"),
    [
        ("priority", 1),
        ("item_label", "something else"),
        ("due_date", None),
        ("confidence", "possible"),
        ("matched_target_id", None),
        ("product_id", None),
        ("vendor_id", None),
    ],
)
def test_a_full_rematch_repairs_a_flag_with_one_value_drifted(drift, column, wrong):
    full_rematch_now()
    flag = Flag.objects.filter(advisory=drift).order_by("pk").last()
    assert flag is not None
    right = getattr(flag, column)
    assert right is not None and right != wrong
    Flag.objects.filter(pk=flag.pk).update(**{column: wrong})

    parent = full_rematch_now()

    flag.refresh_from_db()
    assert getattr(flag, column) == right
    assert changes(parent) == {"created": 0, "updated": 1, "resolved": 0, "reopened": 0}


def test_a_full_rematch_resolves_a_flag_that_no_longer_matches_and_creates_a_missing_one(
    drift, catalogue
):
    full_rematch_now()
    moved, lost = InventoryItem.objects.filter(flags__advisory=drift).order_by("pk")[:2]
    # Behind the matcher's back: one item changes product, another loses its flag.
    InventoryItem.objects.filter(pk=moved.pk).update(product=catalogue.products["fortios"])
    Flag.objects.filter(item=lost).delete()

    parent = full_rematch_now()

    assert (parent.flags_resolved, parent.flags_created, parent.flags_updated) == (1, 1, 0)
    assert Flag.objects.get(item=moved).status == FlagStatus.RESOLVED
    assert Flag.objects.get(item=lost).status == FlagStatus.OPEN


def test_a_full_rematch_resolves_a_flag_that_no_longer_matches_when_no_flag_is_missing(
    drift, catalogue
):
    # Every matched pair keeps its right flag: only the count of the scope's unresolved flags
    # against the matches tells that one flag is left over.
    full_rematch_now()
    moved = InventoryItem.objects.filter(flags__advisory=drift).order_by("pk").first()
    assert moved is not None
    InventoryItem.objects.filter(pk=moved.pk).update(product=catalogue.products["fortios"])

    parent = full_rematch_now()

    assert changes(parent) == {"created": 0, "updated": 0, "resolved": 1, "reopened": 0}
    assert Flag.objects.get(item=moved).status == FlagStatus.RESOLVED


def test_a_steady_full_rematch_keeps_decisions_and_counts_them_as_unresolved(drift):
    full_rematch_now()
    decided = list(Flag.objects.filter(advisory=drift).order_by("pk")[:2])
    Flag.objects.filter(pk=decided[0].pk).update(status=FlagStatus.ACKNOWLEDGED)
    Flag.objects.filter(pk=decided[1].pk).update(
        status=FlagStatus.RISK_ACCEPTED, risk_accepted_until=timezone.now().date()
    )
    events = FlagEvent.objects.count()

    with CaptureQueriesContext(connection) as captured:
        parent = full_rematch_now()

    assert changes(parent) == {"created": 0, "updated": 0, "resolved": 0, "reopened": 0}
    assert flag_writes(captured.captured_queries) == []
    assert Flag.objects.get(pk=decided[0].pk).status == FlagStatus.ACKNOWLEDGED
    assert Flag.objects.get(pk=decided[1].pk).status == FlagStatus.RISK_ACCEPTED
    assert FlagEvent.objects.count() == events


def test_a_chunk_is_done_once_whoever_asks_again(drift):
    parent = full_rematch_plan(items_per_chunk=1000)
    [chunk] = parent.chunks.all()
    assert chunk_match(chunk_id=chunk.pk) is not None
    assert chunk_match(chunk_id=chunk.pk) is None
    assert parent.chunks.filter(status=MatchRunStatus.SUCCEEDED).count() == 1


def test_a_chunk_that_runs_out_of_retries_fails_its_full_rematch(drift):
    parent = full_rematch_plan(items_per_chunk=3)
    first, *rest = parent.chunks.order_by("pk")
    chunk_failed(chunk_id=first.pk, error="OperationalError: gone")
    for chunk in rest:
        chunk_match(chunk_id=chunk.pk)
    parent.refresh_from_db()
    assert parent.status == MatchRunStatus.FAILED


def test_the_full_rematch_task_dispatches_its_chunks_as_a_group(drift, settings):
    settings.MATCHING_CHUNK_ITEMS = 2
    full_rematch.apply()
    parent = MatchRun.objects.get(kind=MatchRunKind.FULL)
    assert parent.status == MatchRunStatus.SUCCEEDED
    assert not parent.chunks.exclude(status=MatchRunStatus.SUCCEEDED).exists()


# --- the sweeper ---------------------------------------------------------------------------


def test_the_sweeper_resends_old_pending_work_and_leaves_young_work_alone(
    catalogue, org, other_org
):
    old = timezone.now() - datetime.timedelta(minutes=5)
    advisory = PublishedAdvisoryFactory(published_at=old, match_requested_at=old)
    AffectedTarget.objects.create(
        advisory=advisory, kind="vendor", vendor=catalogue.vendors["kaspersky"]
    )
    forgotten = InventoryItemFactory(
        organization=org, product=catalogue.products["endpoint_security"], match_requested_at=old
    )
    fresh = InventoryItemFactory(
        organization=other_org,
        product=catalogue.products["endpoint_security"],
        match_requested_at=timezone.now(),
    )

    report = pending_sweep(min_age=datetime.timedelta(seconds=30))

    assert (report.advisories, report.organizations) == (1, 1)
    assert Advisory.objects.get(pk=advisory.pk).match_requested_at is None
    assert InventoryItem.objects.get(pk=forgotten.pk).match_requested_at is None
    assert InventoryItem.objects.get(pk=fresh.pk).match_requested_at is not None
    assert set(open_flags(advisory)) == {forgotten.pk, fresh.pk}


def test_an_advisory_matching_no_more_than_a_chunk_is_one_chunk_of_every_organization(
    drift, settings
):
    # The matches are counted (not estimated), and no further than one past a chunk.
    matches = InventoryItem.objects.filter(product__vendor__slug="kaspersky").count()
    assert count_hits(Scope(advisory_ids=(drift.pk,)), up_to=1_000) == matches
    assert count_hits(Scope(advisory_ids=(drift.pk,)), up_to=2) == 3

    settings.MATCHING_CHUNK_ITEMS = matches
    Advisory.objects.filter(pk=drift.pk).update(match_requested_at=timezone.now())
    [small] = advisories_plan(advisory_ids=[drift.pk])
    [chunk] = small.chunks.all()
    assert sorted(chunk.organization_ids) == sorted(
        Organization.objects.values_list("pk", flat=True)
    )
    assert chunk.items_considered == InventoryItem.objects.count()
    chunk_match(chunk_id=chunk.pk)

    settings.MATCHING_CHUNK_ITEMS = 2
    Advisory.objects.filter(pk=drift.pk).update(match_requested_at=timezone.now())
    [large] = advisories_plan(advisory_ids=[drift.pk])
    assert large.chunks.count() > 1
    assert sorted(pk for chunk in large.chunks.all() for pk in chunk.organization_ids) == sorted(
        Organization.objects.values_list("pk", flat=True)
    )
