"""Reads of campaigns, through the one tenant rule: a user sees the plans of the organizations
they may see, and a campaign's numbers add up those plans only.

``campaign_dashboard`` is the campaign now, from the flags; ``campaign_state_at`` rebuilds it
for any past moment from the campaign's history alone (progress samples and events), which is
what a regulator report shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from campaigns.choices import (
    MILESTONE_STATE_RANK,
    AttestationStatus,
    CampaignEventKind,
    MilestoneState,
)
from campaigns.models import Attestation, Campaign, CampaignEvent, Milestone, Plan, ProgressSample
from campaigns.progress import Counts, live_counts, milestone_state
from orgs.models import Organization
from orgs.scoping import Actor, hidden_advisory_ids, organization_ids


def campaigns_visible(*, user: Actor) -> QuerySet[Campaign, Any]:
    """Campaigns with a plan in an organization ``user`` may see (every campaign for who sees
    every organization), of advisories they may read."""
    campaigns = Campaign.objects.select_related("advisory")
    if organization_ids(user) is None:
        hidden = hidden_advisory_ids(user)
        return campaigns.exclude(advisory_id__in=sorted(hidden)) if hidden else campaigns
    return campaigns.filter(pk__in=Plan.objects.visible_to(user).values("campaign_id"))


def campaign_for_page(*, user: Actor, pk: int) -> Campaign:
    campaign = campaigns_visible(user=user).filter(pk=pk).first()
    if campaign is None:
        raise Http404("No such campaign.")
    return campaign


def plan_for_page(*, user: Actor, campaign: Campaign, slug: str) -> Plan:
    plan = (
        Plan.objects.visible_to(user)
        .filter(campaign=campaign, organization__slug=slug)
        .select_related("organization", "replacement_product__vendor", "campaign__advisory")
        .first()
    )
    if plan is None:
        raise Http404("No such plan.")
    return plan


def attestation_for_page(*, user: Actor, pk: int) -> Attestation:
    attestation = (
        Attestation.objects.visible_to(user)
        .filter(pk=pk)
        .select_related("plan__organization", "plan__campaign", "milestone")
        .first()
    )
    if attestation is None:
        raise Http404("No such attestation.")
    return attestation


@dataclass
class MilestoneCell:
    milestone: Milestone
    state: MilestoneState
    attestation_id: int | None = None


@dataclass
class PlanRow:
    """One organization's line of a campaign."""

    plan: Plan
    organization: Organization
    items_at_start: int
    remaining: int
    replaced: int
    cells: list[MilestoneCell]
    state: MilestoneState
    days_late: int

    @property
    def percent_done(self) -> int:
        if not self.items_at_start:
            return 100 if not self.remaining else 0
        return max(0, round(100 * (1 - self.remaining / self.items_at_start)))


@dataclass
class MilestoneSummary:
    milestone: Milestone
    counts: dict[str, int]


@dataclass
class Dashboard:
    campaign: Campaign
    milestones: list[Milestone]
    rows: list[PlanRow]
    summaries: list[MilestoneSummary]
    items_at_start: int = 0
    remaining: int = 0
    replaced: int = 0
    late: int = 0
    states: dict[str, int] = field(default_factory=dict)


def latest_attestations(plan_ids: Iterable[int]) -> dict[tuple[int, int], tuple[int, str]]:
    """``(plan, milestone) → (attestation id, status)`` of each latest attestation."""
    latest: dict[tuple[int, int], tuple[int, str]] = {}
    rows = (
        Attestation.objects.filter(plan_id__in=list(plan_ids))
        .order_by("submitted_at", "pk")
        .values_list("plan_id", "milestone_id", "pk", "status")
    )
    for plan_id, milestone_id, pk, status in rows:
        latest[(plan_id, milestone_id)] = (pk, status)
    return latest


def _row_state(cells: list[MilestoneCell], today: date) -> tuple[MilestoneState, int]:
    """The state that needs attention first, and how many days the latest late milestone is
    overdue."""
    if not cells:
        return MilestoneState.ACCEPTED, 0
    worst = min(cells, key=lambda cell: MILESTONE_STATE_RANK[cell.state])
    late = [cell for cell in cells if cell.state == MilestoneState.LATE]
    days = (today - late[0].milestone.due_on).days if late else 0
    return worst.state, days


def _sorted(rows: list[PlanRow]) -> list[PlanRow]:
    """Late first (the longest overdue first), then returned, awaiting review, pending, done."""
    return sorted(
        rows,
        key=lambda row: (MILESTONE_STATE_RANK[row.state], -row.days_late, row.organization.name),
    )


def plans_visible(*, campaign: Campaign, user: Actor) -> QuerySet[Plan, Any]:
    return Plan.objects.visible_to(user).filter(campaign=campaign).select_related("organization")


