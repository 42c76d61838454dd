"""Writes of campaigns: open one from an advisory, move a milestone, keep the organizations'
plans, record progress, close it. Every write is audited and enters the campaign's history
(``CampaignEvent``), from which a report for any past date is rebuilt.

Opening, moving milestones and closing are for analysts who see every organization (a CERT's,
a group's central team: the platform analyst role); an organization's plan is its admins'.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from advisories.choices import AdvisoryStatus, RecommendedAction
from advisories.models import Advisory
from audit.services import audit_record
from campaigns.choices import DEFAULT_MILESTONES, CampaignEventKind, CampaignScope, CampaignStatus
from campaigns.models import Campaign, CampaignEvent, Milestone, Plan, ProgressSample
from campaigns.progress import Counts, live_counts
from orgs.choices import Role
from orgs.models import Organization
from orgs.scoping import Actor, advisory_reach_organization_ids, has_role, organization_ids
from vendors.choices import CriticalityTier, Sector
from vendors.models import Product

PLAN_FIELDS = ("replacement_product", "replacement_text", "responsible", "target_date", "notes")


def can_run_campaigns(user: Actor) -> bool:
    """Whether ``user`` may open, reschedule and close campaigns: an analyst of every
    organization, since a campaign spans them."""
    return organization_ids(user, minimum=Role.ANALYST) is None


def _require_campaign_analyst(user: Actor) -> None:
    if not can_run_campaigns(user):
        raise PermissionDenied("Running a campaign needs the analyst role in every organization.")


def advisory_date(advisory: Advisory) -> date:
    """The day milestones count from: when the source issued the advisory, else when it was
    published here."""
    if advisory.issued_on is not None:
        return advisory.issued_on
    moment = advisory.published_at or timezone.now()
    return timezone.localdate(moment)


def event_record(
    *,
    campaign: Campaign,
    kind: CampaignEventKind,
    actor: Actor | None = None,
    organization: Organization | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CampaignEvent:
    """Append one entry to the campaign's history."""
    if actor is not None and not actor.is_authenticated:
        actor = None
    return CampaignEvent.objects.create(
        campaign=campaign,
        organization=organization,
        kind=kind,
        actor_id=actor.pk if actor is not None else None,
        actor_name=actor.get_username() if actor is not None else "",
        data=data or {},
        created_at=at or timezone.now(),
    )


def _validated_scope(
    scope: str, sectors: Sequence[str], tiers: Sequence[str]
) -> tuple[list[str], list[str]]:
    if scope not in CampaignScope.values:
        raise ValidationError({"scope": f"Choose one of: {', '.join(CampaignScope.values)}."})
    unknown = sorted(set(sectors) - set(Sector.values))
    if unknown:
        raise ValidationError({"scope_sectors": f"Unknown sectors: {', '.join(unknown)}."})
    unknown = sorted(set(tiers) - set(CriticalityTier.values))
    if unknown:
        raise ValidationError({"scope_tiers": f"Unknown tiers: {', '.join(unknown)}."})
    if scope == CampaignScope.PROFILE and not sectors and not tiers:
        raise ValidationError(
            {"scope_sectors": "Choose at least one sector or tier, or every flagged organization."}
        )
    if scope == CampaignScope.FLAGGED and (sectors or tiers):
        raise ValidationError(
            {"scope_sectors": "Sectors and tiers choose organizations only in the profile scope."}
        )
    return [s for s in Sector.values if s in sectors], [
        t for t in CriticalityTier.values if t in tiers
    ]


def _validated_milestones(
    milestones: Sequence[tuple[str, str, int]] | None,
) -> list[tuple[str, str, int]]:
    chosen = list(milestones) if milestones is not None else list(DEFAULT_MILESTONES)
    if not chosen:
        raise ValidationError({"milestones": "A campaign needs at least one milestone."})
    keys = [key for key, _name, _offset in chosen]
    if len(set(keys)) != len(keys):
        raise ValidationError({"milestones": "Each milestone needs a key of its own."})
    offsets = [offset for _key, _name, offset in chosen]
    if any(offset < 0 for offset in offsets) or offsets != sorted(offsets):
        raise ValidationError(
            {"milestones": "Milestones fall on or after the advisory's date, in their order."}
        )
    return chosen


def scope_organization_ids(campaign: Campaign) -> set[int]:
    """The organizations a campaign names now: those with an affected item, or every
    organization of its sectors and tiers (which must say whether they run any); of a
    restricted advisory (TLP), only those that may read it."""
    reach = advisory_reach_organization_ids(campaign.advisory_id)
    if campaign.scope == CampaignScope.FLAGGED:
        counts = live_counts(campaign=campaign)
        return {org for org, count in counts.items() if count.remaining and org in reach}
    organizations = Organization.objects.all()
    if campaign.scope_sectors:
        organizations = organizations.filter(sector__in=campaign.scope_sectors)
    if campaign.scope_tiers:
        organizations = organizations.filter(criticality_tier__in=campaign.scope_tiers)
    return set(organizations.values_list("pk", flat=True)) & reach


