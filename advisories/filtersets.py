"""Filters of the advisory lists, shared by the list pages and the API."""

from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django_countries import countries

from advisories.choices import (
    AdvisoryKind,
    AdvisoryStatus,
    FeedRunStatus,
    RecommendedAction,
    Severity,
    SourceKind,
)
from advisories.models import Advisory, AdvisoryCve, AffectedTarget, FeedRun, Source
from listing.filtersets import DateTimeFromToRangeFilter, IntegerFilter, SearchFilterSet
from vendors.models import Product, Vendor


class SourceFilterSet(SearchFilterSet):
    search_fields = ("name", "description")

    kind = django_filters.MultipleChoiceFilter(choices=SourceKind.choices)
    country = django_filters.MultipleChoiceFilter(choices=list(countries))

    class Meta:
        model = Source
        fields = ["kind", "country", "feed_enabled"]


class AdvisoryFilterSet(SearchFilterSet):
    """``q`` searches the identifier, title, summary and CVE ids.

    ``vendor`` and ``product`` find advisories with a target naming them; joins to targets and
    CVEs are subqueries so that each advisory is listed once.
    """

    kind = django_filters.MultipleChoiceFilter(choices=AdvisoryKind.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    status = django_filters.MultipleChoiceFilter(choices=AdvisoryStatus.choices)
    recommended_action = django_filters.MultipleChoiceFilter(choices=RecommendedAction.choices)
    source = django_filters.ModelMultipleChoiceFilter(queryset=Source.objects.all())
    vendor = django_filters.ModelChoiceFilter(
        queryset=Vendor.objects.all(), method="filter_vendor", label="Targets this vendor"
    )
    product = django_filters.ModelChoiceFilter(
        queryset=Product.objects.all(), method="filter_product", label="Targets this product"
    )
    cve = django_filters.CharFilter(method="filter_cve", label="CVE id", max_length=30)
    published = DateTimeFromToRangeFilter(field_name="published_at")
    issued = django_filters.DateFromToRangeFilter(field_name="issued_on")
    deadline = django_filters.DateFromToRangeFilter(field_name="action_deadline")

    class Meta:
        model = Advisory
        fields = ["kind", "severity", "status", "source", "known_exploited"]

    def search(self, queryset: QuerySet[Any, Any], name: str, value: str) -> QuerySet[Any, Any]:
        value = value.strip()
        if not value:
            return queryset
        cve = AdvisoryCve.objects.filter(advisory=OuterRef("pk"), cve_id__icontains=value)
        return queryset.filter(
            Q(identifier__icontains=value)
            | Q(title__icontains=value)
            | Q(summary__icontains=value)
            | Q(Exists(cve))
        )

    def filter_vendor(
        self, queryset: QuerySet[Any, Any], name: str, value: Vendor | None
    ) -> QuerySet[Any, Any]:
        if value is None:
            return queryset
        targets = AffectedTarget.objects.filter(advisory=OuterRef("pk"), is_exclusion=False).filter(
            Q(vendor=value) | Q(product__vendor=value)
        )
        return queryset.filter(Exists(targets))

    def filter_product(
        self, queryset: QuerySet[Any, Any], name: str, value: Product | None
    ) -> QuerySet[Any, Any]:
        if value is None:
            return queryset
        targets = AffectedTarget.objects.filter(
            advisory=OuterRef("pk"), is_exclusion=False, product=value
        )
        return queryset.filter(Exists(targets))

    def filter_cve(self, queryset: QuerySet[Any, Any], name: str, value: str) -> QuerySet[Any, Any]:
        value = value.strip().upper()
        if not value:
            return queryset
        return queryset.filter(
            Exists(AdvisoryCve.objects.filter(advisory=OuterRef("pk"), cve_id=value))
        )


class FeedRunFilterSet(django_filters.FilterSet):
    source = IntegerFilter(field_name="source_id", label="The source whose feed ran")
    status = django_filters.MultipleChoiceFilter(choices=FeedRunStatus.choices)
    started = DateTimeFromToRangeFilter(field_name="started_at")

    class Meta:
        model = FeedRun
        fields = ["source", "status"]
