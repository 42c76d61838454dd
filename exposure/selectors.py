"""Read queries of exposure data; every one is scoped through ``visible_to``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from advisories.choices import Severity
from advisories.models import Advisory
from exposure.choices import ACTIVE_FLAG_STATUSES, Confidence, FlagStatus, MatchRunKind
from exposure.engine import Scope, preview_scope
from exposure.engine.sql import Sql
from exposure.models import Flag, MatchRun
from orgs.models import Organization
from orgs.scoping import Actor, sees_all_organizations, visible_organization_ids


def organizations_with_exposure(*, user: Actor) -> QuerySet[Organization, Any]:
    """The organizations ``user`` may see, each with its item count and open-flag count."""
    return (
        Organization.objects.visible_to(user)
        .annotate(
            item_count=Count("inventory_items", distinct=True),
            open_flag_count=Count(
                "flags", filter=Q(flags__status__in=ACTIVE_FLAG_STATUSES), distinct=True
            ),
        )
        .order_by("-open_flag_count", "name")
    )


@dataclass(frozen=True)
class ImpactItem:
    """An item an advisory would flag."""

    id: int
    label: str
    confidence: str
    priority: int


@dataclass(frozen=True)
class OrganizationImpact:
    """One organization an advisory would flag: how many items, and a few of them."""

    organization_id: int
    name: str
    item_count: int
    possible_count: int
    sample_items: tuple[ImpactItem, ...]


@dataclass(frozen=True)
class AdvisoryImpact:
    """What an advisory would flag among the organizations a user may see."""

    organization_count: int
    item_count: int
    possible_count: int
    organizations: tuple[OrganizationImpact, ...]
    targets_needing_review: int


def advisory_impact(*, advisory: Advisory, user: Actor, samples: int = 5) -> AdvisoryImpact:
    """Preview an advisory (typically a draft): the organizations and items it would flag.

    The matching engine computes it exactly as a real run would, in dry-run mode (no writes),
    limited to the organizations ``user`` may see; organizations come most-affected first,
    each with up to ``samples`` of its items. Targets that need review match nothing and are
    counted so the editor knows the preview is incomplete.
    """
    needing_review = advisory.targets.filter(needs_review=True).count()
    visible = visible_organization_ids(user)
    organizations: Sql | None = None
    if visible is not None:
        try:
            sql, params = visible.query.sql_with_params()
        except EmptyResultSet:
            return AdvisoryImpact(0, 0, 0, (), needing_review)
        organizations = Sql(sql, params)
    rows = preview_scope(
        Scope(advisory_ids=(advisory.pk,), organizations=organizations, include_unpublished=True),
        samples=samples,
    )
    grouped: dict[int, OrganizationImpact] = {}
    for row in rows:
        item = ImpactItem(row.item_id, row.label, row.confidence, row.priority)
        known = grouped.get(row.organization_id)
        grouped[row.organization_id] = OrganizationImpact(
            organization_id=row.organization_id,
            name=row.organization_name,
            item_count=row.organization_item_count,
            possible_count=row.organization_possible_count,
            sample_items=(*(known.sample_items if known else ()), item),
        )
    impacts = tuple(grouped.values())
    return AdvisoryImpact(
        organization_count=len(impacts),
        item_count=sum(impact.item_count for impact in impacts),
        possible_count=sum(impact.possible_count for impact in impacts),
        organizations=impacts,
        targets_needing_review=needing_review,
    )


def flags_for_advisory(*, advisory: Advisory, user: Actor) -> QuerySet[Flag, Any]:
    """The flags an advisory raised in the organizations ``user`` may see, most urgent first."""
    return (
        Flag.objects.visible_to(user)
        .filter(advisory=advisory)
        .select_related("organization", "item", "matched_target")
        .order_by("-priority", "due_date", "organization__name", "pk")
    )


@dataclass(frozen=True)
class ExposureSummary:
    """An organization's flags at a glance."""

    active: int
    possible: int
    overdue: int
    highest_priority: int | None
    by_status: dict[str, int]
    active_by_severity: dict[str, int]


def org_exposure_summary(*, organization: Organization, user: Actor) -> ExposureSummary:
    """Counts of an organization's flags by status, and of its active ones by severity; all
    zero for a user who may not see the organization."""
    flags = Flag.objects.visible_to(user).filter(organization=organization)
    active = Q(status__in=ACTIVE_FLAG_STATUSES)
    today = timezone.localdate()
    totals = flags.aggregate(
        active=Count("pk", filter=active),
        possible=Count("pk", filter=active & Q(confidence=Confidence.POSSIBLE)),
        overdue=Count("pk", filter=active & Q(due_date__lt=today)),
        highest_priority=Max("priority", filter=active),
        **{f"status_{status}": Count("pk", filter=Q(status=status)) for status in FlagStatus},
        **{
            f"severity_{severity}": Count("pk", filter=active & Q(advisory__severity=severity))
            for severity in Severity
        },
    )
    return ExposureSummary(
        active=totals["active"],
        possible=totals["possible"],
        overdue=totals["overdue"],
        highest_priority=totals["highest_priority"],
        by_status={status.value: totals[f"status_{status}"] for status in FlagStatus},
        active_by_severity={
            severity.value: totals[f"severity_{severity}"] for severity in Severity
        },
    )


def match_runs_recent(
    *, user: Actor, kind: MatchRunKind | None = None, limit: int = 50
) -> QuerySet[MatchRun, Any]:
    """The latest matching runs, newest first; for platform readers only (runs span every
    organization), nothing for anyone else."""
    if not sees_all_organizations(user):
        return MatchRun.objects.none()
    runs = MatchRun.objects.all()
    if kind is not None:
        runs = runs.filter(kind=kind)
    return runs.order_by("-created_at", "-pk")[:limit]
