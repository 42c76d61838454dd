"""Filters of the flag lists, shared by the list pages and the API."""

from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from advisories.choices import AdvisoryKind, Severity
from advisories.models import AdvisoryCve
from exposure.choices import (
    ACTIVE_FLAG_STATUSES,
    Confidence,
    FlagStatus,
    MatchRunKind,
    MatchRunStatus,
)
from exposure.models import Flag, MatchRun
from listing.filtersets import DateTimeFromToRangeFilter, IntegerFilter, SearchFilterSet
from orgs.filtersets import OrganizationsFilter
from vendors.models import Product, Vendor


class FlagFilterSet(SearchFilterSet):
    """``q`` searches the advisory's identifier and title, the item's label and what tells the
    asset apart (its reference, hostname and site).

    Every multiple-choice filter follows a many-to-one path, so none can repeat a flag; they
    say ``distinct=False`` because django-filter's default DISTINCT makes the database sort
    every matching flag, all columns, before a page of them can be shown.
    """

    search_fields = (
        "advisory__identifier",
        "advisory__title",
        "item_label",
        "item__external_ref",
        "item__hostname",
        "item__site",
    )

    status = django_filters.MultipleChoiceFilter(choices=FlagStatus.choices, distinct=False)
    active = django_filters.BooleanFilter(method="filter_active", label="Still asks for work")
    confidence = django_filters.ChoiceFilter(choices=Confidence.choices)
    organization = OrganizationsFilter()
    advisory = IntegerFilter(field_name="advisory_id", label="Advisory id")
    item = IntegerFilter(field_name="item_id", label="Inventory item id")
    severity = django_filters.MultipleChoiceFilter(
        field_name="advisory__severity", choices=Severity.choices, distinct=False
    )
    kind = django_filters.MultipleChoiceFilter(
        field_name="advisory__kind", choices=AdvisoryKind.choices, distinct=False
    )
    vendor = django_filters.ModelMultipleChoiceFilter(
        field_name="item__product__vendor", queryset=Vendor.objects.all(), distinct=False
    )
    product = django_filters.ModelMultipleChoiceFilter(
        field_name="item__product", queryset=Product.objects.all(), distinct=False
    )
    cve = django_filters.CharFilter(method="filter_cve", label="CVE id", max_length=30)
    assignee = IntegerFilter(field_name="assignee_id", label="Assignee's user id")
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")
    priority_min = IntegerFilter(
        field_name="priority", lookup_expr="gte", min_value=0, max_value=100
    )
    known_exploited = django_filters.BooleanFilter(
        field_name="advisory__known_exploited",
        label="Known exploited: one of the advisory's CVEs is in CISA's KEV catalog, or an "
        "editor marked it so",
    )
    epss_min = django_filters.NumberFilter(
        field_name="advisory__epss",
        lookup_expr="gte",
        min_value=0,
        max_value=1,
        label="EPSS score at least (0–1): the advisory's highest chance of exploitation in the "
        "next 30 days",
    )
    due = django_filters.DateFromToRangeFilter(field_name="due_date")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Active and past due")
    first_seen = DateTimeFromToRangeFilter(field_name="first_seen_at")

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


class MatchRunFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=MatchRunKind.choices)
    status = django_filters.MultipleChoiceFilter(choices=MatchRunStatus.choices)
    parent = IntegerFilter(field_name="parent_id", label="The run a chunk belongs to")
    advisory = IntegerFilter(method="filter_advisory", label="Runs that matched this advisory")
    created = DateTimeFromToRangeFilter(field_name="created_at")

    class Meta:
        model = MatchRun
        fields = ["kind", "status"]

    def filter_advisory(
        self, queryset: QuerySet[MatchRun, Any], name: str, value: int
    ) -> QuerySet[MatchRun, Any]:
        return queryset.filter(advisory_ids__contains=[value])
