"""Filters of the flag lists, shared by the list pages and the API."""

from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from advisories.choices import AdvisoryKind, Severity
from advisories.models import AdvisoryCve
from config.filtersets import SearchFilterSet
from exposure.choices import ACTIVE_FLAG_STATUSES, Confidence, FlagStatus
from exposure.models import Flag
from orgs.filtersets import visible_organizations
from vendors.models import Product, Vendor


class FlagFilterSet(SearchFilterSet):
    """``q`` searches the advisory's identifier and title and the item's label."""

    search_fields = ("advisory__identifier", "advisory__title", "item_label")

    status = django_filters.MultipleChoiceFilter(choices=FlagStatus.choices)
    active = django_filters.BooleanFilter(method="filter_active", label="Still asks for work")
    confidence = django_filters.ChoiceFilter(choices=Confidence.choices)
    organization = django_filters.ModelMultipleChoiceFilter(queryset=visible_organizations)
    advisory = django_filters.NumberFilter(field_name="advisory_id", label="Advisory id")
    item = django_filters.NumberFilter(field_name="item_id", label="Inventory item id")
    severity = django_filters.MultipleChoiceFilter(
        field_name="advisory__severity", choices=Severity.choices
    )
    kind = django_filters.MultipleChoiceFilter(
        field_name="advisory__kind", choices=AdvisoryKind.choices
    )
    vendor = django_filters.ModelMultipleChoiceFilter(
        field_name="item__product__vendor", queryset=Vendor.objects.all()
    )
    product = django_filters.ModelMultipleChoiceFilter(
        field_name="item__product", queryset=Product.objects.all()
    )
    cve = django_filters.CharFilter(method="filter_cve", label="CVE id", max_length=30)
    assignee = django_filters.NumberFilter(field_name="assignee_id", label="Assignee's user id")
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")
    priority_min = django_filters.NumberFilter(
        field_name="priority", lookup_expr="gte", min_value=0, max_value=100
    )
    due = django_filters.DateFromToRangeFilter(field_name="due_date")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Active and past due")
    first_seen = django_filters.IsoDateTimeFromToRangeFilter(field_name="first_seen_at")

    class Meta:
        model = Flag
        fields = ["status", "confidence", "organization"]

    def filter_active(
        self, queryset: QuerySet[Any, Any], name: str, value: bool | None
    ) -> QuerySet[Any, Any]:
        if value is None:
            return queryset
        active = Q(status__in=ACTIVE_FLAG_STATUSES)
        return queryset.filter(active if value else ~active)

    def filter_overdue(
        self, queryset: QuerySet[Any, Any], name: str, value: bool | None
    ) -> QuerySet[Any, Any]:
        if value is None:
            return queryset
        overdue = Q(status__in=ACTIVE_FLAG_STATUSES, due_date__lt=timezone.localdate())
        return queryset.filter(overdue if value else ~overdue)

    def filter_cve(self, queryset: QuerySet[Any, Any], name: str, value: str) -> QuerySet[Any, Any]:
        value = value.strip().upper()
        if not value:
            return queryset
        cves = AdvisoryCve.objects.filter(advisory=OuterRef("advisory_id"), cve_id=value)
        return queryset.filter(Exists(cves))
