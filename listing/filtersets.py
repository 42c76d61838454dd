"""What every app's FilterSet shares: the free-text ``q`` search.

The same FilterSets serve the HTML list pages and the API, so a filter means the same thing in
both.
"""

import datetime
from typing import Any, ClassVar

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django_filters.fields import IsoDateTimeField, RangeField
from django_filters.widgets import DateRangeWidget

# The range of PostgreSQL's bigint, which every id and whole-number column fits in.
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (an id, a priority), not any decimal as ``NumberFilter`` takes.

    A number outside bigint's range can match no row; it is refused with 400 naming the
    parameter rather than handed to the database (unless the filter sets narrower bounds).
    """

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", BIGINT_MIN)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(*args, **kwargs)


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, turned into UTC.

    ISO 8601 and Python allow offsets up to ±23:59, PostgreSQL reads them only up to ±15:59;
    in UTC the value means the same and the database always accepts it.
    """

    def to_python(self, value: Any) -> datetime.datetime | None:
        parsed: datetime.datetime | None = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(datetime.UTC)
        except OverflowError:
            raise ValidationError("This date-time is out of range.", code="invalid") from None


class UtcIsoDateTimeRangeField(RangeField):
    widget = DateRangeWidget

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__((UtcIsoDateTimeField(), UtcIsoDateTimeField()), *args, **kwargs)


class DateTimeFromToRangeFilter(django_filters.IsoDateTimeFromToRangeFilter):
    """``<name>_after`` / ``<name>_before`` as ISO 8601 date-times, compared in UTC."""

    field_class = UtcIsoDateTimeRangeField


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
