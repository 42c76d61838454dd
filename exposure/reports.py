"""Read queries of the reports page: SLA compliance, ageing and time to resolve, per
organization and per sector, scoped to the organizations a user may see.

A flag is *closed* when it is mitigated, a false positive, or resolved by the matcher; its
closing time is ``resolved_at`` (the matcher) or else ``status_changed_at`` (a person), as on
the overview's trend. An accepted risk is neither open nor closed: it is left out of both.
*Within SLA* means closed on or before its due date; a flag without a due date is not counted
for compliance. Every figure comes from one grouped query over the user's flags.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from exposure.choices import ACTIVE_FLAG_STATUSES, FlagStatus
from exposure.models import Flag
from orgs.models import Organization
from orgs.scoping import Actor
from vendors.choices import Sector

# Periods the page offers for closed flags, in days; the first is the default.
REPORT_PERIODS = (90, 30, 365)
CLOSED_STATUSES = (FlagStatus.MITIGATED, FlagStatus.FALSE_POSITIVE, FlagStatus.RESOLVED)


@dataclass(frozen=True)
class AgeBucket:
    """A range of ages of open flags, in whole days since they were first seen."""

    key: str
    label: str
    min_days: int
    max_days: int | None


AGE_BUCKETS = (
    AgeBucket("0-7", "Up to 7 days", 0, 7),
    AgeBucket("8-30", "8 to 30 days", 8, 30),
    AgeBucket("31-90", "31 to 90 days", 31, 90),
    AgeBucket("91-180", "91 to 180 days", 91, 180),
    AgeBucket("181+", "Over 180 days", 181, None),
)


@dataclass
class Resolution:
    """The figures of one organization, one sector, or all of them together."""

    key: str
    name: str
    sector: str = ""
    active: int = 0
    overdue: int = 0
    ages: list[int] = field(default_factory=lambda: [0] * len(AGE_BUCKETS))
    closed: int = 0
    closed_with_due: int = 0
    within_sla: int = 0
    resolve_time: timedelta = timedelta(0)

    def add(self, other: Resolution) -> None:
        self.active += other.active
        self.overdue += other.overdue
        self.ages = [mine + theirs for mine, theirs in zip(self.ages, other.ages, strict=True)]
        self.closed += other.closed
        self.closed_with_due += other.closed_with_due
        self.within_sla += other.within_sla
        self.resolve_time += other.resolve_time

    @property
    def sla_percent(self) -> float | None:
        """Share of the closed flags with a due date that were closed by it."""
        if not self.closed_with_due:
            return None
        return round(100 * self.within_sla / self.closed_with_due, 1)

    @property
    def mean_days_to_resolve(self) -> float | None:
        if not self.closed:
            return None
        return round(self.resolve_time.total_seconds() / 86400 / self.closed, 1)


@dataclass(frozen=True)
class ResolutionReport:
    """Everything the reports page shows, for the period ``since`` to ``today``."""

    days: int
    since: date
    today: date
    organizations: list[Resolution]
    sectors: list[Resolution]
    total: Resolution


def resolution_report(
    *,
    user: Actor,
    today: date,
    days: int = REPORT_PERIODS[0],
    organization: Organization | None = None,
) -> ResolutionReport:
    """SLA compliance, ageing of open flags and mean time to resolve of the flags ``user`` may
    see (of ``organization`` alone when given), the closed ones of the last ``days`` days."""
    tz = timezone.get_current_timezone()
    since = today - timedelta(days=days)
    flags = Flag.objects.visible_to(user)
    if organization is not None:
        flags = flags.filter(organization=organization)
    figures = _figures_by_organization(
        flags, today=today, start=datetime.combine(since, time.min, tzinfo=tz)
    )
    organizations = Organization.objects.visible_to(user)
    if organization is not None:
        organizations = organizations.filter(pk=organization.pk)
    per_org: list[Resolution] = []
    for pk, name, slug, sector in organizations.order_by("name").values_list(
        "pk", "name", "slug", "sector"
    ):
        row = Resolution(key=slug, name=name, sector=sector)
        if pk in figures:
            row.add(figures[pk])
        per_org.append(row)
    by_sector: dict[str, Resolution] = defaultdict(lambda: Resolution(key="", name=""))
    total = Resolution(key="all", name="All organizations")
    for org in per_org:
        sector = by_sector[org.sector]
        if not sector.key:
            sector.key = org.sector
            sector.name = Sector(org.sector).label if org.sector in Sector.values else org.sector
        sector.add(org)
        total.add(org)
    return ResolutionReport(
        days=days,
        since=since,
        today=today,
        organizations=per_org,
        sectors=sorted(by_sector.values(), key=lambda sector: sector.name),
        total=total,
    )


def _figures_by_organization(
    flags: QuerySet[Flag, Any], *, today: date, start: datetime
) -> dict[int, Resolution]:
    """The figures of each organization among ``flags``, the closed ones since ``start``.

    The flags are grouped by organization, status and the few facts the figures count by (an
    open flag's overdue and age bucket, a closed flag's keeping of its due date), and each
    organization's figures are summed from its few groups here. That evaluates each fact once
    per flag: a count filtered by each figure's condition evaluated every condition for every
    flag, which made this page's one pass over the flags 1.5 times as long.
    """
    now = timezone.now()
    active = Q(status__in=ACTIVE_FLAG_STATUSES)
    closed = Q(status__in=CLOSED_STATUSES, closed_at__gte=start)
    age = Case(
        When(~active, then=Value(None)),
        *(
            When(
                Q(first_seen_at__lte=now - timedelta(days=bucket.min_days))
                & (
                    Q(first_seen_at__gt=now - timedelta(days=bucket.max_days + 1))
                    if bucket.max_days is not None
                    else Q()
                ),
                then=Value(index),
            )
            for index, bucket in enumerate(AGE_BUCKETS)
        ),
        output_field=IntegerField(),
    )
    rows = (
        flags.annotate(closed_at=Coalesce("resolved_at", "status_changed_at"))
        .filter(active | closed)
        .annotate(
            overdue=Case(When(active, then=_holds(Q(due_date__lt=today)))),
            age=age,
            # None for a closed flag without a due date: it counts for no compliance.
            within_sla=Case(When(~active, then=_holds(Q(closed_at__date__lte=F("due_date"))))),
        )
        .order_by()
        .values_list("organization_id", "status", "overdue", "age", "within_sla")
        .annotate(
            flags=Count("pk"),
            resolve_time=Sum(
                ExpressionWrapper(
                    F("closed_at") - F("first_seen_at"), output_field=DurationField()
                ),
                filter=~active,
            ),
        )
    )
    figures: dict[int, Resolution] = defaultdict(lambda: Resolution(key="", name=""))
    for organization_id, status, overdue, age_index, within_sla, count, resolve_time in rows:
        figure = figures[organization_id]
        if status in ACTIVE_FLAG_STATUSES:
            figure.active += count
            figure.overdue += count if overdue else 0
            if age_index is not None:
                figure.ages[age_index] += count
        else:
            figure.closed += count
            figure.closed_with_due += count if within_sla is not None else 0
            figure.within_sla += count if within_sla else 0
            figure.resolve_time += resolve_time
    return figures


def _holds(condition: Q) -> ExpressionWrapper:
    """Whether ``condition`` holds for a row (null where it compares with a null)."""
    return ExpressionWrapper(condition, output_field=BooleanField())
