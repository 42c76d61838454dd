"""How flags live: created once, left alone by re-runs, resolved with a reason, reopened, with
their history, priority and due date; and what one run costs in queries."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from advisories.models import Advisory, AffectedTarget, TargetInterval
from advisories.services import advisory_update, advisory_withdraw, target_compile
from exposure.choices import FlagEventKind, FlagStatus, MatchRunKind, ResolutionReason
from exposure.models import Flag, FlagEvent, MatchRun
from exposure.services import advisories_match
from orgs.models import InventoryItem
from orgs.services import inventory_item_create, inventory_item_delete, inventory_item_update
from tests.exposure.conftest import open_flags, target_fields
from tests.factories import PublishedAdvisoryFactory
from vendors.services import product_update

pytestmark = pytest.mark.django_db

FORTIOS_BEFORE_7_2_5 = {
    "kind": "product_range",
    "product": "fortios",
    "version_range": "vers:generic/<7.2.5",
}


def flag_rows(advisory: Advisory) -> list[tuple[object, ...]]:
    return list(
        Flag.objects.filter(advisory=advisory)
        .order_by("pk")
        .values_list(
            "pk", "status", "confidence", "priority", "due_date", "item_label", "updated_at"
        )
    )


def rematch(advisory: Advisory) -> MatchRun:
    """Mark the advisory as changed and match it again, as its task would."""
    Advisory.objects.filter(pk=advisory.pk).update(match_requested_at=timezone.now())
    [run] = advisories_match(advisory_ids=[advisory.pk])
    return run


def test_rerunning_a_match_changes_no_row_and_writes_no_event(make_item, publish):
    for version in ("7.0.1", "7.2.4", "7.4.0"):
        make_item({"p": "fortios", "v": version})
    make_item({"p": "fortios"})
    advisory = publish(FORTIOS_BEFORE_7_2_5, {"kind": "vendor", "vendor": "kaspersky"})
    before, events = flag_rows(advisory), FlagEvent.objects.count()
    assert len(before) == 3

    run = rematch(advisory)

    assert flag_rows(advisory) == before
    assert FlagEvent.objects.count() == events
    assert (run.flags_created, run.flags_updated, run.flags_resolved, run.flags_reopened) == (
        0,
        0,
        0,
        0,
    )


def test_a_range_target_left_without_intervals_matches_nothing_even_without_a_version(
    make_item, publish
):
    unknown = make_item({"p": "fortios"})
    known = make_item({"p": "fortios", "v": "7.0.1"})
    advisory = publish(FORTIOS_BEFORE_7_2_5)
    assert open_flags(advisory) == {unknown.pk: "possible", known.pk: "confirmed"}
    # A range that holds no version compiles to no interval (the editor never saves one, but
    # the engine must not read "no interval" as "every version").
    TargetInterval.objects.filter(target__advisory=advisory).delete()

    run = rematch(advisory)

    assert open_flags(advisory) == {}
    assert run.flags_resolved == 2


def test_created_flags_have_a_history_entry_by_the_matcher(make_item, publish):
    item = make_item({"p": "fortios", "v": "7.0"})
    advisory = publish(FORTIOS_BEFORE_7_2_5)
    flag = Flag.objects.get(advisory=advisory, item=item)
    assert list(flag.events.values_list("kind", "from_status", "to_status", "actor")) == [
        (FlagEventKind.CREATED, "", FlagStatus.OPEN, None)
    ]
    assert flag.item_label == "Fortinet FortiOS 7.0"


def test_withdrawn_advisory_resolves_its_flags(make_item, publish, run_on_commit):
    make_item({"p": "fortios", "v": "7.0"})
    flag_item = make_item({"p": "fortios", "v": "7.1"})
    advisory = publish(FORTIOS_BEFORE_7_2_5)
    Flag.objects.filter(item=flag_item).update(status=FlagStatus.ACKNOWLEDGED)

    run_on_commit(advisory_withdraw, advisory=advisory, reason="Superseded by a new advisory.")

    flags = Flag.objects.filter(advisory=advisory)
    assert set(flags.values_list("status", "resolution_reason")) == {
        (FlagStatus.RESOLVED, ResolutionReason.ADVISORY_WITHDRAWN)
    }
    resolved = FlagEvent.objects.filter(flag__advisory=advisory, kind=FlagEventKind.RESOLVED)
    assert sorted(resolved.values_list("from_status", flat=True)) == [
        FlagStatus.ACKNOWLEDGED,
        FlagStatus.OPEN,
    ]


def test_updating_the_version_out_of_range_resolves_as_not_affected(
    make_item, publish, run_on_commit
):
    item = make_item({"p": "fortios", "v": "7.2.4"})
    advisory = publish(FORTIOS_BEFORE_7_2_5)

    run_on_commit(inventory_item_update, item=item, data={"version": "7.2.5"})

    flag = Flag.objects.get(advisory=advisory, item=item)
    assert flag.status == FlagStatus.RESOLVED
    assert flag.resolution_reason == ResolutionReason.VERSION_NOT_AFFECTED
    run = MatchRun.objects.filter(kind=MatchRunKind.ORGANIZATION).first()
    assert run is not None and run.flags_resolved == 1


def test_a_resolved_flag_reopens_when_the_item_matches_again(make_item, publish, run_on_commit):
    item = make_item({"p": "fortios", "v": "7.2.4"})
    advisory = publish(FORTIOS_BEFORE_7_2_5)
    run_on_commit(inventory_item_update, item=item, data={"version": "7.2.5"})

    run_on_commit(inventory_item_update, item=item, data={"version": "7.2.3"})

    flag = Flag.objects.get(advisory=advisory, item=item)
    assert (flag.status, flag.resolution_reason, flag.resolved_at) == (FlagStatus.OPEN, "", None)
    assert list(flag.events.order_by("pk").values_list("kind", flat=True)) == [
        FlagEventKind.CREATED,
        FlagEventKind.RESOLVED,
        FlagEventKind.REOPENED,
    ]


def test_changing_the_product_so_nothing_matches_resolves_as_no_longer_matching(
    make_item, publish, run_on_commit
):
    item = make_item({"p": "endpoint_security"})
    advisory = publish({"kind": "vendor", "vendor": "kaspersky"})

    run_on_commit(
        inventory_item_update, item=item, data={"raw_vendor": "ESET", "raw_product": "PROTECT"}
    )

    flag = Flag.objects.get(advisory=advisory, item=item)
    assert flag.resolution_reason == ResolutionReason.NO_LONGER_MATCHES


def test_deleting_an_item_resolves_its_flags_and_keeps_their_label(make_item, publish):
    item = make_item({"p": "fortios", "v": "7.0"})
    advisory = publish(FORTIOS_BEFORE_7_2_5)

    inventory_item_delete(item=item)

    flag = Flag.objects.get(advisory=advisory)
    assert flag.item_id is None
    assert flag.item_label == "Fortinet FortiOS 7.0"
    assert (flag.status, flag.resolution_reason) == (
        FlagStatus.RESOLVED,
        ResolutionReason.ITEM_REMOVED,
    )
    assert flag.events.filter(kind=FlagEventKind.RESOLVED).count() == 1


def test_a_flag_whose_item_vanished_without_the_service_is_resolved_by_the_next_run(
    make_item, publish
):
    item = make_item({"p": "fortios", "v": "7.0"})
    advisory = publish(FORTIOS_BEFORE_7_2_5)
    InventoryItem.objects.filter(pk=item.pk).delete()

    rematch(advisory)

    flag = Flag.objects.get(advisory=advisory)
    assert flag.resolution_reason == ResolutionReason.ITEM_REMOVED


@pytest.mark.parametrize(
    "decision", [FlagStatus.FALSE_POSITIVE, FlagStatus.MITIGATED, FlagStatus.ACKNOWLEDGED]
)
def test_peoples_decisions_are_kept_while_the_item_still_matches(decision, make_item, publish):
    item = make_item({"p": "fortios", "v": "7.0"})
    advisory = publish(FORTIOS_BEFORE_7_2_5, severity="medium")
    Flag.objects.filter(item=item).update(status=decision)

    Advisory.objects.filter(pk=advisory.pk).update(severity="critical")
    run = rematch(advisory)

    flag = Flag.objects.get(item=item)
    assert flag.status == decision
    assert run.flags_updated == 1


def test_an_item_getting_a_version_turns_a_possible_flag_confirmed(
    make_item, publish, run_on_commit
):
    item = make_item({"p": "fortios"})
    advisory = publish(FORTIOS_BEFORE_7_2_5)
    assert open_flags(advisory) == {item.pk: "possible"}

    run_on_commit(inventory_item_update, item=item, data={"version": "7.0.4"})

    assert open_flags(advisory) == {item.pk: "confirmed"}
    assert Flag.objects.get(item=item).events.count() == 1


def test_a_new_item_is_matched_against_published_advisories(make_item, publish, run_on_commit, org):
    advisory = publish(FORTIOS_BEFORE_7_2_5)

    item = run_on_commit(
        inventory_item_create,
        organization=org,
        data={"raw_vendor": "Fortinet", "raw_product": "FortiOS", "version": "7.2.1"},
    )

    assert open_flags(advisory) == {item.pk: "confirmed"}
    assert not InventoryItem.objects.filter(match_requested_at__isnull=False).exists()


def test_replacing_an_advisorys_targets_resolves_what_no_longer_matches(
    make_item, publish, run_on_commit, catalogue
):
    fortios = make_item({"p": "fortios", "v": "7.0"})
    kes = make_item({"p": "endpoint_security"})
    advisory = publish(FORTIOS_BEFORE_7_2_5)

    run_on_commit(
        advisory_update,
        advisory=advisory,
        data={"title": "Now about Kaspersky"},
        targets=[{"kind": "vendor", "vendor": catalogue.vendors["kaspersky"]}],
    )

    assert open_flags(advisory) == {kes.pk: "confirmed"}
    assert Flag.objects.get(item=fortios).resolution_reason == ResolutionReason.NO_LONGER_MATCHES
    assert advisory.revisions.filter(summary__contains="targets").exists()


# --- priority and due date -------------------------------------------------------------------


def test_priority_reaches_100_for_the_most_urgent_combination(make_item, publish, org, catalogue):
    org.criticality_tier = "critical_infrastructure"
    org.save()
    product = catalogue.products["endpoint_security"]
    product_update(
        product=product,
        data={
            "deep_system_access": True,
            "permanent_cloud_connection": True,
            "vendor_pushed_updates": True,
        },
    )
    make_item({"p": "endpoint_security", "criticality": "critical"})
    advisory = publish(
        {"kind": "vendor", "vendor": "kaspersky"},
        severity="critical",
        known_exploited=True,
        audience_sectors=["energy", "health"],
        audience_tiers=["critical_infrastructure"],
    )
    assert list(advisory.flags.values_list("priority", flat=True)) == [100]


@pytest.mark.parametrize(
    ("severity", "sectors", "criticality", "expected"),
    [
        ("low", [], "medium", 10 + 5),
        ("medium", ["health"], "low", 22),
        ("high", ["energy"], "high", 35 + 10 + 10),
        ("none", [], "low", 0),
    ],
)
def test_priority_adds_severity_audience_and_criticality(
    severity, sectors, criticality, expected, make_item, publish
):
    make_item({"p": "fortios", "v": "7.0", "criticality": criticality})
    advisory = publish(FORTIOS_BEFORE_7_2_5, severity=severity, audience_sectors=sectors)
    assert list(advisory.flags.values_list("priority", flat=True)) == [expected]


@pytest.mark.parametrize(
    ("epss", "points"),
    [(None, 0), (0.0999, 0), (0.1, 5), (0.4999, 5), (0.5, 10), (0.97, 10)],
)
def test_priority_adds_the_band_of_the_advisorys_epss_score(epss, points, make_item, publish):
    make_item({"p": "fortios", "v": "7.0", "criticality": "low"})
    advisory = publish(FORTIOS_BEFORE_7_2_5, severity="medium", epss=epss)
    assert list(advisory.flags.values_list("priority", flat=True)) == [22 + points]


def test_priority_stops_at_100_when_the_epss_score_adds_more(make_item, publish, org, catalogue):
    org.criticality_tier = "critical_infrastructure"
    org.save()
    product_update(
        product=catalogue.products["endpoint_security"],
        data={"deep_system_access": True, "permanent_cloud_connection": True},
    )
    make_item({"p": "endpoint_security", "criticality": "critical"})
    advisory = publish(
        {"kind": "vendor", "vendor": "kaspersky"},
        severity="critical",
        known_exploited=True,
        epss=0.9,
        audience_sectors=["energy", "health"],
        audience_tiers=["critical_infrastructure"],
    )
    # 45 + 5 + 10 + 10 + 15 + 2 × 5 = 95 without EPSS, 105 with it.
    assert list(advisory.flags.values_list("priority", flat=True)) == [100]


def test_due_date_is_the_kev_due_date_when_the_advisory_sets_no_deadline(make_item, publish):
    make_item({"p": "fortios", "v": "7.0"})
    kev_due = datetime.date(2030, 2, 28)
    deadline = datetime.date(2030, 1, 31)
    advisory = publish(FORTIOS_BEFORE_7_2_5, known_exploited=True, kev_due_date=kev_due)
    own = publish(FORTIOS_BEFORE_7_2_5, action_deadline=deadline, kev_due_date=kev_due)
    assert list(advisory.flags.values_list("due_date", flat=True)) == [kev_due]
    assert list(own.flags.values_list("due_date", flat=True)) == [deadline]


def test_due_date_is_the_advisorys_deadline_when_it_has_one(make_item, publish):
    make_item({"p": "fortios", "v": "7.0"})
    deadline = datetime.date(2030, 1, 31)
    advisory = publish(FORTIOS_BEFORE_7_2_5, action_deadline=deadline)
    assert list(advisory.flags.values_list("due_date", flat=True)) == [deadline]


@pytest.mark.parametrize(
    ("severity", "days"), [("critical", 3), ("high", 14), ("medium", 60), ("low", 120)]
)
def test_due_date_follows_the_organizations_sla_for_the_severity(
    severity, days, make_item, publish, org
):
    org.sla_critical_days, org.sla_high_days, org.sla_medium_days, org.sla_low_days = 3, 14, 60, 120
    org.save()
    make_item({"p": "fortios", "v": "7.0"})
    advisory = publish(FORTIOS_BEFORE_7_2_5, severity=severity)
    flag = advisory.flags.get()
    assert flag.due_date == flag.first_seen_at.date() + datetime.timedelta(days=days)


def test_severity_none_has_no_due_date(make_item, publish):
    make_item({"p": "fortios", "v": "7.0"})
    advisory = publish(FORTIOS_BEFORE_7_2_5, severity="none")
    assert list(advisory.flags.values_list("due_date", flat=True)) == [None]


def test_a_new_deadline_moves_the_due_date_of_existing_flags(make_item, publish, run_on_commit):
    make_item({"p": "fortios", "v": "7.0"})
    advisory = publish(FORTIOS_BEFORE_7_2_5)
    deadline = datetime.date(2031, 6, 30)

    run_on_commit(advisory_update, advisory=advisory, data={"action_deadline": deadline})

    assert list(advisory.flags.values_list("due_date", flat=True)) == [deadline]


# --- cost ----------------------------------------------------------------------------------


def unmatched_advisory(catalogue) -> Advisory:
    """A published advisory on FortiOS < 7.2.5 that is marked but not matched yet."""
    advisory = PublishedAdvisoryFactory(match_requested_at=timezone.now())
    target_compile(
        target=AffectedTarget(advisory=advisory, **target_fields(catalogue, FORTIOS_BEFORE_7_2_5))
    )
    return advisory


def queries_to_match(advisory: Advisory) -> int:
    Advisory.objects.filter(pk=advisory.pk).update(match_requested_at=timezone.now())
    with CaptureQueriesContext(connection) as captured:
        advisories_match(advisory_ids=[advisory.pk])
    return len(captured)


def test_matching_one_advisory_takes_the_same_few_queries_for_any_number_of_items(
    catalogue, make_item
):
    make_item({"p": "fortios", "v": "7.0"})
    small = unmatched_advisory(catalogue)
    first_small = queries_to_match(small)
    for index in range(40):
        make_item({"p": "fortios", "v": f"7.{index % 2}.{index}"})
    large = unmatched_advisory(catalogue)
    first_large = queries_to_match(large)

    # The run's plan, its chunk's claim and locks, and the run's close included.
    assert Flag.objects.filter(advisory=large).count() == 41
    assert first_small == first_large <= 50
    queries_to_match(small)  # catches up with the 40 new items
    assert queries_to_match(small) == queries_to_match(large) <= 50
