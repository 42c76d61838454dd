"""The filters of the flag lists' pages (the triage list and the affected assets): the form, a
removable chip for every active filter, pickers for the filters that name a row (advisory,
vendor, product) and hidden fields for the rest, so that refining a list never drops a filter
that came from a link.

The filtering itself is the FlagFilterSet's, the API's own; this module only presents it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.forms.utils import flatatt
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from advisories.selectors import advisories_visible_to
from exposure.choices import ACTIVE_FLAG_STATUSES
from exposure.filtersets import FlagFilterSet
from exposure.models import Flag
from exposure.selectors import flag_list
from listing.pages import DateRange, checkboxes, filter_fields
from orgs.forms import QuickSelect
from orgs.models import InventoryItem, Membership, Organization, User
from orgs.scoping import Actor
from vendors.models import Product, Vendor

# Parameters that arrange the list rather than filter it.
NOT_FILTERS = ("sort", "page", "format")
# The filters the form shows, in order; every other filter of the FlagFilterSet still works
# from a link, and the form carries it along as a hidden field.
SHOWN = (
    "q",
    "status",
    "severity",
    "organization",
    "overdue",
    "unassigned",
    "known_exploited",
    "epss_min",
    "kind",
    "due",
    "advisory",
    "vendor",
    "product",
    "cve",
)
# The query parameters of each shown filter (a date range has two).
_PARAMS = {name: (name,) for name in SHOWN} | {"due": ("due_after", "due_before")}
_LABELS = {
    "q": "Search",
    "status": "Status",
    "severity": "Severity",
    "kind": "Kind",
    "organization": "Organization",
    "overdue": "Overdue",
    "unassigned": "Unassigned",
    "known_exploited": "Known exploited",
    "epss_min": "EPSS at least",
    "due_after": "Due from",
    "due_before": "Due to",
    "advisory": "Advisory",
    "vendor": "Vendor",
    "product": "Product",
    "cve": "CVE",
    "item": "Item",
    "assignee": "Assignee",
    "confidence": "Confidence",
    "active": "Still asks for work",
    "priority_min": "Priority at least",
    "first_seen_after": "First seen from",
    "first_seen_before": "First seen to",
}


# Filters that name a row by its id: their chips show the row's name.
_BY_ID = ("advisory", "vendor", "product", "organization", "item", "assignee")


@dataclass(frozen=True)
class Chip:
    """One active filter: what it says, and the address of the list without it."""

    label: str
    remove_url: str


@dataclass(frozen=True)
class FlagFilters:
    """A request's flag filters: the form fields a page shows, the filtered flags, whether the
    user chose any filter, a chip per active filter and the hidden fields that keep the
    filters the form does not show."""

    fields: list[forms.BoundField]
    flags: QuerySet[Flag, Any]
    chosen: bool
    chips: list[Chip]
    hidden: list[tuple[str, str]]
    # The filters alone, urlencoded: what a saved view keeps.
    query: str


def filter_data(request: HttpRequest) -> tuple[QueryDict, bool]:
    """The filters to apply, and whether the user chose any.

    A triage list is for work still to do: without any filter it shows the open and
    acknowledged flags, with those boxes ticked, so the user sees how to widen it.
    """
    chosen = any(value for key, value in request.GET.items() if key not in NOT_FILTERS)
    if chosen:
        return request.GET, True
    data = request.GET.copy()
    data.setlist("status", [str(status) for status in ACTIVE_FLAG_STATUSES])
    return data, False


def _yes_no(any_label: str) -> forms.Select:
    """A boolean filter as "any / yes / no"."""
    return forms.Select(choices=[("", any_label), ("true", "Yes"), ("false", "No")])


class Picker(forms.Widget):
    """A filter that names a row (an advisory, an organization, a vendor, a product) as a
    search box whose matches (htmx, ``exposure:filter_pick``) fill a hidden field with the
    row's id. The box shows the name of the row already chosen; without JavaScript the hidden
    field still carries it, so refining the list keeps it."""

    def __init__(self, kind: str, names: dict[str, str], placeholder: str) -> None:
        super().__init__()
        self.kind = kind
        self.names = names
        self.placeholder = placeholder

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        values = [value for value in data.getlist(name) if value]
        return values if self.kind != "advisory" else (values[-1] if values else None)

    def id_for_label(self, id_: str) -> str:
        return f"{id_}-search"

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        values = [str(v) for v in (value if isinstance(value, list | tuple) else [value]) if v]
        field_id = (attrs or {}).get("id", f"id_{name}")
        hidden = [
            f'<input type="hidden" name="{escape(name)}" value="{escape(v)}"'
            f"{f' id={chr(34)}{escape(field_id)}{chr(34)}' if i == 0 else ''}>"
            for i, v in enumerate(values)
        ] or [f'<input type="hidden" name="{escape(name)}" value="" id="{escape(field_id)}">']
        shown = ", ".join(self.names.get(v, f"#{v}") for v in values)
        box = flatatt(
            {
                "type": "search",
                "id": f"{field_id}-search",
                "name": "term",
                # Owned by no form: the search text is not a filter of the list.
                "form": "picker-search-only",
                "value": shown,
                "autocomplete": "off",
                "placeholder": self.placeholder,
                "aria-describedby": f"{field_id}-results",
                "hx-get": reverse("exposure:filter_pick", kwargs={"kind": self.kind}),
                "hx-trigger": "input changed delay:250ms, search",
                "hx-target": f"#{field_id}-results",
                "hx-params": "term,target",
                "hx-vals": f'{{"target": "{field_id}"}}',
                "hx-sync": "this:replace",
            }
        )
        results = (
            f'<div id="{escape(field_id)}-results" class="picker-results" aria-live="polite"></div>'
        )
        # Every value above is escaped, by escape() or by flatatt.
        return mark_safe(f"{''.join(hidden)}<input{box}>{results}")  # noqa: S308


def filter_names(data: QueryDict, user: Actor) -> dict[str, dict[str, str]]:
    """The names of the rows the filters name by id, among those the user may see; an id the
    user may not see keeps no name (its filter matches nothing anyway)."""

    def ids(key: str) -> list[int]:
        return [int(v) for v in data.getlist(key) if v.isdigit()][:20]

    names: dict[str, dict[str, str]] = {}
    if wanted := ids("advisory"):
        names["advisory"] = {
            str(pk): identifier
            for pk, identifier in advisories_visible_to(user=user)
            .filter(pk__in=wanted)
            .values_list("pk", "identifier")
        }
    if wanted := ids("vendor"):
        names["vendor"] = {
            str(pk): name
            for pk, name in Vendor.objects.filter(pk__in=wanted).values_list("pk", "name")
        }
    if wanted := ids("product"):
        names["product"] = {
            str(product.pk): str(product)
            for product in Product.objects.filter(pk__in=wanted).select_related("vendor")
        }
    if wanted := ids("organization"):
        names["organization"] = {
            str(pk): name
            for pk, name in Organization.objects.visible_to(user)
            .filter(pk__in=wanted)
            .values_list("pk", "name")
        }
    if wanted := ids("item"):
        names["item"] = {
            str(item.pk): str(item)
            for item in InventoryItem.objects.visible_to(user).filter(pk__in=wanted)
        }
    if wanted := ids("assignee"):
        # Only people of the organizations the user may see have a name here.
        fellows = Membership.objects.visible_to(user).values("user_id")
        names["assignee"] = {
            str(person.pk): "me" if person.pk == user.pk else str(person)
            for person in User.objects.filter(pk__in=wanted).filter(pk__in=fellows)
        }
    return names


def _chips(
    request: HttpRequest,
    data: QueryDict,
    form: forms.Form,
    names: dict[str, dict[str, str]],
) -> list[Chip]:
    pairs = [(key, value) for key, values in data.lists() for value in values]
    chips = []
    for index, (key, value) in enumerate(pairs):
        if key in NOT_FILTERS or not value:
            continue
        if key in _BY_ID:
            shown = names.get(key, {}).get(value, f"#{value}")
        elif key in ("overdue", "unassigned", "active"):
            shown = {"true": "yes", "false": "no"}.get(value.lower(), value)
        else:
            field = form.fields.get(key)
            choices = dict(getattr(field, "choices", None) or ())
            shown = str(choices.get(value, value))
        rest = QueryDict(mutable=True)
        for other, (other_key, other_value) in enumerate(pairs):
            if other != index and other_key != "page":
                rest.appendlist(other_key, other_value)
        chips.append(
            Chip(f"{_LABELS.get(key, key)}: {shown}", f"{request.path}?{rest.urlencode()}")
        )
    return chips


def _hidden(data: QueryDict, filterset: FlagFilterSet) -> list[tuple[str, str]]:
    """The filters the form does not show, as hidden fields, so that submitting the form keeps
    them."""
    shown = {param for name in SHOWN for param in _PARAMS[name]}
    return [
        (key, value)
        for key, values in data.lists()
        if key not in shown and key not in NOT_FILTERS and key != "sort"
        for value in values
        if value
    ]


def _filter_query(data: QueryDict) -> str:
    kept = QueryDict(mutable=True)
    for key, values in data.lists():
        if key not in NOT_FILTERS:
            kept.setlist(key, [value for value in values if value])
    return kept.urlencode()


# Up to this many organizations the filter is a drop-down; past it, a search box.
ORGANIZATIONS_LISTED = 30


def organization_filter_widget(form: forms.Form, names: dict[str, str]) -> forms.Widget:
    """A drop-down of the user's organizations when they are few; a picker when they are many
    (a CERT's analysts see hundreds): a list page should not carry hundreds of options that
    nobody scrolls through, built on every render. The flag lists and the reconciliation
    page use it for their ``organization`` filter, whose queryset is the organizations the
    user may see; ``names`` names the chosen ones (``filter_names``)."""
    field = form.fields["organization"]
    assert isinstance(field, forms.ModelChoiceField) and field.queryset is not None
    # One query either way: the drop-down's options are those read to tell few from many.
    choices = list(field.queryset.values_list("pk", "name")[: ORGANIZATIONS_LISTED + 1])
    if len(choices) > ORGANIZATIONS_LISTED:
        return Picker("organization", names, "An organization's name")
    select = QuickSelect(any_label="All your organizations")
    select.choices = choices
    return select


def flag_filters(request: HttpRequest, *, by_epss: bool = False) -> FlagFilters:
    """The flag list's filters applied to the flags the user may see: the triage list and the
    affected-assets list filter alike."""
    queryset = flag_list(user=request.user, by_epss=by_epss)
    data, chosen = filter_data(request)
    filterset = FlagFilterSet(data, queryset=queryset, request=request)
    form = filterset.form
    # The FilterSet's labels are written for the API's documentation; the page asks plainly.
    form.fields["overdue"].label = "Overdue"
    form.fields["unassigned"].label = "Unassigned"
    form.fields["known_exploited"].label = "Known exploited"
    form.fields["epss_min"].label = "EPSS at least"
    form.fields["advisory"].label = "Advisory"
    form.fields["cve"].label = "CVE"
    form.fields["vendor"].label = "Vendor"
    form.fields["product"].label = "Product"
    names = filter_names(data, request.user)
    fields = filter_fields(
        filterset,
        SHOWN,
        widgets={
            "status": checkboxes(),
            "severity": checkboxes(),
            "kind": checkboxes(),
            "organization": organization_filter_widget(form, names.get("organization", {})),
            "overdue": _yes_no("Any"),
            "unassigned": _yes_no("Any"),
            "known_exploited": _yes_no("Any"),
            "epss_min": forms.NumberInput(
                attrs={"min": 0, "max": 1, "step": "any", "placeholder": "0–1, e.g. 0.1"}
            ),
            "due": DateRange("Due"),
            "advisory": Picker("advisory", names.get("advisory", {}), "Identifier or title"),
            "vendor": Picker("vendor", names.get("vendor", {}), "A vendor's name"),
            "product": Picker("product", names.get("product", {}), "A product's name"),
            "cve": forms.TextInput(attrs={"placeholder": "CVE-2024-3400", "class": "mono"}),
        },
    )
    filtered = filterset.qs if filterset.is_valid() else queryset.none()
    return FlagFilters(
        fields=fields,
        flags=filtered,
        chosen=chosen,
        chips=_chips(request, data, form, names),
        hidden=_hidden(data, filterset),
        query=_filter_query(data) if chosen else "",
    )


def pick_options(
    *, kind: str, term: str, user: Actor, limit: int
) -> Iterable[tuple[int, str, str]]:
    """The picker's matches for ``term``: (id, name, detail) of advisories the user may read,
    of organizations the user may see, or of catalogue vendors or products."""
    if kind == "organization":
        return [
            (organization.pk, organization.name, organization.get_sector_display())
            for organization in Organization.objects.visible_to(user)
            .filter(name__icontains=term)
            .only("pk", "name", "sector")
            .order_by("name")[:limit]
        ]
    if kind == "advisory":
        advisories = advisories_visible_to(user=user).filter(
            Q(identifier__icontains=term) | Q(title__icontains=term)
        )
        return [
            (advisory.pk, advisory.identifier, advisory.title[:80])
            for advisory in advisories.only("pk", "identifier", "title").order_by("identifier")[
                :limit
            ]
        ]
    if kind == "vendor":
        return [
            (vendor.pk, vendor.name, vendor.get_country_display())
            for vendor in Vendor.objects.filter(name__icontains=term).order_by("name")[:limit]
        ]
    return [
        (product.pk, str(product), product.get_category_display())
        for product in Product.objects.filter(name__icontains=term)
        .select_related("vendor")
        .order_by("vendor__name", "name")[:limit]
    ]
