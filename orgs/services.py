"""Writes of organizations' inventories; every one of them ends in matching.

Each write resolves the items it touched to catalogue products (``orgs.resolution``), marks
them for matching (``match_requested_at``) in the same transaction, records an audit entry,
and after commit asks the matcher to match the organization's marked items. Deleting items
announces it first (``orgs.signals.inventory_items_deleting``): the matcher resolves their
flags ("item removed") in the same transaction; the flags keep the items' labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from audit.services import audit_record, audit_snapshot
from orgs.models import InventoryItem, Organization
from orgs.resolution import items_resolve
from orgs.signals import inventory_items_deleting
from vendors.match_requests import MATCH_ORGANIZATION, matching_request_on_commit
from vendors.matching.cpe import CpeError, parse_cpe23
from vendors.matching.purls import PurlError, parse_purl

# What a caller may set on an item; everything else is derived or bookkeeping.
ITEM_FIELDS = frozenset(
    {
        "product",
        "raw_vendor",
        "raw_product",
        "version",
        "cpe",
        "purl",
        "quantity",
        "environment",
        "criticality",
        "source",
        "external_ref",
        "hostname",
        "site",
        "notes",
    }
)
# Changing any of these can change what the item is, so a product resolved from the old values
# is re-resolved (unless the caller sets the product itself).
_IDENTIFYING_FIELDS = frozenset({"raw_vendor", "raw_product", "cpe", "purl"})
# Fields whose change can change what the item matches or how its flags are prioritized.
_MATCHING_FIELDS = _IDENTIFYING_FIELDS | {"product", "version", "criticality"}
_BULK_UPDATE_FIELDS = [
    *sorted(ITEM_FIELDS),
    "normalized_vendor",
    "normalized_product",
    "version_key",
    "cpe_part",
    "cpe_vendor",
    "cpe_product",
    "purl_type",
    "purl_namespace",
    "purl_name",
    "match_requested_at",
]
# Rows per statement: keeps bulk writes below SQLite's limit on bound variables.
_BATCH = 500


@dataclass(frozen=True)
class InventoryBulkResult:
    """What a bulk create (or replace) did."""

    created: int
    updated: int
    removed: int
    unresolved: int


def _apply(item: InventoryItem, data: Mapping[str, Any]) -> None:
    unknown = set(data) - ITEM_FIELDS
    if unknown:
        raise ValidationError(f"Unknown inventory item fields: {', '.join(sorted(unknown))}.")
    for name, value in data.items():
        setattr(item, name, value)
    _fill_version(item)
    item.refresh_derived_fields()


def _fill_version(item: InventoryItem) -> None:
    """Take the version from the purl or CPE when none was given, so ranges can be checked.

    A scanner or SBOM often puts the version only in the identifier.
    """
    if item.version.strip():
        return
    if item.purl:
        try:
            item.version = parse_purl(item.purl).version or ""
        except PurlError:
            item.version = ""
    if not item.version and item.cpe:
        try:
            version = parse_cpe23(item.cpe).version
        except CpeError:
            return
        if version.is_plain:
            item.version = version.literal


def _delete(items: QuerySet[InventoryItem, Any]) -> None:
    inventory_items_deleting.send(sender=InventoryItem, items=items)
    items.delete()


def _resolve_and_mark(items: Any, *, organization: Organization, now: Any) -> None:
    items_resolve(items=items, now=now)
    matching_request_on_commit(MATCH_ORGANIZATION, organization.pk)


def external_ref_holder(
    *, organization_id: int, source: str, external_ref: str, exclude_pk: int | None = None
) -> InventoryItem | None:
    """The item of the organization that already has ``external_ref`` from ``source``, if any.

    An external reference names one asset of the system it comes from (a CMDB id, a scanner's
    host id): two items with the same one would be the same asset twice, flagged twice. An
    empty reference names nothing and may repeat.
    """
    if not external_ref:
        return None
    holders = InventoryItem.objects.filter(
        organization_id=organization_id, source=source, external_ref=external_ref
    )
    if exclude_pk is not None:
        holders = holders.exclude(pk=exclude_pk)
    return holders.order_by("pk").first()


def external_ref_error(holder: InventoryItem) -> ValidationError:
    """The error of an item given the reference ``holder`` has, naming the field."""
    return ValidationError(
        {
            "external_ref": (
                f"Item #{holder.pk} ({holder}) from {holder.get_source_display()} already has "
                f"the reference “{holder.external_ref}”; change that item, or give another "
                "reference."
            )
        }
    )


def _require_free_reference(item: InventoryItem) -> None:
    holder = external_ref_holder(
        organization_id=item.organization_id,
        source=item.source,
        external_ref=item.external_ref,
        exclude_pk=item.pk,
    )
    if holder is not None:
        raise external_ref_error(holder)


def _save_holding_reference(item: InventoryItem) -> None:
    """Save ``item``, whose reference was free when checked; if another writer took it since
    (the unique constraint refuses the row), say which item has it, as the check would have."""
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:
        holder = external_ref_holder(
            organization_id=item.organization_id,
            source=item.source,
            external_ref=item.external_ref,
            exclude_pk=item.pk,
        )
        if holder is None:
            raise
        raise external_ref_error(holder) from None


@transaction.atomic
def inventory_item_create(
    *,
    organization: Organization,
    data: Mapping[str, Any],
    user: Any = None,
    request: HttpRequest | None = None,
) -> InventoryItem:
    """Add one item to ``organization``'s inventory, resolve it, and have it matched."""
    now = timezone.now()
    item = InventoryItem(organization=organization)
    _apply(item, data)
    item.match_requested_at = now
    # The reference first: full_clean would refuse a taken one too (the constraint), without
    # naming the item that has it.
    _require_free_reference(item)
    item.full_clean()
    _save_holding_reference(item)
    _resolve_and_mark(InventoryItem.objects.filter(pk=item.pk), organization=organization, now=now)
    item.refresh_from_db()
    audit_record(
        action="inventory.item_create",
        actor=user,
        organization=organization,
        obj=item,
        after=audit_snapshot(item),
        request=request,
    )
    return item


