"""Pages of an organization's inventory: the list (filters, sorting, CSV export), and adding,
changing and deleting an item. Every write goes through the inventory services, which resolve
the item to a catalogue product, match it and audit the change."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from exposure.choices import ACTIVE_FLAG_STATUSES
from exposure.flag_filters import Chip
from exposure.forms import FlagBulkForm
from exposure.selectors import inventory_with_exposure, item_flags, item_for_page, item_history
from listing.pages import (
    OneOfSelect,
    SortColumn,
    checkboxes,
    csv_response,
    csv_rows,
    filter_fields,
    paginate,
    sort_queryset,
)
from orgs.choices import Role
from orgs.filtersets import InventoryItemFilterSet
from orgs.forms import InventoryItemForm
from orgs.importers.common import ITEM_FIELDS
from orgs.importers.csv import EXPORT_COLUMNS
from orgs.models import InventoryItem, Organization
from orgs.services import inventory_item_create, inventory_item_delete, inventory_item_update
from orgs.views import can_edit_inventory, organization_for
from vendors.models import Product, Vendor

LIST_COLUMNS = [
    SortColumn("vendor", "Vendor", ("normalized_vendor", "normalized_product", "version_key")),
    SortColumn("product", "Product", ("normalized_product", "version_key")),
    SortColumn("version", "Version", ("version_key",)),
    SortColumn("catalogue", "Catalogue product", ("product__vendor__name", "product__name")),
    SortColumn("environment", "Environment", ("environment",)),
    SortColumn("criticality", "Criticality", ("criticality",)),
    SortColumn("quantity", "Qty", ("quantity",)),
    SortColumn("flags", "Open flags", ("active_flags",)),
    SortColumn("updated", "Changed", ("updated_at",)),
]
# The columns the CSV import reads, first and under the same names, so that an export can be
# edited and uploaded again; then what Vendorwatch knows about each item.
CSV_HEADER = [*ITEM_FIELDS, *EXPORT_COLUMNS]


def _csv_row(item: Any) -> list[Any]:
    product = item.product
    return [
        item.raw_vendor,
        item.raw_product,
        item.version,
        item.cpe,
        item.purl,
        item.quantity,
        item.environment,
        item.criticality,
        item.external_ref,
        item.hostname,
        item.site,
        item.notes,
        product.vendor.name if product else "",
        product.name if product else "",
        item.source,
        item.active_flags,
    ]


def _resolved_select() -> forms.Select:
    """The ``resolved`` filter as a three-way choice rather than django-filter's default."""
    return forms.Select(
        choices=[("", "Any"), ("true", "Resolved to a product"), ("false", "Unresolved")]
    )


# Filters that arrive by a link (a vendor's or product's page drills into the list) and have
# no field in the form: a chip each, and a hidden field so that refining keeps them.
_LINK_FILTERS = {
    "organization": "Organization",
    "vendor": "Vendor",
    "product": "Product",
    "version": "Version",
    "versioned": "Has a version",
}


def _link_filter_names(request: HttpRequest) -> dict[tuple[str, str], str]:
    """What each link filter's value names: the organization, vendor or product (``#id`` for
    one that is unknown or not the user's to see), the version as given."""
    wanted = {key: [v for v in request.GET.getlist(key) if v.isdigit()] for key in _LINK_FILTERS}
    names: dict[tuple[str, str], str] = {}
    for pk, name in (
        Organization.objects.visible_to(request.user)
        .filter(pk__in=wanted["organization"])
        .values_list("pk", "name")
    ):
        names["organization", str(pk)] = name
    for pk, name in Vendor.objects.filter(pk__in=wanted["vendor"]).values_list("pk", "name"):
        names["vendor", str(pk)] = name
    for product in Product.objects.filter(pk__in=wanted["product"]).select_related("vendor"):
        names["product", str(product.pk)] = str(product)
    for value in request.GET.getlist("version"):
        names["version", value] = value
    for value in request.GET.getlist("versioned"):
        names["versioned", value] = {"true": "yes", "false": "no"}.get(value.lower(), value)
    return names


def _link_filters(request: HttpRequest) -> tuple[list[Chip], list[tuple[str, str]]]:
    """The chips and hidden fields of the link filters the request carries."""
    names = _link_filter_names(request)
    chips, hidden = [], []
    for key, label in _LINK_FILTERS.items():
        for value in request.GET.getlist(key):
            if not value:
                continue
            rest = request.GET.copy()
            rest.setlist(key, [v for v in rest.getlist(key) if v != value])
            rest.pop("page", None)
            shown = names.get((key, value), f"#{value}")
            chips.append(Chip(f"{label}: {shown}", f"{request.path}?{rest.urlencode()}"))
            hidden.append((key, value))
    return chips, hidden


@login_required
@require_GET
def inventory_list_view(request: HttpRequest, slug: str) -> HttpResponseBase:
    """The organization's items with the inventory FilterSet the API uses."""
    organization, role = organization_for(request, slug)
    return _inventory_list(request, organization=organization, can_edit=can_edit_inventory(role))


@login_required
@require_GET
def inventory_all_view(request: HttpRequest) -> HttpResponseBase:
    """The items of every organization the user may see, filtered alike: where a vendor's or
    product's page counts items across organizations, this list shows them."""
    return _inventory_list(request, organization=None, can_edit=False)


