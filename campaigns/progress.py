"""Where organizations stand in a campaign, computed from what they run.

An affected item is an unresolved flag of the campaign's advisory (a false positive is not
one). An item counts as replaced when its flag was resolved, since the campaign opened,
because the item was deleted or changed to a product the advisory does not cover — the
matcher's resolution reasons say which. Set-based: one grouped query for every organization.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q

from campaigns.choices import AttestationStatus, MilestoneState
from campaigns.models import Campaign
from exposure.choices import FlagStatus, ResolutionReason
from exposure.models import Flag

# Resolutions that mean the product is gone from the item (rather than, say, patched).
REPLACED_REASONS = (ResolutionReason.ITEM_REMOVED, ResolutionReason.NO_LONGER_MATCHES)
NOT_AFFECTED_STATUSES = (FlagStatus.RESOLVED, FlagStatus.FALSE_POSITIVE)


@dataclass(frozen=True)
class Counts:
    remaining: int = 0
    replaced: int = 0


def live_counts(
    *, campaign: Campaign, organization_ids: Iterable[int] | None = None
) -> dict[int, Counts]:
    """Remaining and replaced items per organization now (organizations without any are
    left out); ``organization_ids`` narrows it (``None``: every organization)."""
    flags = Flag.objects.filter(advisory_id=campaign.advisory_id)
    if organization_ids is not None:
        flags = flags.filter(organization_id__in=sorted(organization_ids))
    rows = (
        flags.order_by()
        .values("organization_id")
        .annotate(
            remaining=Count("pk", filter=~Q(status__in=NOT_AFFECTED_STATUSES)),
            replaced=Count(
                "pk",
                filter=Q(
                    status=FlagStatus.RESOLVED,
                    resolution_reason__in=REPLACED_REASONS,
                    resolved_at__gte=campaign.opened_at,
                ),
            ),
        )
        .values_list("organization_id", "remaining", "replaced")
    )
    return {org: Counts(remaining, replaced) for org, remaining, replaced in rows}


def milestone_state(status: str | None, due_on: date, today: date) -> MilestoneState:
    """One organization's state on a milestone, from its latest attestation's ``status``."""
    if status == AttestationStatus.ACCEPTED:
        return MilestoneState.ACCEPTED
    if status == AttestationStatus.SUBMITTED:
        return MilestoneState.SUBMITTED
    if due_on < today:
        return MilestoneState.LATE
    if status == AttestationStatus.RETURNED:
        return MilestoneState.RETURNED
    return MilestoneState.PENDING
