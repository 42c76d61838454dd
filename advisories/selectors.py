"""Read queries of advisories for the pages.

Advisories themselves are shared by every organization: any signed-in user reads published
and withdrawn ones, and only those who may edit the catalogue see drafts. What an advisory
means for organizations — its flags — is tenant data and always goes through ``visible_to``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from advisories.choices import AdvisoryStatus
from advisories.models import Advisory, AffectedTarget
from exposure.choices import ACTIVE_FLAG_STATUSES
from exposure.engine.sql import Sql, compose, execute, param
from exposure.models import Flag
from orgs.models import Organization
from orgs.permissions import can_edit_catalogue
from orgs.scoping import Actor
from vendors.matching.freetext import Unparseable, describe_range, parse_free_range
from vendors.matching.ranges import Interval, VersionRange
from vendors.matching.vers import VersRangeError, parse_vers


def advisories_visible_to(*, user: Actor) -> QuerySet[Advisory, Any]:
    """The advisories ``user`` may read: drafts only for those who may edit them."""
    if not user.is_authenticated or not user.is_active:
        return Advisory.objects.none()
    if can_edit_catalogue(user):
        return Advisory.objects.all()
    return Advisory.objects.exclude(status=AdvisoryStatus.DRAFT)


def _active_flag_count(user: Actor, advisory_path: str) -> Subquery:
    """A subquery counting the user's active flags of the advisory at ``advisory_path``."""
    return Subquery(
        Flag.objects.visible_to(user)
        .filter(advisory=OuterRef(advisory_path), status__in=ACTIVE_FLAG_STATUSES)
        .order_by()
        .values("advisory")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )


def advisory_list(*, user: Actor) -> QuerySet[Advisory, Any]:
    """The advisories for the list page, each with the user's active-flag count.

    The count is a correlated subquery, so the database computes it only for the rows of the
    page being shown.
    """
    return (
        advisories_visible_to(user=user)
        .select_related("source")
        .annotate(active_flags=Coalesce(_active_flag_count(user, "pk"), Value(0)))
    )


def advisory_detail(*, user: Actor, pk: int) -> Advisory:
    """One advisory with what its page shows, or ``Advisory.DoesNotExist``."""
    return (
        advisories_visible_to(user=user)
        .select_related("source", "created_by")
        .prefetch_related("cves", "references")
        .get(pk=pk)
    )


@dataclass(frozen=True)
class OrganizationImpact:
    """What an advisory has flagged in one organization."""

    name: str
    slug: str
    sector: str
    active: int
    items: int
    closed: int
    overdue: int


@dataclass(frozen=True)
class AdvisoryImpact:
    """What an advisory has flagged across the organizations a user may see."""

    organizations: int
    items: int
    active: int
    rows: list[OrganizationImpact]


def advisory_flag_impact(*, advisory: Advisory, user: Actor, today: date) -> AdvisoryImpact:
    """Per organization the user may see: the advisory's active flags, the distinct items they
    are on, the flags already closed and the overdue ones, in two queries."""
    active = Q(status__in=ACTIVE_FLAG_STATUSES)
    grouped = list(
        Flag.objects.visible_to(user)
        .filter(advisory=advisory)
        .values("organization_id")
        .annotate(
            active=Count("pk", filter=active),
            items=Count("item_id", filter=active, distinct=True),
            closed=Count("pk", filter=~active),
            overdue=Count("pk", filter=active & Q(due_date__lt=today)),
        )
        .order_by("-active", "organization_id")
    )
    organizations = Organization.objects.in_bulk([row["organization_id"] for row in grouped])
    rows = [
        OrganizationImpact(
            name=organizations[row["organization_id"]].name,
            slug=organizations[row["organization_id"]].slug,
            sector=organizations[row["organization_id"]].get_sector_display(),
            active=row["active"],
            items=row["items"],
            closed=row["closed"],
            overdue=row["overdue"],
        )
        for row in grouped
    ]
    return AdvisoryImpact(
        organizations=sum(1 for row in rows if row.active),
        items=sum(row.items for row in rows),
        active=sum(row.active for row in rows),
        rows=rows,
    )