def _inventory_list(
    request: HttpRequest, *, organization: Organization | None, can_edit: bool
) -> HttpResponseBase:
    queryset = inventory_with_exposure(organization=organization, user=request.user)
    filterset = InventoryItemFilterSet(request.GET, queryset=queryset, request=request)
    fields = filter_fields(
        filterset,
        ("q", "resolved", "environment", "criticality", "source"),
        widgets={
            "resolved": _resolved_select(),
            "environment": checkboxes(),
            "criticality": checkboxes(),
            "source": OneOfSelect(any_label="Any source"),
        },
    )
    filtered = filterset.qs if filterset.is_valid() else queryset.none()
    ordered, sort = sort_queryset(filtered, request, LIST_COLUMNS, default="vendor")
    if request.GET.get("format") == "csv":
        name = organization.slug if organization else "all"
        return csv_response(
            filename=f"inventory-{name}-{timezone.localdate().isoformat()}.csv",
            header=CSV_HEADER,
            rows=csv_rows(ordered, _csv_row),
        )
    chips, hidden = _link_filters(request)
    context = {
        "organization": organization,
        "can_edit": can_edit,
        "page": paginate(ordered, request),
        # What a vendor's or product's page counts as installations.
        "installations": filtered.aggregate(n=Sum("quantity"))["n"] or 0,
        "filter_fields": fields,
        "chips": chips,
        "hidden": hidden,
        "sort": sort,
        "filtered": any(value for key, value in request.GET.items() if key not in ("sort", "page")),
    }
    return render(request, "orgs/inventory_list.html", context)


@login_required
@require_GET
def item_detail_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """An item as the unit of work: what and where it is, all its flags, one triage of its
    active flags, and the history of its flags."""
    organization, role = organization_for(request, slug)
    try:
        item = item_for_page(user=request.user, organization=organization, pk=pk)
    except InventoryItem.DoesNotExist:
        raise Http404("No such item.") from None
    flags = item_flags(item=item, user=request.user)
    active = [flag for flag in flags if flag.status in ACTIVE_FLAG_STATUSES]
    context = {
        "organization": organization,
        "item": item,
        "flags": flags,
        "active_count": len(active),
        "can_edit": can_edit_inventory(role),
        "bulk_form": FlagBulkForm(),
        "events": item_history(item=item, user=request.user),
        "today": timezone.localdate(),
    }
    return render(request, "orgs/item_detail.html", context)


def _item_for(request: HttpRequest, organization: Organization, pk: int) -> InventoryItem:
    item = (
        InventoryItem.objects.visible_to(request.user)
        .filter(organization=organization, pk=pk)
        .select_related("product__vendor")
        .first()
    )
    if item is None:
        raise Http404("No such item.")
    return item


def _form_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's refusal on the form, on the field it names where the form has one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _inventory_url(organization: Organization) -> str:
    return reverse("orgs:inventory_list", kwargs={"slug": organization.slug})


@login_required
def item_create_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Add an item; it is resolved to a catalogue product and matched at once."""
    organization, _role = organization_for(request, slug, Role.ANALYST)
    form = InventoryItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = inventory_item_create(
                organization=organization,
                data=form.cleaned_data,
                user=request.user,
                request=request,
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _saved_message(item, "added"))
            return redirect(_inventory_url(organization))
    return _render_form(request, organization, form, item=None)


@login_required
def item_edit_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Change an item; a change of what it is or of its version re-resolves and re-matches it."""
    organization, _role = organization_for(request, slug, Role.ANALYST)
    item = _item_for(request, organization, pk)
    form = InventoryItemForm(request.POST or None, initial=InventoryItemForm.initial_from(item))
    if request.method == "POST" and form.is_valid():
        try:
            item = inventory_item_update(
                item=item, data=form.cleaned_data, user=request.user, request=request
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _saved_message(item, "saved"))
            return redirect(_inventory_url(organization))
    return _render_form(request, organization, form, item=item)


def _saved_message(item: InventoryItem, verb: str) -> str:
    if item.product_id:
        return f"“{item}” {verb}; it is {item.product} in the catalogue and is being matched."
    return (
        f"“{item}” {verb}. Its names are not in the catalogue yet, so it waits on the "
        "reconciliation page."
    )


def _render_form(
    request: HttpRequest,
    organization: Organization,
    form: InventoryItemForm,
    *,
    item: InventoryItem | None,
) -> HttpResponse:
    status = 400 if request.method == "POST" else 200
    context = {"organization": organization, "form": form, "item": item}
    return render(request, "orgs/item_form.html", context, status=status)


@login_required
def item_delete_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Delete an item after a confirmation page; its flags resolve as "item removed"."""
    organization, _role = organization_for(request, slug, Role.ANALYST)
    item = _item_for(request, organization, pk)
    if request.method == "POST":
        label = str(item)
        inventory_item_delete(item=item, user=request.user, request=request)
        messages.success(request, f"“{label}” deleted; its flags are resolved.")
        return redirect(_inventory_url(organization))
    context = {
        "organization": organization,
        "item": item,
        "active_flags": item.flags.filter(status__in=ACTIVE_FLAG_STATUSES).count(),
    }
    return render(request, "orgs/item_delete.html", context)
