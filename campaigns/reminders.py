"""Reminders before a campaign's milestones and escalations after them, through the
organizations' notification channels.

Once a day (beat, with the other daily reminders): an organization whose milestone falls due
within ``CAMPAIGN_REMINDER_DAYS`` and is not attested yet is reminded; one whose milestone has
passed unaccepted (late) is escalated, to its channels and by email to its admins and owners.
Each message lists the items it still has to replace. The channels that hear about overdue
flags hear about these: at once, or in their daily digest when that is their mode. Each
reminder and escalation is sent once per milestone date (moving a milestone sends anew) and
enters the campaign's history.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.choices import CampaignEventKind, CampaignStatus, MilestoneState
from campaigns.models import Campaign, CampaignEvent, Milestone, Plan
from campaigns.progress import NOT_AFFECTED_STATUSES, milestone_state
from campaigns.selectors import latest_attestations
from campaigns.services import event_record
from exposure.models import Flag
from notifications.choices import ChannelMode, DeliveryKind, NotificationEvent
from notifications.delivery import deliveries_enqueue
from notifications.dispatch import COLLECTED_ITEMS, digest_collect
from notifications.models import Channel, Delivery, DeliveryItem
from orgs.choices import Role
from orgs.models import Membership
from orgs.scoping import CHANNEL_TLPS, advisory_reach_organization_ids

_TOLD = (CampaignEventKind.REMINDED, CampaignEventKind.ESCALATED)


def campaign_reminders_send(*, today: datetime.date | None = None) -> int:
    """Write and send the day's campaign reminders and escalations; return the deliveries
    written. A second run the same day writes none."""
    today = today or timezone.localdate()
    written: list[int] = []
    for campaign in Campaign.objects.filter(status=CampaignStatus.OPEN).select_related("advisory"):
        written += _campaign_remind(campaign, today)
    deliveries_enqueue(written)
    return len(written)


def _due(milestone: Milestone, today: datetime.date) -> CampaignEventKind | None:
    days = (milestone.due_on - today).days
    if 0 <= days <= settings.CAMPAIGN_REMINDER_DAYS:
        return CampaignEventKind.REMINDED
    if days < 0:
        return CampaignEventKind.ESCALATED
    return None


def _campaign_remind(campaign: Campaign, today: datetime.date) -> list[int]:
    milestones = [(m, kind) for m in campaign.milestones.all() if (kind := _due(m, today))]
    if not milestones:
        return []
    # An organization outside a restricted advisory's audience (narrowed since the campaign
    # opened) keeps its plan but is told nothing more.
    reach = advisory_reach_organization_ids(campaign.advisory_id)
    plans = [
        plan
        for plan in campaign.plans.select_related("organization")
        if plan.organization_id in reach
    ]
    latest = latest_attestations(plan.pk for plan in plans)
    told = {
        (org, kind, data.get("milestone"), data.get("due_on"))
        for org, kind, data in CampaignEvent.objects.filter(
            campaign=campaign, kind__in=_TOLD
        ).values_list("organization_id", "kind", "data")
    }
    written: list[int] = []
    for milestone, kind in milestones:
        wanted = (
            (MilestoneState.PENDING, MilestoneState.RETURNED)
            if kind == CampaignEventKind.REMINDED
            else (MilestoneState.LATE,)
        )
        for plan in plans:
            status = latest.get((plan.pk, milestone.pk), (None, None))[1]
            if milestone_state(status, milestone.due_on, today) not in wanted:
                continue
            key = (plan.organization_id, kind.value, milestone.key, milestone.due_on.isoformat())
            if key in told:
                continue
            with transaction.atomic():
                written += _tell(campaign, plan, milestone, kind)
                event_record(
                    campaign=campaign,
                    kind=kind,
                    organization=plan.organization,
                    data={"milestone": milestone.key, "due_on": milestone.due_on.isoformat()},
                )
    return written


def _subject(campaign: Campaign, plan: Plan, milestone: Milestone, kind: str) -> str:
    when = (
        f"due {milestone.due_on:%Y-%m-%d}"
        if kind == CampaignEventKind.REMINDED
        else f"overdue since {milestone.due_on:%Y-%m-%d}"
    )
    return f"Campaign '{campaign.title}': '{milestone.name}' {when} in {plan.organization}"[:300]


def _tell(campaign: Campaign, plan: Plan, milestone: Milestone, kind: str) -> list[int]:
    """One delivery per channel of the organization that hears about overdue flags (a digest
    channel has the items added to its daily digest instead), and for an escalation one email
    per admin and owner; each lists the items still to replace."""
    if campaign.advisory.tlp not in CHANNEL_TLPS:
        return []
    flags = (
        Flag.objects.filter(advisory=campaign.advisory, organization=plan.organization)
        .exclude(status__in=NOT_AFFECTED_STATUSES)
        .order_by("-priority", "pk")
    )
    flag_ids = list(flags.values_list("pk", flat=True)[:COLLECTED_ITEMS])
    total = flags.count() if len(flag_ids) == COLLECTED_ITEMS else len(flag_ids)
    channels = [
        channel
        for channel in Channel.objects.filter(organization=plan.organization, enabled=True)
        if NotificationEvent.OVERDUE in channel.events
    ]
    subject = _subject(campaign, plan, milestone, kind)
    for channel in channels:
        if channel.mode == ChannelMode.DIGEST:
            digest_collect(
                channel,
                [
                    DeliveryItem(flag_id=pk, kind=NotificationEvent.OVERDUE, headline=subject)
                    for pk in flag_ids
                ],
                timezone.now(),
                total=total,
            )
    destinations: list[dict[str, object]] = [
        {"channel": channel} for channel in channels if channel.mode != ChannelMode.DIGEST
    ]
    if kind == CampaignEventKind.ESCALATED:
        destinations += [
            {"recipient_user_id": user_id}
            for user_id in Membership.objects.filter(
                organization=plan.organization,
                role__in=(Role.OWNER, Role.ADMIN),
                user__is_active=True,
            )
            .exclude(user__email="")
            .values_list("user_id", flat=True)
        ]
    written = []
    for destination in destinations:
        who = (
            f"channel:{destination['channel'].pk}"  # type: ignore[attr-defined]
            if "channel" in destination
            else f"user:{destination['recipient_user_id']}"
        )
        try:
            with transaction.atomic():
                delivery = Delivery.objects.create(
                    organization=plan.organization,
                    kind=DeliveryKind.CAMPAIGN,
                    subject=subject,
                    item_count=total,
                    dedupe_key=f"campaign:{milestone.pk}:{kind}:{milestone.due_on}:{who}",
                    next_attempt_at=timezone.now(),
                    **destination,  # type: ignore[arg-type]
                )
                DeliveryItem.objects.bulk_create(
                    DeliveryItem(delivery=delivery, flag_id=pk, kind=NotificationEvent.OVERDUE)
                    for pk in flag_ids
                )
        except IntegrityError:
            continue  # told already (a second run)
        written.append(delivery.pk)
    return written