@dataclass(frozen=True)
class AdvisoryFlagCounts:
    """An advisory's flags in the organizations a user may see, counted."""

    organizations: int
    items: int
    active: int
    overdue: int
    closed: int


def advisory_flag_counts(
    *, advisory_id: int, visible_ids: frozenset[int] | None, today: date
) -> AdvisoryFlagCounts:
    """The totals of ``advisory_flag_impact`` in one aggregate: organizations with active flags,
    the distinct items those flags are on, active, overdue and closed flags, counted only in
    the organizations of ``visible_ids`` (``None``: all of them), as
    ``orgs.scoping.visible_organization_id_set`` gives them.

    The advisory's API detail asks for them on every request; the statement is written here,
    which costs a tenth of building and compiling the same aggregate with the ORM (and is
    plain SQL both PostgreSQL and SQLite run).
    ``tests/api/test_advisories.py`` holds the counts equal to the page's.
    """
    if visible_ids is not None and not visible_ids:
        return AdvisoryFlagCounts(0, 0, 0, 0, 0)
    in_organizations = (
        ""
        if visible_ids is None
        else compose("AND organization_id IN ({ids})", ids=_parameters(sorted(visible_ids)))
    )
    statement = compose(
        """
        SELECT count(DISTINCT organization_id) FILTER (WHERE active),
               count(DISTINCT item_id) FILTER (WHERE active),
               count(*) FILTER (WHERE active),
               count(*) FILTER (WHERE active AND due_date < {today}),
               count(*) FILTER (WHERE NOT active)
        FROM (
            SELECT organization_id, item_id, due_date, status IN ({active}) AS active
            FROM {table}
            WHERE advisory_id = {advisory} {in_organizations}
        ) flags
        """,
        today=param(today),
        active=_parameters([status.value for status in ACTIVE_FLAG_STATUSES]),
        table=Flag._meta.db_table,
        advisory=param(advisory_id),
        in_organizations=in_organizations,
    )
    with connection.cursor() as cursor:
        execute(cursor, statement)
        row = cursor.fetchone()
    return AdvisoryFlagCounts(*row)


def _parameters(values: Sequence[Any]) -> Sql:
    """``%s, %s, …``: a list of bound values, for ``IN (…)``."""
    return Sql.join(", ", (param(value) for value in values))


def advisory_targets(*, advisory: Advisory) -> QuerySet[Any, Any]:
    """The advisory's targets with what their rows show, review-needing ones first."""
    return (
        advisory.targets.select_related("vendor", "product__vendor")
        .prefetch_related("intervals")
        .order_by("-needs_review", "is_exclusion", "pk")
    )


@dataclass(frozen=True)
class RangeCheck:
    """What a version-range text means: the intervals it covers, or why it cannot be read."""

    text: str
    description: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def version_range_check(*, text: str) -> RangeCheck:
    """Parse ``text`` the way targets are compiled: a ``vers:`` specifier strictly, anything
    else as advisory prose, refusing what is ambiguous."""
    text = text.strip()
    if not text:
        return RangeCheck(text=text, error="Enter a range, e.g. vers:generic/>=21.0|<21.3.10.")
    parsed: VersionRange | Unparseable
    if text.lower().startswith("vers:"):
        try:
            parsed = parse_vers(text)
        except VersRangeError as error:
            parsed = Unparseable(reason=str(error))
    else:
        parsed = parse_free_range(text)
    if isinstance(parsed, Unparseable):
        return RangeCheck(text=text, error=parsed.reason)
    return RangeCheck(text=text, description=describe_range(parsed))


def target_range_description(target: AffectedTarget) -> str:
    """The versions a compiled target covers, in words, from its stored intervals (prefetched
    by ``advisory_targets``); empty for kinds that cover every version."""
    intervals = [
        Interval(i.lower, i.lower_inclusive, i.upper, i.upper_inclusive)
        for i in target.intervals.all()
    ]
    if not intervals:
        return ""
    return describe_range(VersionRange(tuple(intervals)))
