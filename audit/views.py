"""The audit trail's page, for organization admins (and superusers, who also see platform
entries such as failed sign-ins): filters, pagination and a CSV export of the filtered list.

What it shows comes from ``AuditEntry.objects.visible_to``, the one scoping rule the API uses
too; the filters are the API's FilterSet.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from audit.filtersets import AuditEntryFilterSet
from audit.models import AuditEntry
from listing.pages import DateRange, csv_response, csv_rows, filter_fields, paginate
from orgs.choices import Role
from orgs.models import Organization, User
from orgs.scoping import Actor

CSV_HEADER = [
    "created_at",
    "actor_id",
    "actor",
    "organization_id",
    "organization",
    "action",
    "object_type",
    "object_id",
    "object",
    "before",
    "after",
    "ip_address",
    "via",
]
# Characters of one value shown in the list; the CSV export has them whole.
VALUE_CHARS = 200


class DateTimeRange(DateRange):
    """The entry's time, from and to, as two date-and-time pickers (the FilterSet takes ISO
    date-times)."""

    def __init__(self, label: str) -> None:
        super().__init__(label)
        for widget in self.widgets:
            widget.input_type = "datetime-local"
            widget.attrs["type"] = "datetime-local"


def _organizations(user: Actor) -> QuerySet[Organization, Any]:
    return Organization.objects.with_role(user, Role.ADMIN).order_by("name")


def _actors(user: Actor) -> QuerySet[User, Any]:
    """The people whose entries the user may read: the members of the organizations they
    administer (everyone, for a superuser)."""
    if user.is_superuser:
        return User.objects.order_by("username")
    return (
        User.objects.filter(memberships__organization__in=_organizations(user).values("pk"))
        .distinct()
        .order_by("username")
    )


def _choices(rows: QuerySet[Any, Any], label: str) -> list[tuple[str, str]]:
    return [("", f"Any {label}"), *((str(pk), name) for pk, name in rows)]


def _changes(entry: AuditEntry) -> list[tuple[str, str, str]]:
    """``(field, before, after)`` of every value the entry records, shortened for the list."""
    before, after = entry.before or {}, entry.after or {}

    def show(values: dict[str, Any], name: str) -> str:
        if name not in values:
            return ""
        text = json.dumps(values[name], ensure_ascii=False, default=str)
        return text if len(text) <= VALUE_CHARS else f"{text[:VALUE_CHARS]}…"

    return [(name, show(before, name), show(after, name)) for name in {**before, **after}]


def _csv_row(entry: AuditEntry) -> list[Any]:
    return [
        entry.created_at.isoformat(),
        entry.actor_id,
        entry.actor_name,
        entry.organization_id,
        entry.organization_name,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.object_repr,
        json.dumps(entry.before, ensure_ascii=False) if entry.before is not None else "",
        json.dumps(entry.after, ensure_ascii=False) if entry.after is not None else "",
        entry.ip_address,
        entry.via,
    ]


@login_required
@require_GET
def entry_list(request: HttpRequest) -> HttpResponseBase:
    """Who did what, newest first, in the organizations the user administers."""
    queryset = AuditEntry.objects.visible_to(request.user)
    filterset = AuditEntryFilterSet(request.GET, queryset=queryset, request=request)
    organizations = _organizations(request.user)
    fields = filter_fields(
        filterset,
        ("q", "organization", "actor", "action_prefix", "object_type", "created"),
        widgets={
            "organization": forms.Select(),
            "actor": forms.Select(),
            "created": DateTimeRange("Time"),
        },
    )
    filterset.form.fields["organization"].widget.choices = _choices(
        organizations.values_list("pk", "name"), "organization"
    )
    filterset.form.fields["actor"].widget.choices = _choices(
        _actors(request.user).values_list("pk", "username"), "actor"
    )
    filtered = filterset.qs if filterset.is_valid() else queryset.none()
    ordered = filtered.order_by("-created_at", "-pk")
    if request.GET.get("format") == "csv":
        return csv_response(
            filename=f"audit-{timezone.localdate().isoformat()}.csv",
            header=CSV_HEADER,
            rows=csv_rows(ordered, _csv_row),  # type: ignore[arg-type]
        )
    page = paginate(ordered, request)
    context = {
        "page": page,
        "rows": [(entry, _changes(entry)) for entry in page.object_list],
        "filter_fields": fields,
        "filtered": any(value for key, value in request.GET.items() if key != "page"),
        "administers": request.user.is_superuser or organizations.exists(),
    }
    return render(request, "audit/entry_list.html", context)
