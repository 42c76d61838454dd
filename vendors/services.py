"""Writes of the catalogue: vendors, products and the names they go by.

A change that can change what inventory resolves to or what advisories match — a name or
alias, a vendor's country or parent company, a product's CPE or purl, vendor or risk traits —
marks the vendor or product (``match_requested_at``) in the same transaction and, after
commit, asks the matcher for a catalogue run. That run re-resolves the unresolved items the
change concerns and re-matches the items and advisories that depend on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import slugify

from audit.services import audit_record, audit_snapshot
from vendors.match_requests import MATCH_CATALOGUE, matching_request_on_commit
from vendors.matching.cpe import CpeError, parse_product_cpe
from vendors.matching.names import normalize_name
from vendors.matching.purls import PurlError, parse_product_purl
from vendors.models import Product, ProductAlias, Vendor, VendorAlias

VENDOR_FIELDS = frozenset(
    {"name", "slug", "country", "parent", "cpe_vendor", "website", "description"}
)
# A product's CPE name and purl are given whole ("cpe:2.3:a:kaspersky:endpoint_security:*:…",
# "pkg:pypi/django") and stored as the parts that matching joins on.
PRODUCT_FIELDS = frozenset(
    {
        "vendor",
        "name",
        "slug",
        "category",
        "cpe",
        "purl",
        "deep_system_access",
        "permanent_cloud_connection",
        "vendor_pushed_updates",
        "website",
        "description",
    }
)
_CPE_COLUMNS = ("cpe_part", "cpe_vendor", "cpe_product")
_PURL_COLUMNS = ("purl_type", "purl_namespace", "purl_name")
_PRODUCT_COLUMNS = PRODUCT_FIELDS - {"cpe", "purl"} | {*_CPE_COLUMNS, *_PURL_COLUMNS}
# Changes that can change resolution or matching (jurisdiction follows country and parent).
_VENDOR_MATCHING_FIELDS = frozenset({"name", "country", "parent", "cpe_vendor"})
_PRODUCT_MATCHING_FIELDS = _PRODUCT_COLUMNS - {"slug", "category", "website", "description"}


def _set(obj: Vendor | Product, data: Mapping[str, Any], allowed: frozenset[str]) -> set[str]:
    """Apply ``data``; return the names of the fields whose value changed."""
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if obj._state.adding:
        changed = set(data)
    else:
        changed = {name for name, value in data.items() if getattr(obj, name) != value}
    for name, value in data.items():
        setattr(obj, name, value)
    return changed


def _request_catalogue_match(
    *, vendor: Vendor | None = None, product: Product | None = None
) -> None:
    now = timezone.now()
    if vendor is not None:
        Vendor.objects.filter(pk=vendor.pk).update(match_requested_at=now)
    if product is not None:
        Product.objects.filter(pk=product.pk).update(match_requested_at=now)
    matching_request_on_commit(
        MATCH_CATALOGUE,
        [vendor.pk] if vendor is not None else [],
        [product.pk] if product is not None else [],
    )


@transaction.atomic
def vendor_create(
    *, data: Mapping[str, Any], user: Any = None, request: HttpRequest | None = None
) -> Vendor:
    """Add a vendor to the catalogue; unresolved items named after it are re-resolved."""
    vendor = Vendor()
    _set(vendor, data, VENDOR_FIELDS)
    vendor.slug = vendor.slug or slugify(vendor.name)
    vendor.normalized_name = normalize_name(vendor.name)
    vendor.full_clean()
    vendor.save()
    audit_record(
        action="vendor.create",
        actor=user,
        obj=vendor,
        after=audit_snapshot(vendor),
        request=request,
    )
    _request_catalogue_match(vendor=vendor)
    return vendor


@transaction.atomic
def vendor_update(
    *, vendor: Vendor, data: Mapping[str, Any], user: Any = None, request: HttpRequest | None = None
) -> Vendor:
    """Change a vendor; a new name, country, parent or CPE vendor is re-matched."""
    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    before = audit_snapshot(vendor)
    changed = _set(vendor, data, VENDOR_FIELDS)
    vendor.normalized_name = normalize_name(vendor.name)
    vendor.full_clean()
    vendor.save()
    audit_record(
        action="vendor.update",
        actor=user,
        obj=vendor,
        before=before,
        after=audit_snapshot(vendor),
        request=request,
    )
    if changed & _VENDOR_MATCHING_FIELDS:
        _request_catalogue_match(vendor=vendor)
    return vendor


@transaction.atomic
def vendor_alias_add(
    *, vendor: Vendor, name: str, user: Any = None, request: HttpRequest | None = None
) -> VendorAlias:
    """Give a vendor another name; unresolved items using it resolve and are matched."""
    alias = VendorAlias(vendor=vendor, name=name.strip())
    alias.normalized_name = normalize_name(alias.name)
    other = Vendor.objects.filter(normalized_name=alias.normalized_name).exclude(pk=vendor.pk)
    if other.exists():
        raise ValidationError({"name": f"'{alias.name}' is the name of another vendor."})
    alias.full_clean()
    alias.save()
    audit_record(
        action="vendor.alias_add",
        actor=user,
        obj=alias,
        after={"name": alias.name},
        request=request,
    )
    _request_catalogue_match(vendor=vendor)
    return alias


@transaction.atomic
def vendor_alias_remove(
    *, alias: VendorAlias, user: Any = None, request: HttpRequest | None = None
) -> None:
    """Take a name away from a vendor.

    Items already resolved through it keep their product (resolution is sticky); unresolved
    items matched to the vendor only by this name stop matching its advisories.
    """
    vendor = alias.vendor
    audit_record(
        action="vendor.alias_remove",
        actor=user,
        obj=alias,
        before={"name": alias.name},
        request=request,
    )
    alias.delete()
    _request_catalogue_match(vendor=vendor)


def _product_columns(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with the whole CPE name and purl parsed into the columns that store them;
    ValidationError naming the field if one is not a product's CPE name or purl."""
    unknown = set(data) - PRODUCT_FIELDS
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    columns = {name: value for name, value in data.items() if name not in ("cpe", "purl")}
    if "cpe" in data:
        try:
            columns.update(zip(_CPE_COLUMNS, parse_product_cpe(data["cpe"]), strict=True))
        except CpeError as error:
            raise ValidationError({"cpe": str(error)}) from error
    if "purl" in data:
        try:
            columns.update(zip(_PURL_COLUMNS, parse_product_purl(data["purl"]), strict=True))
        except PurlError as error:
            raise ValidationError({"purl": str(error)}) from error
    return columns


