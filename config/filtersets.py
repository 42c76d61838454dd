"""What every app's FilterSet shares: the free-text ``q`` search.

The same FilterSets serve the HTML list pages and the API, so a filter means the same thing in
both.
"""

from typing import Any, ClassVar

import django_filters
from django import forms
from django.db.models import Q, QuerySet


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (an id, a priority), not any decimal as ``NumberFilter`` takes."""

    field_class = forms.IntegerField


class SearchFilterSet(django_filters.FilterSet):
    """Adds ``q``: rows where any of ``search_fields`` contains the text, case-insensitively."""

    search_fields: ClassVar[tuple[str, ...]] = ()

    q = django_filters.CharFilter(method="search", label="Search", max_length=200)

    def search(self, queryset: QuerySet[Any, Any], name: str, value: str) -> QuerySet[Any, Any]:
        value = value.strip()
        if not value:
            return queryset
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)
