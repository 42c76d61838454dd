"""Read queries of exposure data; every one is scoped through ``visible_to``."""

from typing import Any

from django.db.models import Count, Q, QuerySet

from exposure.choices import ACTIVE_FLAG_STATUSES
from orgs.models import Organization
from orgs.scoping import Actor


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