def _plans_add(
    campaign: Campaign, org_ids: Iterable[int], counts: dict[int, Counts], now: datetime
) -> list[Plan]:
    plans = Plan.objects.bulk_create(
        Plan(
            campaign=campaign,
            organization_id=org,
            joined_at=now,
            items_at_start=counts.get(org, Counts()).remaining,
        )
        for org in sorted(org_ids)
    )
    ProgressSample.objects.bulk_create(
        ProgressSample(
            campaign=campaign,
            organization_id=plan.organization_id,
            recorded_at=now,
            remaining=plan.items_at_start,
            replaced=0,
        )
        for plan in plans
    )
    return plans


def milestone_snapshot(milestone: Milestone) -> dict[str, Any]:
    return {
        "key": milestone.key,
        "name": milestone.name,
        "offset_days": milestone.offset_days,
        "due_on": milestone.due_on.isoformat(),
    }


@transaction.atomic
def campaign_open(
    *,
    advisory: Advisory,
    user: Actor,
    scope: str = CampaignScope.FLAGGED,
    scope_sectors: Sequence[str] = (),
    scope_tiers: Sequence[str] = (),
    title: str = "",
    guidance: str = "",
    milestones: Sequence[tuple[str, str, int]] | None = None,
    replacement_products: Sequence[Product] = (),
    request: HttpRequest | None = None,
) -> Campaign:
    """Open a campaign from a published advisory that asks to replace or remove what it
    covers; ``milestones`` are ``(key, name, days after the advisory)``, the default
    programme when omitted. Every organization in scope gets a plan holding its affected
    items as they are now."""
    _require_campaign_analyst(user)
    if advisory.status != AdvisoryStatus.PUBLISHED:
        raise ValidationError({"advisory": "Only a published advisory can open a campaign."})
    if advisory.recommended_action != RecommendedAction.REPLACE:
        raise ValidationError(
            {"advisory": "A campaign is opened from an advisory that asks to replace or remove."}
        )
    if Campaign.objects.filter(advisory=advisory).exists():
        raise ValidationError({"advisory": "This advisory already has a campaign."})
    sectors, tiers = _validated_scope(scope, scope_sectors, scope_tiers)
    chosen = _validated_milestones(milestones)
    now = timezone.now()
    campaign = Campaign.objects.create(
        advisory=advisory,
        title=(title or f"Replace: {advisory.title}")[:300],
        guidance=guidance,
        scope=scope,
        scope_sectors=sectors,
        scope_tiers=tiers,
        opened_at=now,
        opened_by=user if user.is_authenticated else None,
    )
    campaign.replacement_products.set(replacement_products)
    start = advisory_date(advisory)
    created = Milestone.objects.bulk_create(
        Milestone(
            campaign=campaign,
            key=key,
            name=name,
            position=position,
            offset_days=offset,
            due_on=start + timedelta(days=offset),
        )
        for position, (key, name, offset) in enumerate(chosen)
    )
    counts = live_counts(campaign=campaign)
    plans = _plans_add(campaign, scope_organization_ids(campaign), counts, now)
    data = {
        "title": campaign.title,
        "scope": scope,
        "scope_sectors": sectors,
        "scope_tiers": tiers,
        "milestones": [milestone_snapshot(m) for m in created],
        "replacement_products": [str(p) for p in replacement_products],
        "organizations": [plan.organization_id for plan in plans],
    }
    event_record(campaign=campaign, kind=CampaignEventKind.OPENED, actor=user, data=data, at=now)
    audit_record(action="campaign.open", actor=user, obj=campaign, after=data, request=request)
    return campaign


@transaction.atomic
def milestone_update(
    *,
    milestone: Milestone,
    user: Actor,
    due_on: date,
    name: str | None = None,
    request: HttpRequest | None = None,
) -> Milestone:
    """Move a milestone's date (and rename it); milestones keep their order."""
    _require_campaign_analyst(user)
    siblings = list(milestone.campaign.milestones.exclude(pk=milestone.pk))
    for other in siblings:
        if (other.position < milestone.position and other.due_on > due_on) or (
            other.position > milestone.position and other.due_on < due_on
        ):
            raise ValidationError(
                {"due_on": f"It would fall out of order with '{other.name}' ({other.due_on})."}
            )
    before = milestone_snapshot(milestone)
    milestone.due_on = due_on
    if name is not None:
        if not name.strip():
            raise ValidationError({"name": "A milestone needs a name."})
        milestone.name = name.strip()[:200]
    milestone.offset_days = max((due_on - advisory_date(milestone.campaign.advisory)).days, 0)
    milestone.save()
    after = milestone_snapshot(milestone)
    event_record(
        campaign=milestone.campaign,
        kind=CampaignEventKind.MILESTONE_CHANGED,
        actor=user,
        data=after,
    )
    audit_record(
        action="campaign.milestone_update",
        actor=user,
        obj=milestone,
        before=before,
        after=after,
        request=request,
    )
    return milestone


