"""Vendors and products named by a feed, found in the catalogue or added to it.

A feed names companies and products in its own spelling ("Microsoft", "Microsoft Corporation",
"AO Kaspersky Lab"). Each name is normalized the way the catalogue stores names, then looked
up among the names and the aliases; only what is still missing is created. Lookups and inserts
are batched, so resolving the 1,400 pairs of the KEV catalog costs a handful of queries.

What is created is marked for matching, as ``vendors.services`` marks what an editor adds: an
organization's item that named the product before the catalogue knew it resolves to it and is
matched against the advisory that brought it in.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone
from django.utils.text import slugify

from advisories.feeds.errors import DocumentInvalid
from vendors.match_requests import MATCH_CATALOGUE, matching_request_on_commit
from vendors.matching.names import normalize_name
from vendors.models import Product, ProductAlias, Vendor, VendorAlias

NamePair = tuple[str, str]


class CatalogueError(DocumentInvalid):
    """A name that cannot become a catalogue entry (it normalizes to nothing)."""


def _free_slug(name: str, taken: set[str], fallback: str) -> str:
    base = slugify(name)[:190] or fallback
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug


def _vendors_resolve(names: Iterable[str]) -> tuple[dict[str, Vendor], list[int]]:
    """The vendor for each name (keyed by the name as given), created when none matches, and
    the ids of those created (the caller hands them to the matcher)."""
    by_key: dict[str, list[str]] = {}
    for name in names:
        key = normalize_name(name)
        if not key:
            raise CatalogueError(f"The vendor name {name!r} is empty once normalized.")
        by_key.setdefault(key, []).append(name)
    found: dict[str, Vendor] = {
        v.normalized_name: v for v in Vendor.objects.filter(normalized_name__in=by_key)
    }
    for alias in VendorAlias.objects.filter(
        normalized_name__in=set(by_key) - set(found)
    ).select_related("vendor"):
        found[alias.normalized_name] = alias.vendor
    missing = [key for key in by_key if key not in found]
    created: list[int] = []
    if missing:
        new = _vendors_create({key: by_key[key][0] for key in missing})
        found.update(new)
        created = sorted(vendor.pk for vendor in new.values())
    return {name: found[key] for key, names_ in by_key.items() for name in names_}, created


def _vendors_create(names_by_key: dict[str, str]) -> dict[str, Vendor]:
    # Slugs are few and short; reading them all is cheaper than probing each candidate.
    taken = set(Vendor.objects.values_list("slug", flat=True))
    now = timezone.now()
    # bulk_create skips Vendor.save(), which derives normalized_name; it is set here instead.
    # ignore_conflicts: a concurrent import may have added the same vendor meanwhile; the
    # re-read below picks up whichever row won.
    Vendor.objects.bulk_create(
        [
            Vendor(
                name=name[:200],
                normalized_name=key,
                slug=_free_slug(name, taken, "vendor"),
                match_requested_at=now,
            )
            for key, name in names_by_key.items()
        ],
        ignore_conflicts=True,
    )
    created = {
        v.normalized_name: v for v in Vendor.objects.filter(normalized_name__in=names_by_key)
    }
    if len(created) != len(names_by_key):
        raise CatalogueError("Some vendors could not be created; run the import again.")
    return created


def products_resolve(pairs: Iterable[NamePair]) -> dict[NamePair, Product]:
    """The product for each (vendor name, product name), created (with its vendor) if missing.

    What is created, vendors and products alike, is handed to the matcher in one request.
    """
    pairs = list(dict.fromkeys(pairs))
    vendors, created_vendors = _vendors_resolve(vendor for vendor, _ in pairs)
    wanted: dict[tuple[int, str], list[NamePair]] = {}
    for pair in pairs:
        key = normalize_name(pair[1], legal_forms=False)
        if not key:
            raise CatalogueError(f"The product name {pair[1]!r} is empty once normalized.")
        wanted.setdefault((vendors[pair[0]].pk, key), []).append(pair)
    vendor_ids = {vendor_id for vendor_id, _ in wanted}
    product_keys = {key for _, key in wanted}
    found: dict[tuple[int, str], Product] = {
        (p.vendor_id, p.normalized_name): p
        for p in Product.objects.filter(
            vendor_id__in=vendor_ids, normalized_name__in=product_keys
        ).select_related("vendor")
    }
    for alias in ProductAlias.objects.filter(
        product__vendor_id__in=vendor_ids, normalized_name__in=product_keys
    ).select_related("product__vendor"):
        found.setdefault((alias.product.vendor_id, alias.normalized_name), alias.product)
    missing = {key: wanted[key][0][1] for key in wanted if key not in found}
    created_products: list[int] = []
    if missing:
        new = _products_create(missing, {v.pk: v for v in vendors.values()})
        found.update(new)
        created_products = sorted(product.pk for product in new.values())
    if created_vendors or created_products:
        matching_request_on_commit(MATCH_CATALOGUE, created_vendors, created_products)
    return {pair: found[key] for key, pairs_ in wanted.items() for pair in pairs_}


def _products_create(
    names_by_key: dict[tuple[int, str], str], vendors: dict[int, Vendor]
) -> dict[tuple[int, str], Product]:
    taken: dict[int, set[str]] = {}
    for vendor_id, slug in Product.objects.filter(
        vendor_id__in={v for v, _ in names_by_key}
    ).values_list("vendor_id", "slug"):
        taken.setdefault(vendor_id, set()).add(slug)
    now = timezone.now()
    # As for vendors: bulk_create skips Product.save(), so normalized_name is set here.
    Product.objects.bulk_create(
        [
            Product(
                vendor_id=vendor_id,
                name=name[:200],
                normalized_name=key,
                slug=_free_slug(name, taken.setdefault(vendor_id, set()), "product"),
                match_requested_at=now,
            )
            for (vendor_id, key), name in names_by_key.items()
        ],
        ignore_conflicts=True,
    )
    created: dict[tuple[int, str], Product] = {}
    for product in Product.objects.filter(
        vendor_id__in={v for v, _ in names_by_key}, normalized_name__in={k for _, k in names_by_key}
    ):
        product.vendor = vendors[product.vendor_id]
        created[(product.vendor_id, product.normalized_name)] = product
    if any(key not in created for key in names_by_key):
        raise CatalogueError("Some products could not be created; run the import again.")
    return created