def _rows(
    milestones: list[Milestone], plans: list[Plan], counts: dict[int, Counts], today: date
) -> list[PlanRow]:
    latest = latest_attestations(plan.pk for plan in plans)
    rows = []
    for plan in plans:
        cells = []
        for milestone in milestones:
            pk, status = latest.get((plan.pk, milestone.pk), (None, None))
            state = milestone_state(status, milestone.due_on, today)
            cells.append(MilestoneCell(milestone, state, pk))
        state, days_late = _row_state(cells, today)
        current = counts.get(plan.organization_id, Counts())
        rows.append(
            PlanRow(
                plan,
                plan.organization,
                plan.items_at_start,
                current.remaining,
                current.replaced,
                cells,
                state,
                days_late,
            )
        )
    return rows


def campaign_dashboard(*, campaign: Campaign, user: Actor, today: date | None = None) -> Dashboard:
    """The campaign now, over the organizations ``user`` may see: each organization's items
    and milestone states (late first), totals, and each milestone's organizations by state."""
    today = today or timezone.localdate()
    milestones = list(campaign.milestones.all())
    # Only what a line shows: building 1,000 plans and organizations whole is most of the
    # selector's time.
    plans = list(
        plans_visible(campaign=campaign, user=user).only(
            "campaign_id",
            "items_at_start",
            "organization__name",
            "organization__slug",
            "organization__sector",
        )
    )
    counts = live_counts(campaign=campaign, organization_ids=organization_ids(user))
    return _dashboard(campaign, milestones, _sorted(_rows(milestones, plans, counts, today)))


def plan_progress(*, plan: Plan, today: date | None = None) -> PlanRow:
    """One organization's line of its campaign, now (``plan`` was found for the user)."""
    milestones = list(plan.campaign.milestones.all())
    counts = live_counts(campaign=plan.campaign, organization_ids=[plan.organization_id])
    return _rows(milestones, [plan], counts, today or timezone.localdate())[0]


def _dashboard(campaign: Campaign, milestones: list[Milestone], rows: list[PlanRow]) -> Dashboard:
    summaries = []
    for index, milestone in enumerate(milestones):
        by_state = {state.value: 0 for state in MilestoneState}
        for row in rows:
            by_state[row.cells[index].state] += 1
        summaries.append(MilestoneSummary(milestone, by_state))
    states = {state.value: 0 for state in MilestoneState}
    for row in rows:
        states[row.state] += 1
    return Dashboard(
        campaign=campaign,
        milestones=milestones,
        rows=rows,
        summaries=summaries,
        items_at_start=sum(row.items_at_start for row in rows),
        remaining=sum(row.remaining for row in rows),
        replaced=sum(row.replaced for row in rows),
        late=states[MilestoneState.LATE],
        states=states,
    )


# Each day's change of the remaining items: a sample's remaining less its organization's
# previous sample's, summed by the day it was recorded (in the site's time zone).
_BURNDOWN_SQL = """
SELECT day, SUM(delta) FROM (
    SELECT (recorded_at AT TIME ZONE %s)::date AS day,
        remaining - LAG(remaining, 1, 0) OVER (
            PARTITION BY organization_id ORDER BY recorded_at, id
        ) AS delta
    FROM campaigns_progresssample
    WHERE campaign_id = %s AND (%s OR organization_id = ANY(%s))
) AS changes
GROUP BY day ORDER BY day
"""


def campaign_burndown(
    *, campaign: Campaign, user: Actor, today: date | None = None
) -> list[tuple[date, int]]:
    """Affected items remaining across the organizations ``user`` may see, at the end of each
    day from the campaign's opening to ``today``, from its progress samples: the database sums
    each day's changes, so the rows read are the days, not the samples."""
    today = today or timezone.localdate()
    visible = organization_ids(user)
    with connection.cursor() as cursor:
        cursor.execute(
            _BURNDOWN_SQL,
            [
                timezone.get_current_timezone_name(),
                campaign.pk,
                visible is None,
                sorted(visible or ()),
            ],
        )
        changes = cursor.fetchall()
    total = 0
    points: list[tuple[date, int]] = []
    day = timezone.localdate(campaign.opened_at)
    for changed_on, delta in changes:
        while day < changed_on and day <= today:
            points.append((day, total))
            day += timedelta(days=1)
        total += delta
    while day <= today:
        points.append((day, total))
        day += timedelta(days=1)
    return points


# --- the campaign at a past moment, from its history ------------------------------------------


@dataclass
class AttestationRecord:
    at: datetime
    milestone: str
    status: str
    statement: str
    review_reason: str
    evidence: list[str]
    actor: str


@dataclass
class MilestoneAt:
    key: str
    name: str
    due_on: date
    state: MilestoneState


@dataclass
class OrganizationAt:
    organization: Organization
    joined_at: datetime
    items_at_start: int
    remaining: int
    replaced: int
    plan: dict[str, Any]
    milestones: list[MilestoneAt]
    attestations: list[AttestationRecord]
    state: MilestoneState = MilestoneState.PENDING


@dataclass
class CampaignAt:
    campaign: Campaign
    as_of: datetime
    milestones: list[dict[str, Any]]
    organizations: list[OrganizationAt]

    @property
    def items_at_start(self) -> int:
        return sum(row.items_at_start for row in self.organizations)

    @property
    def remaining(self) -> int:
        return sum(row.remaining for row in self.organizations)

    @property
    def replaced(self) -> int:
        return sum(row.replaced for row in self.organizations)


