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
from advisories.models import Advisory
from orgs.permissions import can_edit_catalogue
from orgs.scoping import Actor
from vendors.matching.freetext import join_caveats
from vendors.matching.reading import Reading, Unparseable, describe_reading, read_range


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
    return advisory.targets.select_related("vendor", "product__vendor").order_by(
        "-needs_review", "is_exclusion", "pk"
    )


@dataclass(frozen=True)
class RangeCheck:
    """How a version-range text reads: the versions it covers and its caveat, or why it
    cannot be read."""

    text: str
    description: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def version_range_check(*, text: str, caveat: str = "") -> RangeCheck:
    """Read ``text`` as compiling a target reads it, and describe it as the target's
    ``read_as`` will (with the ``caveat`` typed beside it), for the editor as they type."""
    text = text.strip()
    if not text:
        return RangeCheck(text=text, error="Enter a range, e.g. vers:generic/>=21.0|<21.3.10.")
    parsed = read_range(text)
    if isinstance(parsed, Unparseable):
        return RangeCheck(text=text, error=parsed.reason)
    caveats = join_caveats(parsed.caveat, caveat.strip())
    return RangeCheck(text=text, description=describe_reading(Reading(parsed.range, caveats)))
