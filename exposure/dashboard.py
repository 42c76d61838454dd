"""Read queries of the overview dashboard, each scoped to the organizations a user may see.

Every figure is an aggregate computed in SQL, so the dashboard costs the same dozen queries
whether the user sees three flags or three hundred thousand. The whole overview is cached for
a minute per set of visible organizations: analysts reload it often, and a figure a minute old
is as useful as a fresh one, while flags change through triage and matching that the cache
does not need to follow exactly.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from advisories.choices import SEVERITY_RANK, AdvisoryKind, AdvisoryStatus, Severity
from advisories.models import Advisory
from exposure.choices import ACTIVE_FLAG_STATUSES
from exposure.models import Flag
from orgs.models import Organization
from orgs.scoping import Actor, sees_all_organizations, visible_organization_ids

TREND_DAYS = 90
TOP_ROWS = 8
RECENT_ADVISORY_DAYS = 30
CACHE_SECONDS = 60


@dataclass(frozen=True)
class CountRow:
    """One labelled figure of a breakdown (a severity, an advisory kind)."""

    key: str
    label: str
    count: int


@dataclass(frozen=True)
class OrganizationExposure:
    """An organization with its active flags, the critical and overdue among them."""

    name: str
    slug: str
    active: int
    critical: int
    overdue: int


@dataclass(frozen=True)
class VendorExposure:
    """A vendor behind active flags: how many, and in how many organizations."""

    name: str
    slug: str
    active: int
    organizations: int


@dataclass(frozen=True)
class OverdueFlag:
    """An active flag past its due date."""

    pk: int
    advisory_pk: int
    advisory_identifier: str
    advisory_title: str
    severity: str
    organization_name: str
    organization_slug: str
    item_label: str
    due_date: date


@dataclass(frozen=True)
class RecentAdvisory:
    """An advisory published lately, with how many of the user's active flags it caused."""

    pk: int
    identifier: str
    title: str
    kind: str
    severity: str
    published_on: date
    active: int


@dataclass(frozen=True)
class TrendPoint:
    """How many flags were active at the end of ``day``."""

    day: date
    count: int


@dataclass(frozen=True)
class Overview:
    """Everything the overview page shows."""

    organization_count: int
    active_total: int
    overdue_total: int
    by_severity: list[CountRow]
    by_kind: list[CountRow]
    organizations: list[OrganizationExposure]
    vendors: list[VendorExposure]
    overdue: list[OverdueFlag]
    recent_advisories: list[RecentAdvisory]
    trend: list[TrendPoint]


def _active_flags(user: Actor) -> QuerySet[Flag, Any]:
    return Flag.objects.visible_to(user).filter(status__in=ACTIVE_FLAG_STATUSES)


def _breakdowns(flags: QuerySet[Flag, Any]) -> tuple[list[CountRow], list[CountRow]]:
    """Active flags by advisory severity and by advisory kind, from one grouped query."""
    by_severity: dict[str, int] = defaultdict(int)
    by_kind: dict[str, int] = defaultdict(int)
    rows = flags.values("advisory__severity", "advisory__kind").annotate(n=Count("pk"))
    for row in rows:
        by_severity[row["advisory__severity"]] += row["n"]
        by_kind[row["advisory__kind"]] += row["n"]
    severities = sorted(Severity, key=lambda s: -SEVERITY_RANK[s])
    return (
        [CountRow(s.value, s.label, by_severity[s.value]) for s in severities],
        [CountRow(k.value, k.label, by_kind[k.value]) for k in AdvisoryKind],
    )


def _top_organizations(flags: QuerySet[Flag, Any], today: date) -> list[OrganizationExposure]:
    rows = list(
        flags.values("organization_id")
        .annotate(
            active=Count("pk"),
            critical=Count("pk", filter=Q(advisory__severity=Severity.CRITICAL)),
            overdue=Count("pk", filter=Q(due_date__lt=today)),
        )
        .order_by("-active", "organization_id")[:TOP_ROWS]
    )
    names = Organization.objects.in_bulk([row["organization_id"] for row in rows])
    return [
        OrganizationExposure(
            name=names[row["organization_id"]].name,
            slug=names[row["organization_id"]].slug,
            active=row["active"],
            critical=row["critical"],
            overdue=row["overdue"],
        )
        for row in rows
    ]


def _top_vendors(flags: QuerySet[Flag, Any]) -> list[VendorExposure]:
    """Vendors of the catalogue products behind active flags. Items matched only by CPE or
    purl, with no catalogue product, have no vendor to count and are left out."""
    rows = (
        flags.filter(item__product__isnull=False)
        .values(
            vendor_name=F("item__product__vendor__name"),
            vendor_slug=F("item__product__vendor__slug"),
        )
        .annotate(active=Count("pk"), organizations=Count("organization_id", distinct=True))
        .order_by("-active", "vendor_name")[:TOP_ROWS]
    )
    return [
        VendorExposure(
            name=row["vendor_name"],
            slug=row["vendor_slug"],
            active=row["active"],
            organizations=row["organizations"],
        )
        for row in rows
    ]


