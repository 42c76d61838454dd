"""Read queries of the catalogue: vendors and products, shared by every organization.

Who runs them, and what advisories say of them, is read for the catalogue pages in
``exposure.catalogue``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from vendors.models import Product, Vendor


def vendor_list() -> QuerySet[Vendor, Any]:
    """Vendors with their parent and product count, for the list page."""
    return Vendor.objects.select_related("parent").annotate(product_count=Count("products"))


def product_list() -> QuerySet[Product, Any]:
    """Products with their vendor, for the list page."""
    return Product.objects.select_related("vendor")


def vendor_ownership_chain(vendor: Vendor) -> list[Vendor]:
    """The vendor's parent, its parent's parent and so on, nearest first.

    ``Vendor.clean`` refuses loops, and the walk stops at a repeat anyway so that a row
    written around ``clean`` cannot hang a page. Chains are a handful of companies long.
    """
    chain: list[Vendor] = []
    seen = {vendor.pk}
    ancestor = vendor.parent
    while ancestor is not None and ancestor.pk not in seen:
        chain.append(ancestor)
        seen.add(ancestor.pk)
        ancestor = ancestor.parent
    return chain