@transaction.atomic
def product_create(
    *, data: Mapping[str, Any], user: Any = None, request: HttpRequest | None = None
) -> Product:
    """Add a product; unresolved items that name it (or its CPE or purl) are re-resolved."""
    product = Product()
    _set(product, _product_columns(data), _PRODUCT_COLUMNS)
    product.slug = product.slug or slugify(product.name)
    product.normalized_name = normalize_name(product.name, legal_forms=False)
    product.full_clean()
    product.save()
    audit_record(
        action="product.create",
        actor=user,
        obj=product,
        after=audit_snapshot(product),
        request=request,
    )
    _request_catalogue_match(product=product)
    return product


@transaction.atomic
def product_update(
    *,
    product: Product,
    data: Mapping[str, Any],
    user: Any = None,
    request: HttpRequest | None = None,
) -> Product:
    """Change a product; a new name, vendor, CPE, purl or risk trait is re-matched."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    before = audit_snapshot(product)
    changed = _set(product, _product_columns(data), _PRODUCT_COLUMNS)
    product.normalized_name = normalize_name(product.name, legal_forms=False)
    product.full_clean()
    product.save()
    audit_record(
        action="product.update",
        actor=user,
        obj=product,
        before=before,
        after=audit_snapshot(product),
        request=request,
    )
    if changed & _PRODUCT_MATCHING_FIELDS:
        _request_catalogue_match(product=product)
    return product


@transaction.atomic
def product_alias_add(
    *, product: Product, name: str, user: Any = None, request: HttpRequest | None = None
) -> ProductAlias:
    """Give a product another name; unresolved items using it resolve and are matched."""
    alias = ProductAlias(product=product, name=name.strip())
    alias.normalized_name = normalize_name(alias.name, legal_forms=False)
    alias.full_clean()
    alias.save()
    audit_record(
        action="product.alias_add",
        actor=user,
        obj=alias,
        after={"name": alias.name},
        request=request,
    )
    _request_catalogue_match(product=product)
    return alias


@transaction.atomic
def product_alias_remove(
    *, alias: ProductAlias, user: Any = None, request: HttpRequest | None = None
) -> None:
    """Take a name away from a product; items resolved through it keep their product."""
    audit_record(
        action="product.alias_remove",
        actor=user,
        obj=alias,
        before={"name": alias.name},
        request=request,
    )
    alias.delete()