def _overdue(flags: QuerySet[Flag, Any], today: date) -> tuple[int, list[OverdueFlag]]:
    overdue = flags.filter(due_date__lt=today)
    rows = overdue.select_related("advisory", "organization").order_by(
        "due_date", "-priority", "pk"
    )[:TOP_ROWS]
    listed = [
        OverdueFlag(
            pk=flag.pk,
            advisory_pk=flag.advisory_id,
            advisory_identifier=flag.advisory.identifier,
            advisory_title=flag.advisory.title,
            severity=flag.advisory.severity,
            organization_name=flag.organization.name,
            organization_slug=flag.organization.slug,
            item_label=flag.item_label,
            due_date=flag.due_date,
        )
        for flag in rows
        if flag.due_date is not None
    ]
    return overdue.count(), listed


def _recent_advisories(user: Actor, now: datetime) -> list[RecentAdvisory]:
    active_for_advisory = (
        _active_flags(user)
        .filter(advisory=OuterRef("pk"))
        .order_by()
        .values("advisory")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        Advisory.objects.filter(
            status=AdvisoryStatus.PUBLISHED,
            published_at__gte=now - timedelta(days=RECENT_ADVISORY_DAYS),
        )
        .annotate(active=Coalesce(Subquery(active_for_advisory), Value(0)))
        .order_by("-published_at", "-pk")[:TOP_ROWS]
    )
    return [
        RecentAdvisory(
            pk=advisory.pk,
            identifier=advisory.identifier,
            title=advisory.title,
            kind=advisory.kind,
            severity=advisory.severity,
            published_on=timezone.localdate(advisory.published_at),
            active=advisory.active,
        )
        for advisory in rows
        if advisory.published_at is not None
    ]


def open_flag_trend(*, user: Actor, today: date, days: int = TREND_DAYS) -> list[TrendPoint]:
    """How many of the user's flags were active at the end of each of the last ``days`` days.

    Derived from the flags themselves in three grouped queries: a flag counts as active from
    ``first_seen_at`` until it was closed, where a closed flag's closing time is ``resolved_at``
    (the matcher resolved it) or else ``status_changed_at`` (a person closed it). A flag that
    was closed and later reopened counts as active for its whole life, since only its last
    status change is on the row; the flag history has the detail when that matters.
    """
    tz = timezone.get_current_timezone()
    first_day = today - timedelta(days=days - 1)
    start = datetime.combine(first_day, time.min, tzinfo=tz)
    flags = Flag.objects.visible_to(user)
    closed = ~Q(status__in=ACTIVE_FLAG_STATUSES)
    closed_at = Coalesce("resolved_at", "status_changed_at")

    already_active = (
        flags.filter(first_seen_at__lt=start)
        .annotate(closed_at=closed_at)
        .filter(Q(status__in=ACTIVE_FLAG_STATUSES) | Q(closed_at__gte=start))
        .count()
    )
    opened = dict(
        flags.filter(first_seen_at__gte=start)
        .annotate(day=TruncDate("first_seen_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    closed_per_day = dict(
        flags.filter(closed)
        .annotate(closed_at=closed_at)
        .filter(closed_at__gte=start)
        .annotate(day=TruncDate("closed_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    points: list[TrendPoint] = []
    running = already_active
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        running += opened.get(day, 0) - closed_per_day.get(day, 0)
        points.append(TrendPoint(day, running))
    return points


def _cache_key(user: Actor, today: date) -> str | None:
    """Users who see the same organizations share one cached overview."""
    if sees_all_organizations(user):
        scope = "all"
    else:
        ids = visible_organization_ids(user)
        if ids is None:
            return None
        scope = ",".join(str(pk) for pk in sorted(ids.values_list("pk", flat=True)))
    digest = hashlib.sha256(scope.encode()).hexdigest()[:24]
    return f"dashboard:overview:{today.isoformat()}:{digest}"


def dashboard_overview(*, user: Actor, use_cache: bool = True) -> Overview:
    """The overview of the flags of every organization ``user`` may see."""
    now = timezone.now()
    today = timezone.localdate(now)
    key = _cache_key(user, today) if use_cache else None
    if key is not None:
        cached: Overview | None = cache.get(key)
        if cached is not None:
            return cached
    flags = _active_flags(user)
    by_severity, by_kind = _breakdowns(flags)
    overdue_total, overdue = _overdue(flags, today)
    overview = Overview(
        organization_count=Organization.objects.visible_to(user).count(),
        active_total=sum(row.count for row in by_severity),
        overdue_total=overdue_total,
        by_severity=by_severity,
        by_kind=by_kind,
        organizations=_top_organizations(flags, today),
        vendors=_top_vendors(flags),
        overdue=overdue,
        recent_advisories=_recent_advisories(user, now),
        trend=open_flag_trend(user=user, today=today),
    )
    if key is not None:
        cache.set(key, overview, CACHE_SECONDS)
    return overview
