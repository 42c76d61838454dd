"""Pages of the catalogue: vendor and product lists and pages, and the vendor and product
search that the advisory editor's pickers call through htmx."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from exposure.catalogue import ProductPage, VendorPage, product_page, vendor_page
from listing.pages import OneOfSelect, SortColumn, filter_fields, paginate, sort_queryset
from orgs.permissions import can_edit_catalogue
from vendors.filtersets import ProductFilterSet, VendorFilterSet, product_identifier_filter
from vendors.models import Product, Vendor
from vendors.selectors import product_list, vendor_list

VENDOR_COLUMNS = [
    SortColumn("name", "Vendor", ("name",)),
    SortColumn("country", "Country", ("country",)),
    SortColumn("parent", "Owned by", ("parent__name",)),
    SortColumn("products", "Products", ("product_count",)),
]
PRODUCT_COLUMNS = [
    SortColumn("name", "Product", ("name",)),
    SortColumn("vendor", "Vendor", ("vendor__name", "name")),
    SortColumn("category", "Category", ("category",)),
]
# Rows per page of the tables on a vendor's or product's page.
DETAIL_ROWS = 25
# How many matches a picker offers; the editor narrows the text rather than scrolls.
SEARCH_LIMIT = 10


@login_required
@require_GET
def vendor_list_view(request: HttpRequest) -> HttpResponse:
    """Vendors, searchable by name or alias and filterable by country."""
    filterset = VendorFilterSet(request.GET, queryset=vendor_list(), request=request)
    fields = filter_fields(
        filterset, ("q", "country"), widgets={"country": OneOfSelect(any_label="Any country")}
    )
    filtered = filterset.qs if filterset.is_valid() else Vendor.objects.none()
    ordered, sort = sort_queryset(filtered, request, VENDOR_COLUMNS, default="name")
    context = {
        "page": paginate(ordered, request),
        "filter_fields": fields,
        "sort": sort,
        "filtered": any(v for k, v in request.GET.items() if k not in ("sort", "page")),
    }
    return render(request, "vendors/vendor_list.html", context)


@login_required
@require_GET
def product_list_view(request: HttpRequest) -> HttpResponse:
    """Products, searchable and filterable by vendor and category."""
    filterset = ProductFilterSet(request.GET, queryset=product_list(), request=request)
    fields = filter_fields(
        filterset,
        ("q", "category", "vendor_country"),
        widgets={
            "category": OneOfSelect(any_label="Any category"),
            "vendor_country": OneOfSelect(any_label="Any country"),
        },
    )
    filtered = filterset.qs if filterset.is_valid() else Product.objects.none()
    ordered, sort = sort_queryset(filtered, request, PRODUCT_COLUMNS, default="vendor")
    context = {
        "page": paginate(ordered, request),
        "filter_fields": fields,
        "sort": sort,
        "filtered": any(v for k, v in request.GET.items() if k not in ("sort", "page")),
    }
    return render(request, "vendors/product_list.html", context)


def _detail_context(request: HttpRequest, page: VendorPage | ProductPage) -> dict[str, Any]:
    """A catalogue page with its two open-ended tables paginated, each by its own parameter;
    ``?affected=true`` narrows the organizations to those with open flags (as the overview
    counts them)."""
    affected_only = request.GET.get("affected") == "true"
    organizations = page.organizations
    if affected_only:
        organizations = [
            organization for organization in organizations if organization.active_flags
        ]
    return {
        "page": page,
        "advisories": paginate(page.advisories, request, per_page=DETAIL_ROWS, param="advisories"),
        "organizations": paginate(
            organizations, request, per_page=DETAIL_ROWS, param="organizations"
        ),
        "affected_only": affected_only,
    }


@login_required
@require_GET
def vendor_detail_view(request: HttpRequest, slug: str) -> HttpResponse:
    """A vendor: where it is, who owns it, what it makes, what advisories say about it, and
    which of the user's organizations run it."""
    try:
        page = vendor_page(user=request.user, slug=slug)
    except Vendor.DoesNotExist:
        raise Http404("No such vendor.") from None
    return render(request, "vendors/vendor_detail.html", _detail_context(request, page))


@login_required
@require_GET
def product_detail_view(request: HttpRequest, vendor_slug: str, slug: str) -> HttpResponse:
    """A product: its vendor, category, risk traits, identifiers, advisories and users."""
    try:
        page = product_page(user=request.user, vendor_slug=vendor_slug, slug=slug)
    except Product.DoesNotExist:
        raise Http404("No such product.") from None
    return render(request, "vendors/product_detail.html", _detail_context(request, page))


def _picker_context(request: HttpRequest) -> dict[str, str]:
    if not can_edit_catalogue(request.user):
        raise PermissionDenied
    return {
        "query": request.GET.get("q", "").strip()[:200],
        # The id of the hidden input the picked option fills in; only form-field ids pass.
        "target": "".join(c for c in request.GET.get("target", "") if c.isalnum() or c in "_-"),
    }


@login_required
@require_GET
def vendor_search_view(request: HttpRequest) -> HttpResponse:
    """The vendor picker's matches (htmx): by name or alias, best first."""
    context: dict[str, object] = dict(_picker_context(request))
    query = str(context["query"])
    matches = []
    if query:
        matches = list(
            Vendor.objects.filter(Q(name__icontains=query) | Q(aliases__name__icontains=query))
            .distinct()
            .order_by("name")[:SEARCH_LIMIT]
        )
    context["options"] = [
        (vendor.pk, vendor.name, vendor.get_country_display()) for vendor in matches
    ]
    return render(request, "vendors/_picker_options.html", context)


@login_required
@require_GET
def product_search_view(request: HttpRequest) -> HttpResponse:
    """The product picker's matches (htmx): by product, alias or vendor name, or the products
    a pasted CPE name or purl names."""
    context: dict[str, object] = dict(_picker_context(request))
    query = str(context["query"])
    matches = []
    if query:
        matches = list(
            Product.objects.filter(
                product_identifier_filter(query)
                or (
                    Q(name__icontains=query)
                    | Q(aliases__name__icontains=query)
                    | Q(vendor__name__icontains=query)
                )
            )
            .select_related("vendor")
            .distinct()
            .order_by("vendor__name", "name")[:SEARCH_LIMIT]
        )
    context["options"] = [
        (product.pk, str(product), product.get_category_display()) for product in matches
    ]
    return render(request, "vendors/_picker_options.html", context)
