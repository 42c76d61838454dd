"""Opening a campaign, its scope, milestones and plans, and progress computed from the
inventory and kept as history."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from advisories.choices import RecommendedAction, Tlp
from advisories.services import advisory_update
from audit.models import AuditEntry
from campaigns.choices import CampaignEventKind, CampaignScope
from campaigns.models import CampaignEvent, Plan, ProgressSample
from campaigns.progress import live_counts
from campaigns.services import (
    campaign_open,
    campaign_progress_record,
    milestone_update,
    plan_update,
)
from orgs.services import inventory_item_create, inventory_item_delete, inventory_item_update
from tests.campaigns.conftest import World

pytestmark = pytest.mark.django_db


def plans(campaign: Any) -> dict[str, int]:
    return {
        plan.organization.slug: plan.items_at_start
        for plan in Plan.objects.filter(campaign=campaign).select_related("organization")
    }


def test_a_campaign_gives_every_flagged_organization_a_plan_with_its_items(world: World) -> None:
    campaign = campaign_open(advisory=world.advisory, user=world.analyst)

    assert plans(campaign) == {"stadtwerke-alpha": 3, "klinikum-beta": 2}
    opened = CampaignEvent.objects.get(campaign=campaign)
    assert opened.kind == CampaignEventKind.OPENED
    assert opened.actor_name == "cert-analyst"
    assert sorted(opened.data["organizations"]) == sorted(
        [world.tenants.org_a.pk, world.tenants.org_b.pk]
    )
    assert AuditEntry.objects.filter(action="campaign.open", object_id=str(campaign.pk)).exists()


def test_a_profile_scope_names_every_organization_of_its_sectors_flagged_or_not(
    world: World,
) -> None:
    campaign = campaign_open(
        advisory=world.advisory,
        user=world.analyst,
        scope=CampaignScope.PROFILE,
        scope_sectors=["energy"],
    )

    assert plans(campaign) == {"stadtwerke-alpha": 3, "wasserwerk-gamma": 0}


def test_a_restricted_advisory_s_campaign_takes_in_only_organizations_that_may_read_it(
    world: World, run_on_commit: Callable[..., Any]
) -> None:
    # TLP:AMBER for Stadtwerke Alpha (energy): the matcher resolves Klinikum Beta's flags.
    run_on_commit(
        advisory_update,
        advisory=world.advisory,
        data={"tlp": Tlp.AMBER, "audience_organizations": [world.tenants.org_a]},
    )
    # A profile naming every sector would otherwise take in Beta (health) and Gamma (energy).
    campaign = campaign_open(
        advisory=world.advisory,
        user=world.analyst,
        scope=CampaignScope.PROFILE,
        scope_sectors=["energy", "health"],
    )

    assert plans(campaign) == {"stadtwerke-alpha": 3}
    # Nor does anyone outside the audience join it later.
    campaign_progress_record(campaign=campaign)
    assert plans(campaign) == {"stadtwerke-alpha": 3}


def test_milestones_fall_the_given_days_after_the_advisory(world: World) -> None:
    campaign = campaign_open(
        advisory=world.advisory,
        user=world.analyst,
        milestones=[("identify", "Identify", 30), ("removed", "Removed", 120)],
    )

    issued = world.advisory.issued_on
    assert [(m.key, m.due_on) for m in campaign.milestones.all()] == [
        ("identify", issued + datetime.timedelta(days=30)),
        ("removed", issued + datetime.timedelta(days=120)),
    ]


def test_a_milestone_moves_but_keeps_its_order_and_the_move_is_history(world: World) -> None:
    campaign = campaign_open(advisory=world.advisory, user=world.analyst)
    identify, plan = campaign.milestones.all()[:2]

    with pytest.raises(ValidationError, match="out of order"):
        milestone_update(
            milestone=identify,
            user=world.analyst,
            due_on=plan.due_on.replace(year=plan.due_on.year + 1),
        )
    moved = identify.due_on + datetime.timedelta(days=5)
    milestone_update(milestone=identify, user=world.analyst, due_on=moved)

    identify.refresh_from_db()
    assert identify.due_on == moved
    change = CampaignEvent.objects.get(kind=CampaignEventKind.MILESTONE_CHANGED)
    assert change.data["due_on"] == moved.isoformat()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"recommended_action": RecommendedAction.UPDATE}, "replace or remove"),
        ({"status": "draft"}, "published"),
    ],
)
def test_only_a_published_replace_advisory_opens_a_campaign(
    world: World, change: dict[str, Any], message: str
) -> None:
    for field, value in change.items():
        setattr(world.advisory, field, value)
    world.advisory.save()

    with pytest.raises(ValidationError, match=message):
        campaign_open(advisory=world.advisory, user=world.analyst)


def test_an_advisory_has_one_campaign(world: World) -> None:
    campaign_open(advisory=world.advisory, user=world.analyst)

    with pytest.raises(ValidationError, match="already has a campaign"):
        campaign_open(advisory=world.advisory, user=world.analyst)


def test_an_organization_owner_cannot_open_a_campaign(world: World) -> None:
    with pytest.raises(PermissionDenied):
        campaign_open(advisory=world.advisory, user=world.tenants.owner)


def test_an_empty_profile_scope_is_refused_naming_the_field(world: World) -> None:
    with pytest.raises(ValidationError) as error:
        campaign_open(advisory=world.advisory, user=world.analyst, scope=CampaignScope.PROFILE)
    assert "scope_sectors" in error.value.message_dict


def test_deleted_items_and_items_changed_to_another_product_count_as_replaced(
    world: World, run_on_commit: Callable[..., Any]
) -> None:
    campaign = campaign_open(advisory=world.advisory, user=world.analyst)
    first, second, third = world.items_a

    run_on_commit(inventory_item_delete, item=first)
    run_on_commit(
        inventory_item_update,
        item=second,
        data={
            "raw_vendor": "Microsoft",
            "raw_product": "Defender for Endpoint",
            "product": world.defender,
        },
    )
    run_on_commit(inventory_item_update, item=third, data={"version": "11.11"})

    counts = live_counts(campaign=campaign)
    assert counts[world.tenants.org_a.pk].remaining == 1
    assert counts[world.tenants.org_a.pk].replaced == 2
    assert counts[world.tenants.org_b.pk].remaining == 2


def test_progress_is_recorded_when_it_changes_and_keeps_what_was_true_before(
    world: World, run_on_commit: Callable[..., Any]
) -> None:
    campaign = campaign_open(advisory=world.advisory, user=world.analyst)
    assert campaign_progress_record(campaign=campaign) == 0
    before = timezone.now()

    run_on_commit(inventory_item_delete, item=world.items_b[0])
    assert campaign_progress_record(campaign=campaign) == 1
    assert campaign_progress_record(campaign=campaign) == 0

    org_b = world.tenants.org_b
    history = ProgressSample.objects.filter(campaign=campaign, organization=org_b)
    assert [(s.remaining, s.replaced) for s in history] == [(2, 0), (1, 1)]
    assert history.filter(recorded_at__lte=before).last().remaining == 2  # type: ignore[union-attr]


def test_an_organization_flagged_later_joins_the_campaign(
    world: World, run_on_commit: Callable[..., Any]
) -> None:
    campaign = campaign_open(advisory=world.advisory, user=world.analyst)
    run_on_commit(
        inventory_item_create,
        organization=world.org_c,
        data={"raw_vendor": "Kaspersky", "raw_product": world.kes.name, "version": "11"},
    )
    campaign_progress_record(campaign=campaign)

    assert plans(campaign)["wasserwerk-gamma"] == 1
    assert CampaignEvent.objects.filter(
        kind=CampaignEventKind.ORGANIZATION_JOINED, organization=world.org_c
    ).exists()


def test_an_admin_writes_the_plan_and_a_viewer_may_not(world: World) -> None:
    campaign = campaign_open(advisory=world.advisory, user=world.analyst)
    plan = Plan.objects.get(campaign=campaign, organization=world.tenants.org_a)

    with pytest.raises(PermissionDenied):
        plan_update(plan=plan, user=world.tenants.viewer, data={"responsible": "Eve"})
    plan_update(
        plan=plan,
        user=world.tenants.owner,
        data={
            "replacement_product": world.defender,
            "responsible": "Ada Lovelace",
            "target_date": datetime.date(2030, 1, 31),
        },
    )

    saved = CampaignEvent.objects.get(kind=CampaignEventKind.PLAN_SAVED)
    assert saved.organization == world.tenants.org_a
    assert saved.data["responsible"] == "Ada Lovelace"
    assert saved.data["replacement_product"] == str(world.defender)
    assert AuditEntry.objects.filter(
        action="campaign.plan_update", organization_id=world.tenants.org_a.pk
    ).exists()


def test_campaign_history_is_append_only_in_the_database_too(world: World) -> None:
    campaign = campaign_open(advisory=world.advisory, user=world.analyst)
    event = CampaignEvent.objects.get(campaign=campaign)

    with pytest.raises(PermissionError):
        CampaignEvent.objects.filter(pk=event.pk).update(data={})
    with pytest.raises(PermissionError):
        event.save()
    for table in ("campaigns_campaignevent", "campaigns_progresssample"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"DELETE FROM {table}")


def test_the_burn_down_counts_what_remained_at_the_end_of_each_day_in_the_users_view(
    world: World, run_on_commit: Callable[..., Any]
) -> None:
    from unittest import mock

    from campaigns.selectors import campaign_burndown

    today = timezone.localdate()
    now = timezone.now()

    def days_ago(days: int) -> datetime.datetime:
        return now - datetime.timedelta(days=days)

    # The campaign's history written as of three days ago (its services read "now" then).
    with mock.patch("django.utils.timezone.now", return_value=days_ago(3)):
        campaign = campaign_open(advisory=world.advisory, user=world.analyst)
    run_on_commit(inventory_item_delete, item=world.items_a[0])
    campaign_progress_record(campaign=campaign, now=days_ago(2))
    run_on_commit(inventory_item_delete, item=world.items_b[0])
    run_on_commit(inventory_item_delete, item=world.items_a[1])
    campaign_progress_record(campaign=campaign, now=days_ago(1))

    every = campaign_burndown(campaign=campaign, user=world.analyst)
    own = campaign_burndown(campaign=campaign, user=world.tenants.viewer)

    days = [today - datetime.timedelta(days=n) for n in (3, 2, 1, 0)]
    assert every == list(zip(days, [5, 4, 2, 2], strict=True))
    assert own == list(zip(days, [3, 2, 1, 1], strict=True))
