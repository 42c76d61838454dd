"""Read queries of organizations' data; every one is scoped through ``visible_to``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Min, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf

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


def unresolved_name_groups(
    *, user: Actor, organization: Organization | None = None
) -> QuerySet[InventoryItem, Any]:
    """The unresolved items grouped by their normalized vendor and product names, for the
    reconciliation page: one row per spelling (as ``dict``), with how it was entered, how many
    items and organizations use it, and an example of a CPE or purl some of them carry.

    Grouping by the normalized names puts "Kaspersky Lab" and "KASPERSKY LAB, Inc." in one
    row, because one alias covers both.
    """
    return (
        inventory_unresolved(user=user, organization=organization)
        .order_by()
        .values("normalized_vendor", "normalized_product")
        .annotate(
            raw_vendor=Min("raw_vendor"),
            raw_product=Min("raw_product"),
            item_count=Count("pk"),
            organization_count=Count("organization", distinct=True),
            identifier=Max(Coalesce(NullIf("cpe", Value("")), NullIf("purl", Value("")))),
        )
    )


def inventory_counts(*, organization: Organization, user: Actor) -> dict[str, int]:
    """How many items the organization has (``total``) and how many of them resolve to no
    catalogue product (``unresolved``).

    It counts the organization and product columns, not rows, so that the index on
    (organization, product) answers alone, without reading 50,000 rows of a large inventory.
    """
    counts = (
        InventoryItem.objects.visible_to(user)
        .filter(organization=organization)
        .aggregate(total=Count("organization"), resolved=Count("product"))
    )
    return {"total": counts["total"], "unresolved": counts["total"] - counts["resolved"]}


@dataclass(frozen=True)
class SharedReference:
    """Items of one organization and source that have the same external reference."""

    organization_id: int
    source: str
    external_ref: str
    item_ids: tuple[int, ...]


def shared_external_refs(items: QuerySet[Any, Any]) -> list[SharedReference]:
    """The external references ``items`` (all inventory items, or the historical model's in a
    migration) repeat within an organization and source, each with its items, oldest first.

    The database refuses such repeats since ``item_unique_external_ref``; the migration that
    added it looks for any left from before with this, and so does ``manage.py
    inventory_shared_refs``, which lists them for someone to resolve.
    """
    groups = list(
        items.exclude(external_ref="")
        .values("organization_id", "source", "external_ref")
        .annotate(count=Count("pk"))
        .filter(count__gt=1)
        .order_by("organization_id", "source", "external_ref")
    )
    shared = []
    for group in groups:
        ids = items.filter(
            organization_id=group["organization_id"],
            source=group["source"],
            external_ref=group["external_ref"],
        ).order_by("pk")
        shared.append(
            SharedReference(
                organization_id=group["organization_id"],
                source=group["source"],
                external_ref=group["external_ref"],
                item_ids=tuple(ids.values_list("pk", flat=True)),
            )
        )
    return shared
