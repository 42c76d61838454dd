"""Read queries of organizations' data; every one is scoped through ``visible_to``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from orgs.models import InventoryItem, Organization
from orgs.scoping import Actor


def inventory_unresolved(
    *, user: Actor, organization: Organization | None = None
) -> QuerySet[InventoryItem, Any]:
    """Items whose names, CPE and purl resolve to no catalogue product, for reconciliation.

    They are kept, never dropped: an uncatalogued product is exactly what nobody has looked
    at yet. Ordered so that the same spelling in many organizations sits together.
    """
    items = InventoryItem.objects.visible_to(user).filter(product=None)
    if organization is not None:
        items = items.filter(organization=organization)
    return items.select_related("organization").order_by(
        "normalized_vendor", "normalized_product", "organization__name", "pk"
    )
