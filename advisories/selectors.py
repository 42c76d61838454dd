"""Read queries of advisories for the pages.

Advisories themselves are shared by every organization: any signed-in user reads published
and withdrawn ones, and only those who may edit the catalogue see drafts. What an advisory
means for organizations, its flags, is tenant data, read in ``exposure.selectors``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from advisories.choices import AdvisoryStatus
from advisories.models import Advisory, AffectedTarget
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


def advisory_detail(*, user: Actor, pk: int) -> Advisory:
    """One advisory with what its page shows, or ``Advisory.DoesNotExist``."""
    return (
        advisories_visible_to(user=user)
        .select_related("source", "created_by")
        .prefetch_related("cves", "references")
        .get(pk=pk)
    )


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