@transaction.atomic
def inventory_item_update(
    *,
    item: InventoryItem,
    data: Mapping[str, Any],
    user: Any = None,
    request: HttpRequest | None = None,
) -> InventoryItem:
    """Change an item; if what it is or its version changed, re-resolve and re-match it."""
    item = InventoryItem.objects.select_for_update().get(pk=item.pk)
    before = audit_snapshot(item)
    changed = {name for name, value in data.items() if getattr(item, name, None) != value}
    _apply(item, data)
    if changed & _IDENTIFYING_FIELDS and "product" not in data:
        item.product = None
    now = timezone.now()
    matching = bool(changed & _MATCHING_FIELDS)
    if matching:
        item.match_requested_at = now
    if changed & {"external_ref", "source"}:
        _require_free_reference(item)
    item.full_clean()
    _save_holding_reference(item)
    if matching:
        _resolve_and_mark(
            InventoryItem.objects.filter(pk=item.pk), organization=item.organization, now=now
        )
        item.refresh_from_db()
    audit_record(
        action="inventory.item_update",
        actor=user,
        organization=item.organization,
        obj=item,
        before=before,
        after=audit_snapshot(item),
        request=request,
    )
    return item


@transaction.atomic
def inventory_item_delete(
    *, item: InventoryItem, user: Any = None, request: HttpRequest | None = None
) -> None:
    """Remove an item; its flags are resolved ("item removed") in the same transaction."""
    organization = item.organization
    before = audit_snapshot(item)
    label, pk = str(item), item.pk
    _delete(InventoryItem.objects.filter(pk=pk))
    audit_record(
        action="inventory.item_delete",
        actor=user,
        organization=organization,
        object_type=InventoryItem._meta.label_lower,
        object_id=str(pk),
        object_repr=label,
        before=before,
        request=request,
    )


@transaction.atomic
def inventory_items_bulk_create(
    *,
    organization: Organization,
    items: Sequence[Mapping[str, Any]],
    replace_source: str | None = None,
    user: Any = None,
    request: HttpRequest | None = None,
) -> InventoryBulkResult:
    """Add many items to ``organization``'s inventory at once (importers); all or nothing.

    ``items`` are validated dicts of item fields. With ``replace_source``, the organization's
    items from that source are the previous import and are replaced: an item whose
    ``external_ref`` equals an existing one's updates it in place (so its flags keep their
    history), the others are created, and the existing items no new one matched are removed.
    Everything written is resolved in one statement, marked, and matched once after commit.
    """
    now = timezone.now()
    previous = (
        list(InventoryItem.objects.filter(organization=organization, source=replace_source))
        if replace_source is not None
        else []
    )
    by_ref = {item.external_ref: item for item in previous if item.external_ref}
    to_create: list[InventoryItem] = []
    to_update: list[InventoryItem] = []
    for index, data in enumerate(items):
        ref = str(data.get("external_ref") or "")
        item = by_ref.pop(ref, None) if ref else None
        if item is None:
            item = InventoryItem(organization=organization)
            to_create.append(item)
        else:
            to_update.append(item)
            if set(data) & _IDENTIFYING_FIELDS and "product" not in data:
                item.product = None
        try:
            _apply(item, data)
        except ValidationError as error:
            raise ValidationError(f"Item {index + 1}: {'; '.join(error.messages)}") from error
        if not (item.raw_product or item.cpe or item.purl or item.product_id):
            raise ValidationError(
                f"Item {index + 1}: give a product name, a CPE, a purl or a catalogue product."
            )
        item.match_requested_at = now
    InventoryItem.objects.bulk_create(to_create, batch_size=_BATCH)
    InventoryItem.objects.bulk_update(to_update, _BULK_UPDATE_FIELDS, batch_size=_BATCH)
    kept = {item.pk for item in to_update}
    removed = [item.pk for item in previous if item.pk not in kept]
    for start in range(0, len(removed), _BATCH):
        _delete(InventoryItem.objects.filter(pk__in=removed[start : start + _BATCH]))
    marked = InventoryItem.objects.filter(organization=organization, match_requested_at=now)
    items_resolve(items=marked, now=now)
    result = InventoryBulkResult(
        created=len(to_create),
        updated=len(to_update),
        removed=len(removed),
        unresolved=marked.filter(product=None).count(),
    )
    audit_record(
        action="inventory.bulk_create",
        actor=user,
        organization=organization,
        object_type=InventoryItem._meta.label_lower,
        object_repr=f"{len(items)} items",
        after={"replace_source": replace_source, **asdict(result)},
        request=request,
    )
    matching_request_on_commit(MATCH_ORGANIZATION, organization.pk)
    return result
