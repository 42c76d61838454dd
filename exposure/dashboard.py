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
from django.db.models import Case, Count, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from advisories.choices import SEVERITY_RANK, AdvisoryKind, AdvisoryStatus, Severity
from advisories.selectors import advisories_visible_to
from exposure.choices import ACTIVE_FLAG_STATUSES
from exposure.models import Flag
from orgs.models import ASSET_FIELDS, Organization
from orgs.scoping import Actor, hidden_advisory_ids, organization_ids
from vendors.models import Vendor

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

    pk: int
    name: str
    slug: str
    active: int
    critical: int
    overdue: int


@dataclass(frozen=True)
class VendorExposure:
    """A vendor behind active flags: how many, and in how many organizations."""

    pk: int
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
    # The item's ASSET_FIELDS, or None once the item is deleted.
    asset: dict[str, Any] | None


@dataclass(frozen=True)
class RecentAdvisory:
    """An advisory issued lately (by its source; entered here when it gives no date), with how
    many of the user's active flags it caused."""

    pk: int
    identifier: str
    title: str
    kind: str
    severity: str
    issued_on: date
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
    # (name, URL) of the organization when the user sees exactly one: the page then says whose
    # figures these are.
    sole_organization: tuple[str, str] | None
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


@dataclass(frozen=True)
class _Tally:
    """The active flags of one organization from one advisory: how many, how many overdue."""

    organization_id: int
    severity: str
    kind: str
    active: int
    overdue: int


def _tallies(flags: QuerySet[Flag, Any], today: date) -> list[_Tally]:
    """Active flags grouped by organization and by their advisory's severity and kind, in one
    pass over the flags.

    The severity, kind and organization figures are all sums over these groups, so the page
    reads the (large) flag table once. The groups are few (organizations times the severities
    and kinds in use): grouping by advisory instead made one group per organization and
    advisory, 27,000 over the benchmark's 200,000 flags, each built and summed in Python.
    """
    rows = (
        flags.order_by()
        .values_list("organization_id", "advisory__severity", "advisory__kind")
        .annotate(active=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today)))
    )
    return [_Tally(*row) for row in rows]


def _breakdowns(tallies: list[_Tally]) -> tuple[list[CountRow], list[CountRow]]:
    """Active flags by advisory severity and by advisory kind."""
    by_severity: dict[str, int] = defaultdict(int)
    by_kind: dict[str, int] = defaultdict(int)
    for tally in tallies:
        by_severity[tally.severity] += tally.active
        by_kind[tally.kind] += tally.active
    severities = sorted(Severity, key=lambda s: -SEVERITY_RANK[s])
    return (
        [CountRow(s.value, s.label, by_severity[s.value]) for s in severities],
        [CountRow(k.value, k.label, by_kind[k.value]) for k in AdvisoryKind],
    )


def _top_organizations(tallies: list[_Tally]) -> list[OrganizationExposure]:
    active: dict[int, int] = defaultdict(int)
    critical: dict[int, int] = defaultdict(int)
    overdue: dict[int, int] = defaultdict(int)
    for tally in tallies:
        active[tally.organization_id] += tally.active
        overdue[tally.organization_id] += tally.overdue
        if tally.severity == Severity.CRITICAL:
            critical[tally.organization_id] += tally.active
    top = sorted(active, key=lambda pk: (-active[pk], pk))[:TOP_ROWS]
    names = Organization.objects.in_bulk(top)
    return [
        OrganizationExposure(
            pk=pk,
            name=names[pk].name,
            slug=names[pk].slug,
            active=active[pk],
            critical=critical[pk],
            overdue=overdue[pk],
        )
        for pk in top
    ]


def _top_vendors(flags: QuerySet[Flag, Any]) -> list[VendorExposure]:
    """Vendors of the catalogue products behind active flags. Items matched only by CPE or
    purl, with no catalogue product, have no vendor to count and are left out.

    The flag records its product's vendor, so this groups the flag table alone, read in the
    order of its (vendor, organization, status) index, without the index's table rows.
    """
    rows = list(
        flags.filter(vendor__isnull=False)
        .order_by()
        .values("vendor_id")
        .annotate(active=Count("*"), organizations=Count("organization_id", distinct=True))
        .order_by("-active", "vendor_id")[:TOP_ROWS]
    )
    vendors = Vendor.objects.in_bulk([row["vendor_id"] for row in rows])
    return [
        VendorExposure(
            pk=row["vendor_id"],
            name=vendors[row["vendor_id"]].name,
            slug=vendors[row["vendor_id"]].slug,
            active=row["active"],
            organizations=row["organizations"],
        )
        for row in rows
    ]


def _overdue(user: Actor, today: date) -> list[OverdueFlag]:
    """The longest-overdue active flags. One query per active status, because each can walk
    the (status, due date) index in order and stop after a few rows, which a query over both
    statuses cannot."""
    candidates: list[Flag] = []
    for status in ACTIVE_FLAG_STATUSES:
        candidates += (
            Flag.objects.visible_to(user)
            .filter(status=status, due_date__lt=today)
            .select_related("advisory", "organization", "item")
            .order_by("due_date", "-priority", "pk")[:TOP_ROWS]
        )
    rows = sorted(candidates, key=lambda f: (f.due_date, -f.priority, f.pk))[:TOP_ROWS]
    return [
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
            asset=(
                None
                if flag.item is None
                else {name: getattr(flag.item, name) for name in ASSET_FIELDS}
            ),
        )
        for flag in rows
        if flag.due_date is not None
    ]


