"""Reconciliation: teaching the catalogue the names that inventories use for its products.

An item stays unresolved when its raw vendor and product names are no vendor's and product's
names or aliases (``orgs.resolution``, rule 3, or rule 4 when it names no vendor). Mapping such
a spelling to a catalogue product adds exactly the aliases that rule needs — the vendor's for
the raw vendor name, the product's for the raw product name — through the catalogue services,
which re-resolve every unresolved item with that spelling, in every organization, and match
them. The alias is the fix, not an edit of the items: the next upload with the same spelling
resolves by itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest

from orgs.permissions import can_edit_catalogue
from orgs.scoping import Actor
from vendors.matching.names import normalize_name
from vendors.models import Product, ProductAlias, VendorAlias
from vendors.services import product_alias_add, vendor_alias_add


@dataclass(frozen=True)
class NameMapping:
    """The aliases a mapping created (``None`` where the catalogue already knew the name)."""

    vendor_alias: VendorAlias | None
    product_alias: ProductAlias | None


@transaction.atomic
def unresolved_name_map(
    *,
    raw_vendor: str,
    raw_product: str,
    product: Product,
    user: Actor,
    request: HttpRequest | None = None,
) -> NameMapping:
    """Make the spelling ``raw_vendor`` / ``raw_product`` resolve to ``product``.

    Only those who may edit the catalogue may, because an alias changes what every
    organization's items resolve to. Refuses a spelling without a product name (such items are
    identified by CPE or purl, which belong on the product itself), and one the catalogue
    already resolves to this product (then the items are ambiguous, not unknown).
    """
    if not can_edit_catalogue(user):
        raise PermissionDenied("Only advisory editors may add names to the catalogue.")
    vendor = product.vendor
    vendor_name = normalize_name(raw_vendor)
    product_name = normalize_name(raw_product, legal_forms=False)
    if not product_name:
        raise ValidationError(
            "These items name no product; give the catalogue product their CPE or purl instead."
        )
    knows_vendor = (
        not vendor_name
        or vendor_name == vendor.normalized_name
        or (vendor.aliases.filter(normalized_name=vendor_name).exists())
    )
    knows_product = product_name == product.normalized_name or (
        product.aliases.filter(normalized_name=product_name).exists()
    )
    if knows_vendor and knows_product:
        raise ValidationError(
            f"“{raw_vendor} {raw_product}” already names {product}; the items match more than "
            "one product, so the catalogue itself needs a closer look."
        )
    vendor_alias = None
    if not knows_vendor:
        vendor_alias = vendor_alias_add(vendor=vendor, name=raw_vendor, user=user, request=request)
    product_alias = None
    if not knows_product:
        product_alias = product_alias_add(
            product=product, name=raw_product, user=user, request=request
        )
    return NameMapping(vendor_alias, product_alias)
