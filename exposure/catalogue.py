"""What the catalogue pages show of a vendor or product beyond the catalogue itself: the
advisories that cover it, and the organizations (those the user may see) that run it, with their
active flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from advisories.choices import TargetKind
from advisories.models import Advisory
from advisories.selectors import advisories_visible_to
from exposure.choices import ACTIVE_FLAG_STATUSES
from exposure.models import Flag
from orgs.models import InventoryItem, Organization
from orgs.scoping import Actor
from vendors.models import Product, Vendor
from vendors.selectors import vendor_ownership_chain


def _advisories_covering(
    *, user: Actor, vendors: list[Vendor], product: Product | None
) -> QuerySet[Advisory, Any]:
    """Advisories with an inclusion target on the product (or, on a vendor page, any of the
    vendor's products), on the vendor ``vendors[0]``, on a company owning it (``vendors[1:]``)
    that takes in its subsidiaries, or on the jurisdiction of any of them."""
    countries = {str(v.country) for v in vendors if v.country}
    # The vendor itself, or a company owning it whose target takes in its subsidiaries.
    on_target = Q(targets__kind=TargetKind.VENDOR, targets__vendor=vendors[0])
    on_target |= Q(
        targets__kind=TargetKind.VENDOR,
        targets__vendor__in=vendors[1:],
        targets__include_subsidiaries=True,
    )
    on_target |= Q(targets__kind=TargetKind.JURISDICTION, targets__country__in=countries)
    if product is not None:
        on_target |= Q(targets__product=product)
    else:
        on_target |= Q(targets__product__vendor=vendors[0])
    ids = Advisory.objects.filter(on_target, targets__is_exclusion=False).values("pk")
    return (
        advisories_visible_to(user=user)
        .filter(pk__in=ids)
        .select_related("source")
        .order_by("-published_at", "-pk")
    )


@dataclass(frozen=True)
class OrganizationUse:
    """How much of a vendor's or product's software one organization runs."""

    pk: int
    name: str
    slug: str
    items: int
    quantity: int
    active_flags: int


def _organizations_using(
    *, user: Actor, items: QuerySet[InventoryItem, Any], flags: QuerySet[Flag, Any]
) -> list[OrganizationUse]:
    usage = list(
        items.values("organization_id")
        .annotate(items=Count("pk"), quantity=Sum("quantity"))
        .order_by("-items", "organization_id")
    )
    flag_counts = dict(
        flags.filter(status__in=ACTIVE_FLAG_STATUSES)
        .values("organization_id")
        .annotate(n=Count("pk"))
        .values_list("organization_id", "n")
    )
    organizations = Organization.objects.visible_to(user).in_bulk(
        [row["organization_id"] for row in usage]
    )
    return [
        OrganizationUse(
            pk=row["organization_id"],
            name=organizations[row["organization_id"]].name,
            slug=organizations[row["organization_id"]].slug,
            items=row["items"],
            quantity=row["quantity"] or 0,
            active_flags=flag_counts.get(row["organization_id"], 0),
        )
        for row in usage
        if row["organization_id"] in organizations
    ]


@dataclass(frozen=True)
class VendorPage:
    """Everything a vendor's page shows."""

    vendor: Vendor
    ownership_chain: list[Vendor]
    subsidiaries: list[Vendor]
    products: list[Product]
    advisories: QuerySet[Advisory, Any]
    organizations: list[OrganizationUse]


def vendor_page(*, user: Actor, slug: str) -> VendorPage:
    """A vendor with its ownership, products, advisories and users; ``Vendor.DoesNotExist``
    for an unknown slug."""
    vendor = Vendor.objects.select_related("parent").prefetch_related("aliases").get(slug=slug)
    chain = vendor_ownership_chain(vendor)
    items = InventoryItem.objects.visible_to(user).filter(product__vendor=vendor)
    per_product = dict(
        items.values("product_id").annotate(n=Count("pk")).values_list("product_id", "n")
    )
    products = list(vendor.products.order_by("name"))
    for product in products:
        product.item_count = per_product.get(product.pk, 0)  # type: ignore[attr-defined]
    return VendorPage(
        vendor=vendor,
        ownership_chain=chain,
        subsidiaries=list(vendor.subsidiaries.order_by("name")),
        products=products,
        advisories=_advisories_covering(user=user, vendors=[vendor, *chain], product=None),
        organizations=_organizations_using(
            user=user,
            items=items,
            flags=Flag.objects.visible_to(user).filter(item__product__vendor=vendor),
        ),
    )


@dataclass(frozen=True)
class ProductPage:
    """Everything a product's page shows."""

    product: Product
    advisories: QuerySet[Advisory, Any]
    organizations: list[OrganizationUse]
    versions: list[tuple[str, int]]


def product_page(*, user: Actor, vendor_slug: str, slug: str) -> ProductPage:
    """A product with its advisories, the organizations running it and the versions they run;
    ``Product.DoesNotExist`` for an unknown slug."""
    product = (
        Product.objects.select_related("vendor__parent")
        .prefetch_related("aliases")
        .get(vendor__slug=vendor_slug, slug=slug)
    )
    items = InventoryItem.objects.visible_to(user).filter(product=product)
    versions = list(
        items.values_list("version")
        .annotate(n=Count("pk"))
        .order_by("-n", "version")
        .values_list("version", "n")[:20]
    )
    chain = [product.vendor, *vendor_ownership_chain(product.vendor)]
    return ProductPage(
        product=product,
        advisories=_advisories_covering(user=user, vendors=chain, product=product),
        organizations=_organizations_using(
            user=user,
            items=items,
            flags=Flag.objects.visible_to(user).filter(item__product=product),
        ),
        versions=versions,
    )