def _recent_advisories(user: Actor, now: datetime) -> list[RecentAdvisory]:
    active_for_advisory = (
        _active_flags(user)
        .filter(advisory=OuterRef("pk"))
        .order_by()
        .values("advisory")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # "Of the last 30 days" is about when the source issued an advisory: an old advisory
    # entered today is not news. One without an issue date counts from its publication here.
    since = now - timedelta(days=RECENT_ADVISORY_DAYS)
    rows = (
        advisories_visible_to(user=user)
        .filter(status=AdvisoryStatus.PUBLISHED)
        .filter(
            Q(issued_on__gte=timezone.localdate(since))
            | Q(issued_on__isnull=True, published_at__gte=since)
        )
        .annotate(
            active=Coalesce(Subquery(active_for_advisory), Value(0)),
            issued=Coalesce("issued_on", TruncDate("published_at")),
        )
        .order_by("-issued", "-published_at", "-pk")[:TOP_ROWS]
    )
    return [
        RecentAdvisory(
            pk=advisory.pk,
            identifier=advisory.identifier,
            title=advisory.title,
            kind=advisory.kind,
            severity=advisory.severity,
            issued_on=advisory.issued,
            active=advisory.active,
        )
        for advisory in rows
    ]


def open_flag_trend(
    *,
    user: Actor,
    today: date,
    days: int = TREND_DAYS,
    organization: Organization | None = None,
) -> list[TrendPoint]:
    """How many of the user's flags (of ``organization`` alone when given) were active at the
    end of each of the last ``days`` days.

    Derived from the flags themselves in one pass: a flag counts as active from
    ``first_seen_at`` until it was closed, where a closed flag's closing time is ``resolved_at``
    (the matcher resolved it) or else ``status_changed_at`` (a person closed it). A flag that
    was closed and later reopened counts as active for its whole life, since only its last
    status change is on the row; the flag history has the detail when that matters.

    The flags that matter are grouped by the day they opened and the day they closed, each
    null when it falls before the window (or, for closing, has not happened): at most
    ``days``² groups, from which the count before the window and each day's changes follow.
    """
    tz = timezone.get_current_timezone()
    first_day = today - timedelta(days=days - 1)
    start = datetime.combine(first_day, time.min, tzinfo=tz)
    active = Q(status__in=ACTIVE_FLAG_STATUSES)
    flags = Flag.objects.visible_to(user)
    if organization is not None:
        flags = flags.filter(organization=organization)
    rows = (
        flags.annotate(closed_at=Coalesce("resolved_at", "status_changed_at"))
        .filter(Q(first_seen_at__gte=start) | active | Q(closed_at__gte=start))
        .annotate(
            opened_on=Case(
                When(first_seen_at__gte=start, then=TruncDate("first_seen_at", tzinfo=tz))
            ),
            closed_on=Case(
                When(~active & Q(closed_at__gte=start), then=TruncDate("closed_at", tzinfo=tz))
            ),
        )
        .order_by()
        .values_list("opened_on", "closed_on")
        .annotate(n=Count("pk"))
    )
    already_active = 0
    opened: dict[date, int] = defaultdict(int)
    closed: dict[date, int] = defaultdict(int)
    for opened_on, closed_on, count in rows:
        if opened_on is None:
            already_active += count
        else:
            opened[opened_on] += count
        if closed_on is not None:
            closed[closed_on] += count
    points: list[TrendPoint] = []
    running = already_active
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        running += opened[day] - closed[day]
        points.append(TrendPoint(day, running))
    return points


def _cache_key(user: Actor, today: date) -> str:
    """Users who see the same organizations and advisories share one cached overview."""
    ids = organization_ids(user)
    scope = "all" if ids is None else ",".join(str(pk) for pk in sorted(ids))
    scope += ";hidden:" + ",".join(str(pk) for pk in sorted(hidden_advisory_ids(user)))
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
    tallies = _tallies(flags, today)
    by_severity, by_kind = _breakdowns(tallies)
    organizations = Organization.objects.visible_to(user)
    organization_count = organizations.count()
    sole = organizations.get() if organization_count == 1 else None
    overview = Overview(
        organization_count=organization_count,
        sole_organization=(sole.name, sole.get_absolute_url()) if sole else None,
        active_total=sum(tally.active for tally in tallies),
        overdue_total=sum(tally.overdue for tally in tallies),
        by_severity=by_severity,
        by_kind=by_kind,
        organizations=_top_organizations(tallies),
        vendors=_top_vendors(flags),
        overdue=_overdue(user, today),
        recent_advisories=_recent_advisories(user, now),
        trend=open_flag_trend(user=user, today=today),
    )
    if key is not None:
        cache.set(key, overview, CACHE_SECONDS)
    return overview
