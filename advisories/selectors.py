"""Read queries of advisories for the pages.

Advisories themselves are shared by every organization: any signed-in user reads published
and withdrawn ones that their TLP label lets them read (the one rule, ``orgs.scoping``), and
only those who may edit the catalogue see drafts. What an advisory means for organizations,
its flags, is tenant data, read in ``exposure.selectors``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from advisories.choices import AdvisoryStatus, TargetKind
from advisories.models import Advisory, AdvisoryCve, AffectedTarget
from orgs.permissions import can_edit_catalogue
from orgs.scoping import Actor, hidden_advisory_ids
from vendors.matching.freetext import join_caveats
from vendors.matching.reading import Reading, Unparseable, describe_reading, read_range


def advisories_visible_to(
    *, user: Actor, advisories: QuerySet[Advisory, Any] | None = None
) -> QuerySet[Advisory, Any]:
    """The advisories ``user`` may read (of ``advisories``, by default all): drafts only for
    those who may edit them, restricted ones (TLP) only for their audience."""
    if advisories is None:
        advisories = Advisory.objects.all()
    if not user.is_authenticated or not user.is_active:
        return advisories.none()
    if can_edit_catalogue(user):
        return advisories
    advisories = advisories.exclude(status=AdvisoryStatus.DRAFT)
    hidden = hidden_advisory_ids(user)
    return advisories.exclude(pk__in=sorted(hidden)) if hidden else advisories


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


@dataclass(frozen=True)
class PossibleDuplicate:
    """Another advisory that may say the same thing, and why it looks like it."""

    advisory: Advisory
    reasons: tuple[str, ...]


def advisory_duplicates(
    *,
    user: Actor,
    exclude_pk: int | None,
    source_id: int | None,
    identifier: str,
    cve_ids: Iterable[str],
    vendor_ids: Iterable[int],
) -> list[PossibleDuplicate]:
    """The advisories ``user`` may read, other than ``exclude_pk`` and the withdrawn ones, with
    the same source and identifier, a CVE id in common, or a target on the same vendor: a copy
    published under a new identifier would flag every item twice."""
    cves = {cve.strip().upper() for cve in cve_ids if cve.strip()}
    vendors = {pk for pk in vendor_ids if pk}
    identifier = identifier.strip()
    same_identifier = (
        Q(source_id=source_id, identifier__iexact=identifier) if source_id and identifier else Q()
    )
    same_cve = Q(pk__in=AdvisoryCve.objects.filter(cve_id__in=cves).values("advisory_id"))
    same_vendor = Q(
        pk__in=AffectedTarget.objects.filter(
            kind=TargetKind.VENDOR, is_exclusion=False, vendor_id__in=vendors
        ).values("advisory_id")
    )
    wanted = Q(pk__in=[])
    if same_identifier:
        wanted |= same_identifier
    if cves:
        wanted |= same_cve
    if vendors:
        wanted |= same_vendor
    candidates = (
        advisories_visible_to(user=user)
        .filter(wanted)
        .exclude(status=AdvisoryStatus.WITHDRAWN)
        .exclude(pk__in=[exclude_pk] if exclude_pk is not None else [])
        .select_related("source")
        .prefetch_related("cves", "targets__vendor")
        .order_by("-pk")[:10]
    )
    found = []
    for other in candidates:
        reasons = []
        if (
            source_id
            and other.source_id == source_id
            and other.identifier.lower() == (identifier.lower())
        ):
            reasons.append(f"the same source and identifier ({other.identifier})")
        shared = sorted(cves & {cve.cve_id for cve in other.cves.all()})
        if shared:
            reasons.append(f"the same CVE ids ({', '.join(shared)})")
        same = sorted(
            {
                str(target.vendor)
                for target in other.targets.all()
                if target.kind == TargetKind.VENDOR
                and not target.is_exclusion
                and target.vendor_id in vendors
            }
        )
        if same:
            reasons.append(f"a target on the same vendor ({', '.join(same)})")
        found.append(PossibleDuplicate(advisory=other, reasons=tuple(reasons)))
    return found


def advisory_own_duplicates(*, advisory: Advisory, user: Actor) -> list[PossibleDuplicate]:
    """``advisory_duplicates`` of an advisory as it is saved."""
    return advisory_duplicates(
        user=user,
        exclude_pk=advisory.pk,
        source_id=advisory.source_id,
        identifier=advisory.identifier,
        cve_ids=advisory.cves.values_list("cve_id", flat=True),
        vendor_ids=advisory.targets.filter(kind=TargetKind.VENDOR, is_exclusion=False).values_list(
            "vendor_id", flat=True
        ),
    )