def end_of_day(day: date) -> datetime:
    """The last moment of ``day`` in the site's time zone: a report "for" a date shows what
    was true when it ended."""
    return timezone.make_aware(datetime.combine(day, time.max))


# The events a report replays one by one: the milestones' dates and names as they stood, and
# every attestation and review (each is a line of the report).
_REPLAYED = (
    CampaignEventKind.OPENED,
    CampaignEventKind.MILESTONE_CHANGED,
    CampaignEventKind.ATTESTED,
    CampaignEventKind.ACCEPTED,
    CampaignEventKind.RETURNED,
)


def _latest_per_organization(
    rows: QuerySet[Any, Any], visible: frozenset[int] | None, timestamp: str, *fields: str
) -> QuerySet[Any, Any]:
    """Each organization's latest row of a history table by ``timestamp`` (``DISTINCT ON`` in
    the database), over the organizations ``visible`` (``None``: all)."""
    if visible is not None:
        rows = rows.filter(organization_id__in=sorted(visible))
    return (
        rows.order_by("organization_id", f"-{timestamp}", "-pk")
        .distinct("organization_id")
        .values_list("organization_id", *fields)
    )


def campaign_state_at(*, campaign: Campaign, user: Actor, as_of: datetime) -> CampaignAt:
    """What was true of the campaign at ``as_of``, over the organizations ``user`` may see,
    rebuilt from its history: who had joined, their items at start, remaining and replaced
    (the latest progress sample), their plan as last saved, each milestone's date and state,
    and the attestations made and reviewed by then. Each organization's latest sample and
    plan are picked by the database; only the milestone changes and the attestations, which
    the report lists, are replayed in order."""
    plans = {
        plan.organization_id: plan
        for plan in plans_visible(campaign=campaign, user=user).filter(joined_at__lte=as_of)
    }
    visible = organization_ids(user)
    events = CampaignEvent.objects.filter(
        campaign=campaign, created_at__lte=as_of, kind__in=_REPLAYED
    ).order_by("created_at", "pk")
    if visible is not None:
        events = events.filter(
            Q(organization_id__isnull=True) | Q(organization_id__in=sorted(visible))
        )
    milestones: dict[str, dict[str, Any]] = {}
    latest_status: dict[tuple[int, str], str] = {}
    attestations: dict[int, list[AttestationRecord]] = {org: [] for org in plans}
    for kind, org, data, created_at, actor_name in events.values_list(
        "kind", "organization_id", "data", "created_at", "actor_name"
    ):
        if kind == CampaignEventKind.OPENED:
            milestones = {m["key"]: dict(m) for m in data["milestones"]}
        elif kind == CampaignEventKind.MILESTONE_CHANGED:
            milestones[data["key"]] = dict(data)
        elif org in plans:
            latest_status[(org, data["milestone"])] = data["status"]
            attestations[org].append(
                AttestationRecord(
                    at=created_at,
                    milestone=milestones.get(data["milestone"], {}).get("name", data["milestone"]),
                    status=AttestationStatus(data["status"]).label,
                    statement=data["statement"],
                    review_reason=data.get("review_reason", ""),
                    evidence=list(data.get("evidence", [])),
                    actor=actor_name,
                )
            )
    plan_data: dict[int, dict[str, Any]] = dict(
        _latest_per_organization(
            CampaignEvent.objects.filter(
                campaign=campaign, created_at__lte=as_of, kind=CampaignEventKind.PLAN_SAVED
            ),
            visible,
            "created_at",
            "data",
        )
    )
    samples = {
        org: Counts(remaining, replaced)
        for org, remaining, replaced in _latest_per_organization(
            ProgressSample.objects.filter(campaign=campaign, recorded_at__lte=as_of),
            visible,
            "recorded_at",
            "remaining",
            "replaced",
        )
    }
    day = timezone.localdate(as_of)
    ordered = list(milestones.values())  # in the campaign's order, as opened
    result = []
    for org, plan in plans.items():
        cells = [
            MilestoneAt(
                m["key"],
                m["name"],
                date.fromisoformat(m["due_on"]),
                milestone_state(
                    latest_status.get((org, m["key"])), date.fromisoformat(m["due_on"]), day
                ),
            )
            for m in ordered
        ]
        worst = min(
            (cell.state for cell in cells),
            key=MILESTONE_STATE_RANK.__getitem__,
            default=MilestoneState.ACCEPTED,
        )
        counts = samples.get(org, Counts(plan.items_at_start, 0))
        result.append(
            OrganizationAt(
                organization=plan.organization,
                joined_at=plan.joined_at,
                items_at_start=plan.items_at_start,
                remaining=counts.remaining,
                replaced=counts.replaced,
                plan=plan_data.get(org, {}),
                milestones=cells,
                attestations=attestations[org],
                state=worst,
            )
        )
    result.sort(key=lambda row: (MILESTONE_STATE_RANK[row.state], row.organization.name))
    return CampaignAt(campaign=campaign, as_of=as_of, milestones=ordered, organizations=result)
