"""Pages of organizations: the list, and an organization's page with its exposure summary,
its inventory and its most urgent flags.

Every page finds its organization through ``organization_for``: one the user may not see is
not found (404), exactly like one that does not exist; one the user sees without the role a
page needs is refused (403).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from advisories.choices import SEVERITY_RANK, Severity
from exposure.charts import bars
from exposure.choices import FlagStatus
from exposure.selectors import (
    advisories_affecting,
    flags_most_urgent,
    org_exposure_summary,
    organizations_exposure_list,
)
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
from orgs.choices import ROLE_RANK, Role
from orgs.filtersets import OrganizationFilterSet
from orgs.forms import QuickSelect
from orgs.models import ImportJob, Organization
from orgs.scoping import role_in
from orgs.selectors import inventory_counts

LIST_COLUMNS = [
    SortColumn("name", "Organization", ("name",)),
    SortColumn("sector", "Sector", ("sector", "name")),
    SortColumn("country", "Country", ("country", "name")),
    SortColumn("tier", "Criticality tier", ("criticality_tier", "name")),
    SortColumn("items", "Items", ("item_count",)),
    SortColumn("flags", "Open flags", ("active_flags",)),
    SortColumn("overdue", "Overdue", ("overdue_flags",)),
]
CSV_HEADER = [
    "name",
    "sector",
    "country",
    "criticality_tier",
    "items",
    "open_flags",
    "overdue_flags",
    "url",
]


def _csv_row(request: HttpRequest) -> Callable[[Any], list[Any]]:
    def row(org: Any) -> list[Any]:
        return [
            org.name,
            org.get_sector_display(),
            org.country.code,
            org.get_criticality_tier_display(),
            org.item_count,
            org.active_flags,
            org.overdue_flags,
            request.build_absolute_uri(org.get_absolute_url()),
        ]

    return row


def organization_for(
    request: HttpRequest, slug: str, minimum: Role = Role.VIEWER
) -> tuple[Organization, Role]:
    """The organization at ``slug`` and the user's role in it; 404 when the user may not see it,
    403 when they see it with less than ``minimum``."""
    organization = Organization.objects.visible_to(request.user).filter(slug=slug).first()
    role = role_in(request.user, organization) if organization is not None else None
    if organization is None or role is None:
        raise Http404("No such organization.")
    if ROLE_RANK[role] < ROLE_RANK[minimum]:
        raise PermissionDenied(f"This needs the {minimum.label.lower()} role in {organization}.")
    return organization, role


def can_edit_inventory(role: Role) -> bool:
    """Analysts and above keep the inventory and triage flags; viewers read."""
    return ROLE_RANK[role] >= ROLE_RANK[Role.ANALYST]


@login_required
@require_GET
def organization_list_view(request: HttpRequest) -> HttpResponseBase:
    """The organizations the user may see, with their items, open and overdue flags."""
    queryset = organizations_exposure_list(user=request.user)
    filterset = OrganizationFilterSet(request.GET, queryset=queryset, request=request)
    fields = filter_fields(
        filterset,
        ("q", "sector", "criticality_tier", "country"),
        widgets={
            "sector": OneOfSelect(any_label="Any sector"),
            "criticality_tier": checkboxes(),
            "country": QuickSelect(any_label="Any country"),
        },
    )
    filtered = filterset.qs if filterset.is_valid() else queryset.none()
    ordered, sort = sort_queryset(filtered, request, LIST_COLUMNS, default="-flags")
    if request.GET.get("format") == "csv":
        return csv_response(
            filename=f"organizations-{timezone.localdate().isoformat()}.csv",
            header=CSV_HEADER,
            rows=csv_rows(ordered, _csv_row(request)),
        )
    context = {
        "page": paginate(ordered, request),
        "filter_fields": fields,
        "sort": sort,
        "filtered": any(value for key, value in request.GET.items() if key not in ("sort", "page")),
    }
    return render(request, "orgs/organization_list.html", context)


@login_required
@require_GET
def organization_detail_view(request: HttpRequest, slug: str) -> HttpResponseBase:
    """An organization at a glance: its exposure, the flags that need work first, the
    advisories behind them, and the state of its inventory."""
    organization, role = organization_for(request, slug)
    summary = org_exposure_summary(organization=organization, user=request.user)
    context = {
        "organization": organization,
        "role": role,
        "can_edit": can_edit_inventory(role),
        "summary": summary,
        "severity_bars": bars(
            [
                (severity, Severity(severity).label, summary.active_by_severity[severity])
                for severity in sorted(SEVERITY_RANK, key=SEVERITY_RANK.__getitem__, reverse=True)
            ]
        ),
        # Each bar links to the flags it counts.
        "severity_link": f"?organization={organization.pk}&status=open&status=acknowledged"
        "&severity=",
        "statuses": [(FlagStatus(s), count) for s, count in summary.by_status.items()],
        "urgent": flags_most_urgent(organization=organization, user=request.user),
        "advisories": advisories_affecting(organization=organization, user=request.user),
        "inventory": inventory_counts(organization=organization, user=request.user),
        "imports": ImportJob.objects.visible_to(request.user)
        .filter(organization=organization)
        .defer("content", "errors")
        .select_related("created_by")[:5],
        "today": timezone.localdate(),
    }
    return render(request, "orgs/organization_detail.html", context)
