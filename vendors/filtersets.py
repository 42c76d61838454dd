"""Filters of the catalogue lists, shared by the list pages and the API."""

from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django_countries import countries

from listing.filtersets import SearchFilterSet
from vendors.choices import ProductCategory
from vendors.matching.cpe import PREFIX as CPE_PREFIX
from vendors.matching.cpe import CpeError, parse_cpe23, part_code
from vendors.matching.purls import PurlError, purl_identity
from vendors.models import Product, ProductAlias, Vendor, VendorAlias


class VendorFilterSet(SearchFilterSet):
    """``q`` searches names, aliases and the CPE vendor name."""

    country = django_filters.MultipleChoiceFilter(choices=list(countries))
    parent = django_filters.ModelChoiceFilter(queryset=Vendor.objects.all())
    has_parent = django_filters.BooleanFilter(
        field_name="parent", lookup_expr="isnull", exclude=True, label="Owned by another vendor"
    )

    class Meta:
        model = Vendor
        fields = ["country", "parent"]

    def search(self, queryset: QuerySet[Any, Any], name: str, value: str) -> QuerySet[Any, Any]:
        value = value.strip()
        if not value:
            return queryset
        # An alias match is a subquery, not a join, so that a vendor is listed once.
        alias = VendorAlias.objects.filter(vendor=OuterRef("pk"), name__icontains=value)
        return queryset.filter(
            Q(name__icontains=value) | Q(cpe_vendor__icontains=value) | Q(Exists(alias))
        )


def product_identifier_filter(text: str) -> Q | None:
    """The products a whole CPE 2.3 name or package URL names; None when ``text`` is neither.

    A CPE name finds its vendor:product whatever version it names, of a part that fits its own
    (as matching compares them); a purl finds its package.
    """
    text = text.strip()
    if text[: len(CPE_PREFIX)].lower() == CPE_PREFIX:
        try:
            cpe = parse_cpe23(text)
        except CpeError:
            return None
        if not (cpe.vendor.is_plain and cpe.product.is_plain):
            return None
        named = Q(cpe_vendor=cpe.vendor.literal, cpe_product=cpe.product.literal)
        part = part_code(cpe.part)
        return named & Q(cpe_part__in=[part, ""]) if part else named
    if text[:4].lower() == "pkg:":
        try:
            purl_type, namespace, name = purl_identity(text)
        except PurlError:
            return None
        return Q(purl_type=purl_type, purl_namespace=namespace, purl_name=name)
    return None


class ProductFilterSet(SearchFilterSet):
    """``q`` searches product names, aliases, CPE and purl names, and the vendor's name; a
    whole CPE name or package URL finds the products it names."""

    vendor = django_filters.ModelMultipleChoiceFilter(queryset=Vendor.objects.all())
    category = django_filters.MultipleChoiceFilter(choices=ProductCategory.choices)
    vendor_country = django_filters.MultipleChoiceFilter(
        field_name="vendor__country", choices=list(countries), label="Vendor's country"
    )

    class Meta:
        model = Product
        fields = [
            "vendor",
            "category",
            "deep_system_access",
            "permanent_cloud_connection",
            "vendor_pushed_updates",
        ]

    def search(self, queryset: QuerySet[Any, Any], name: str, value: str) -> QuerySet[Any, Any]:
        value = value.strip()
        if not value:
            return queryset
        identifier = product_identifier_filter(value)
        if identifier is not None:
            return queryset.filter(identifier)
        alias = ProductAlias.objects.filter(product=OuterRef("pk"), name__icontains=value)
        return queryset.filter(
            Q(name__icontains=value)
            | Q(vendor__name__icontains=value)
            | Q(cpe_product__icontains=value)
            | Q(purl_name__icontains=value)
            | Q(Exists(alias))
        )


class VendorAliasFilterSet(SearchFilterSet):
    search_fields = ("name",)

    class Meta:
        model = VendorAlias
        fields = ["vendor"]


class ProductAliasFilterSet(SearchFilterSet):
    search_fields = ("name",)

    class Meta:
        model = ProductAlias
        fields = ["product"]