def plan_snapshot(plan: Plan) -> dict[str, Any]:
    return {
        "replacement_product": str(plan.replacement_product) if plan.replacement_product else "",
        "replacement_product_id": plan.replacement_product_id,
        "replacement_text": plan.replacement_text,
        "responsible": plan.responsible,
        "target_date": plan.target_date.isoformat() if plan.target_date else None,
        "notes": plan.notes,
    }


@transaction.atomic
def plan_update(
    *, plan: Plan, user: Actor, data: dict[str, Any], request: HttpRequest | None = None
) -> Plan:
    """Save an organization's plan: the replacement (a catalogue product or free text), who
    answers for it, the target date and notes per site or item group. Its admins write it."""
    if not has_role(user, plan.organization, Role.ADMIN):
        raise PermissionDenied(f"Writing the plan needs the admin role in {plan.organization}.")
    if plan.campaign.status != CampaignStatus.OPEN:
        raise ValidationError("The campaign is closed.")
    unknown = sorted(set(data) - set(PLAN_FIELDS))
    if unknown:
        raise ValidationError({unknown[0]: "Not a field of a plan."})
    before = plan_snapshot(plan)
    for field, value in data.items():
        setattr(plan, field, value)
    plan.full_clean(exclude=["campaign", "organization"])
    plan.save()
    after = plan_snapshot(plan)
    event_record(
        campaign=plan.campaign,
        kind=CampaignEventKind.PLAN_SAVED,
        actor=user,
        organization=plan.organization,
        data=after,
    )
    audit_record(
        action="campaign.plan_update",
        actor=user,
        organization=plan.organization,
        obj=plan,
        before=before,
        after=after,
        request=request,
    )
    return plan


@transaction.atomic
def campaign_close(*, campaign: Campaign, user: Actor, request: HttpRequest | None = None) -> None:
    """End a campaign: its pages and reports stay, nothing more is attested or reminded."""
    _require_campaign_analyst(user)
    if campaign.status == CampaignStatus.CLOSED:
        return
    campaign_progress_record(campaign=campaign)
    campaign.status = CampaignStatus.CLOSED
    campaign.closed_at = timezone.now()
    campaign.save(update_fields=["status", "closed_at"])
    event_record(
        campaign=campaign, kind=CampaignEventKind.CLOSED, actor=user, at=campaign.closed_at
    )
    audit_record(action="campaign.close", actor=user, obj=campaign, request=request)


def campaign_progress_record(*, campaign: Campaign, now: datetime | None = None) -> int:
    """Bring a campaign's history up to date: organizations that came into its scope join it,
    and each organization whose remaining or replaced items changed gets a new sample.
    Returns the samples written; a second call with nothing changed writes none. Concurrent
    calls take turns on the campaign's row."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != CampaignStatus.OPEN:
            return 0
        now = now or timezone.now()
        counts = live_counts(campaign=campaign)
        planned = set(campaign.plans.values_list("organization_id", flat=True))
        joining = scope_organization_ids(campaign) - planned
        for plan in _plans_add(campaign, joining, counts, now):
            event_record(
                campaign=campaign,
                kind=CampaignEventKind.ORGANIZATION_JOINED,
                organization=plan.organization,
                data={"items_at_start": plan.items_at_start},
                at=now,
            )
        last = _latest_samples(campaign, now)
        changed = [
            ProgressSample(
                campaign=campaign,
                organization_id=org,
                recorded_at=now,
                remaining=current.remaining,
                replaced=current.replaced,
            )
            for org in sorted(planned)
            if (current := counts.get(org, Counts())) != last.get(org, Counts())
        ]
        ProgressSample.objects.bulk_create(changed)
        return len(changed) + len(joining)


def _latest_samples(campaign: Campaign, at: datetime) -> dict[int, Counts]:
    """Each organization's numbers as last recorded at or before ``at``."""
    latest: dict[int, Counts] = {}
    rows = (
        ProgressSample.objects.filter(campaign=campaign, recorded_at__lte=at)
        .order_by("recorded_at", "pk")
        .values_list("organization_id", "remaining", "replaced")
    )
    for org, remaining, replaced in rows.iterator(chunk_size=5000):
        latest[org] = Counts(remaining, replaced)
    return latest


def campaigns_progress_record() -> int:
    """Record the progress of every open campaign (the periodic task)."""
    return sum(
        campaign_progress_record(campaign=campaign)
        for campaign in Campaign.objects.filter(status=CampaignStatus.OPEN)
    )
