"""The reconciliation page: inventory names that match no catalogue product, grouped by
spelling, and (for those who may edit the catalogue) mapping a spelling to a product.

Members see the spellings of their own organizations' items, so that they know what waits;
mapping adds aliases to the catalogue that every organization shares, so it is for advisory
editors and superusers (``orgs.reconciliation``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from exposure.flag_filters import filter_names, organization_filter_widget
from listing.pages import SortColumn, filter_fields, paginate, sort_queryset
from orgs.filtersets import InventoryItemFilterSet
from orgs.forms import NameMappingForm
from orgs.permissions import can_edit_catalogue
from orgs.reconciliation import unresolved_name_map
from orgs.selectors import inventory_unresolved, unresolved_name_groups
from vendors.matching.names import normalize_name

GROUP_COLUMNS = [
    SortColumn("vendor", "Vendor (as entered)", ("normalized_vendor", "normalized_product")),
    SortColumn("product", "Product (as entered)", ("normalized_product", "normalized_vendor")),
    SortColumn("items", "Items", ("item_count",)),
    SortColumn("organizations", "Organizations", ("organization_count",)),
]
GROUP_COLUMNS_BY_KEY = {column.key: column.ordering for column in GROUP_COLUMNS}


@login_required
@require_GET
def reconciliation_view(request: HttpRequest) -> HttpResponse:
    """Unresolved spellings, most used first, filtered with the inventory FilterSet."""
    groups = unresolved_name_groups(user=request.user)
    filterset = InventoryItemFilterSet(request.GET, queryset=groups, request=request)
    # A drop-down of the user's organizations, or past a few dozen the flag list's picker.
    chosen = filter_names(request.GET, request.user).get("organization", {})
    fields = filter_fields(
        filterset,
        ("q", "organization"),
        widgets={"organization": organization_filter_widget(filterset.form, chosen)},
    )
    filtered = filterset.qs if filterset.is_valid() else groups.none()
    # The shared sort adds the primary key as a tie-breaker, which would split every group
    # into its items; the whitelist is resolved there, and the spelling breaks ties here.
    _unused, sort = sort_queryset(groups.none(), request, GROUP_COLUMNS, default="-items")
    ordering = [
        f"-{field}" if sort.descending else field for field in GROUP_COLUMNS_BY_KEY[sort.key]
    ]
    ordered = filtered.order_by(*ordering, "normalized_vendor", "normalized_product")
    context = {
        "page": paginate(ordered, request),
        "filter_fields": fields,
        "sort": sort,
        "can_map": can_edit_catalogue(request.user),
        "filtered": any(value for key, value in request.GET.items() if key not in ("sort", "page")),
    }
    return render(request, "orgs/reconciliation.html", context)


def _back(request: HttpRequest) -> str:
    """Where the page was, filters and page number included, when it is on this site."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("orgs:reconciliation")


@login_required
@require_POST
def name_map_view(request: HttpRequest) -> HttpResponse:
    """Map one spelling to a catalogue product: the aliases it needs are added and its items,
    in every organization, re-resolve and are matched."""
    if not can_edit_catalogue(request.user):
        raise PermissionDenied("Only advisory editors may add names to the catalogue.")
    form = NameMappingForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(_back(request))
    data: dict[str, Any] = form.cleaned_data
    try:
        mapping = unresolved_name_map(
            raw_vendor=data["raw_vendor"],
            raw_product=data["raw_product"],
            product=data["product"],
            user=request.user,
            request=request,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(_back(request))
    product = data["product"]
    added = [
        f"the name “{alias.name}” to {owner}"
        for alias, owner in (
            (mapping.vendor_alias, product.vendor.name),
            (mapping.product_alias, product.name),
        )
        if alias is not None
    ]
    # With a worker the re-resolution follows within seconds; without one (eager tasks) it
    # has already happened.
    waiting = (
        inventory_unresolved(user=request.user)
        .filter(
            normalized_vendor=normalize_name(data["raw_vendor"]),
            normalized_product=normalize_name(data["raw_product"], legal_forms=False),
        )
        .count()
    )
    outcome = (
        f"{waiting} item{pluralize(waiting)} are being resolved and matched."
        if waiting
        else "its items are resolved and matched."
    )
    spelling = " ".join(part for part in (data["raw_vendor"], data["raw_product"]) if part)
    messages.success(
        request, f"“{spelling}” is now {product}: added {' and '.join(added)}; {outcome}"
    )
    return redirect(_back(request))
