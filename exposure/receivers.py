"""What the matcher does when the layers below it announce a change (see ``orgs.signals``)."""

from typing import Any

from django.db.models import QuerySet
from django.dispatch import receiver

from exposure.services import flags_resolve_for_deleted_items
from orgs.models import InventoryItem
from orgs.signals import inventory_items_deleting


@receiver(inventory_items_deleting, dispatch_uid="exposure.resolve_flags_of_deleted_items")
def resolve_flags_of_deleted_items(
    sender: Any, items: QuerySet[InventoryItem, Any], **kwargs: Any
) -> None:
    flags_resolve_for_deleted_items(items=items)
