"""``manage.py inventory_shared_refs``: list external references several items share."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from orgs.models import InventoryItem, Organization
from orgs.selectors import shared_external_refs


class Command(BaseCommand):
    help = (
        "List the external references that more than one inventory item of an organization "
        "and source holds, with the items, so that each can be given its own reference or the "
        "extra ones deleted (at /admin/orgs/inventoryitem/ or on the organization's inventory "
        "page). Exits with status 1 while there are any: migration orgs 0007 waits for none."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        shared = shared_external_refs(InventoryItem.objects.all())
        if not shared:
            self.stdout.write("No external reference is shared: every item's is its own.")
            return
        slugs = dict(
            Organization.objects.filter(
                pk__in={group.organization_id for group in shared}
            ).values_list("pk", "slug")
        )
        for group in shared:
            items = ", ".join(f"#{pk}" for pk in group.item_ids)
            self.stdout.write(
                f"{slugs[group.organization_id]}\t{group.source}\t{group.external_ref}\t{items}"
            )
        raise CommandError(
            f"{len(shared)} external reference(s) are shared (organization, source, reference, "
            "items; the oldest item first)."
        )
