"""Pagination of the REST API.

The big lists (flags, inventory items, advisories) use keyset ("cursor") pagination: a page is
fetched by comparing the ordering columns with the last row of the previous page, so page 4,000
costs what page 1 costs and no COUNT(*) runs over a million rows. The small lists use page
numbers. Both take ``page_size`` up to ``MAX_PAGE_SIZE`` and refuse a malformed one with 400
rather than silently using another size.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Field, Model, OrderBy, Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

if TYPE_CHECKING:
    # Importing DRF's views here would import this module again through DRF's settings.
    from rest_framework.views import APIView

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def _page_size(request: Request, param: str) -> int:
    raw = request.query_params.get(param)
    if raw is None:
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationError({param: [f"Give a whole number from 1 to {MAX_PAGE_SIZE}."]})
    return size


class PagePagination(PageNumberPagination):
    """Page numbers, for lists small enough to count."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        return _page_size(request, self.page_size_query_param)

    def paginate_queryset(
        self,
        queryset: QuerySet[Any, Any] | Sequence[Any],
        request: Request,
        view: APIView | None = None,
    ) -> list[Any] | None:
        # DRF reads an empty or zero page as page 1; a page past the end stays a 404.
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and not (raw.isdigit() and int(raw) >= 1):
            raise ValidationError({self.page_query_param: ["Give a page number from 1."]})
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated = super().get_paginated_response_schema(schema)
        # DRF's examples name api.example.org/accounts/; a page of one row, the only one, fits
        # the serializers' examples that drf-spectacular shows as pages.
        properties = paginated["properties"]
        properties["count"]["example"] = 1
        properties["next"]["example"] = None
        properties["previous"]["example"] = None
        return paginated

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=MAX_PAGE_SIZE)
            if parameter["name"] == self.page_query_param:
                parameter["schema"].update(minimum=1)
        return parameters


@dataclass(frozen=True)
class _Key:
    """One column of the ordering: its model field, the lookup that reaches it (the field's
    own column, or a path through foreign keys such as ``advisory__epss``), whether it may be
    NULL, and whether it runs descending."""

    field: Field[Any, Any]
    descending: bool
    path: str = ""
    nullable: bool = False

    @property
    def lookup(self) -> str:
        return self.path or self.field.attname

    def order_by(self, *, reverse: bool) -> OrderBy:
        # NULLs come last in the forward direction whatever the sort order, so that walking
        # backwards (reverse=True) meets them first. A NOT NULL column says nothing of NULLs:
        # PostgreSQL does not know the clause is moot there, and with it would not follow an
        # index on the column that a descending order could walk (DESC defaults to NULLS
        # FIRST), but sort every matching row to keep a page of them.
        expression = F(self.lookup)
        nulls: dict[str, bool] = {}
        if self.nullable:
            nulls = {"nulls_first": True} if reverse else {"nulls_last": True}
        if self.descending != reverse:
            return expression.desc(**nulls)
        return expression.asc(**nulls)

    def after(self, value: Any, *, reverse: bool) -> Q:
        """Rows strictly after ``value`` in this column, walking forward or backward."""
        name = self.lookup
        if value is None:
            # Forward, NULLs are last, so nothing comes after one; backward, every value does.
            return Q(**{f"{name}__isnull": False}) if reverse else Q(pk__in=[])
        lookup = "lt" if self.descending != reverse else "gt"
        condition = Q(**{f"{name}__{lookup}": value})
        if self.nullable and not reverse:
            condition |= Q(**{f"{name}__isnull": True})
        return condition

    def equal(self, value: Any) -> Q:
        name = self.lookup
        return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})

    def value(self, row: Model | dict[str, Any]) -> Any:
        """This column's value in a row: a model instance, or a dictionary of a ``values()``
        queryset, which names a related column by its path."""
        if isinstance(row, dict):
            return row[self.lookup]
        value: Any = row
        for part in self.path.split("__") if self.path else [self.field.attname]:
            value = None if value is None else getattr(value, part)
        return value


def _column(model: type[Model], name: str) -> tuple[Field[Any, Any], bool]:
    """The concrete field ``name`` names on ``model`` (its own, or through foreign keys:
    ``advisory__epss``), and whether its value may be NULL on the way."""
    nullable = False
    field: Any = None
    for part in name.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist as error:
            raise ValueError(f"Cannot page {model.__name__} by '{name}'.") from error
        nullable = nullable or bool(getattr(field, "null", False))
        if field.is_relation:
            model = field.related_model
    assert isinstance(field, Field) and field.concrete, f"'{name}' is not a column."
    return field, nullable


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.datetime):
        # Full precision: DjangoJSONEncoder would cut microseconds, and a cursor must be exact.
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class KeysetPagination(BasePagination):
    """Cursor pagination over a compound ordering, always ending in the primary key.

    Unlike DRF's ``CursorPagination``, which positions on the first ordering column and skips
    ties by offset (and gives up past a thousand ties), the cursor holds every column of the
    last row, so ordering by something as coarse as a flag's priority pages correctly. The
    ordering is the view's ``ordering`` or the client's ``ordering`` parameter, both limited to
    the model's own columns.
    """

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    def paginate_queryset(
        self,
        queryset: QuerySet[Any, Any] | Sequence[Any],
        request: Request,
        view: APIView | None = None,
    ) -> list[Any]:
        """The page's rows (model instances, or dictionaries of a ``values()`` queryset)."""
        assert isinstance(queryset, QuerySet), "Keyset pagination needs a queryset."
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.page_size = _page_size(request, self.page_size_query_param)
        self.keys = self._keys(queryset, request, view)
        values, reverse = self._decode_cursor(request)
        queryset = queryset.order_by(*(key.order_by(reverse=reverse) for key in self.keys))
        if values is not None:
            queryset = queryset.filter(self._after(values, reverse=reverse))
        rows = list(queryset[: self.page_size + 1])
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if reverse:
            rows.reverse()

        self.next_values = self._values(rows[-1]) if rows and (more or reverse) else None
        self.previous_values = (
            self._values(rows[0]) if rows and values is not None and (more or not reverse) else None
        )
        return rows

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )

    def get_next_link(self) -> str | None:
        return None if self.next_values is None else self._link(self.next_values, reverse=False)

    def get_previous_link(self) -> str | None:
        if self.previous_values is None:
            return None
        return self._link(self.previous_values, reverse=True)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        # The examples (a page of one row, the last) let drf-spectacular show a serializer's
        # example as a whole page.
        link = {"type": "string", "nullable": True, "format": "uri", "example": None}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": link,
                "previous": link,
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The page to fetch: take it from a response's `next` or "
                "`previous` link, never build it by hand.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (default {DEFAULT_PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]

    def _keys(
        self, queryset: QuerySet[Any, Any], request: Request, view: APIView | None
    ) -> list[_Key]:
        ordering: list[str] = list(getattr(view, "ordering", None) or ["pk"])
        for backend in getattr(view, "filter_backends", []):
            if issubclass(backend, OrderingFilter):
                ordering = list(backend().get_ordering(request, queryset, view) or ordering)
        model: type[Model] = queryset.model
        keys: list[_Key] = []
        for term in ordering:
            name = term.lstrip("-")
            if name == "pk":
                keys.append(_Key(model._meta.pk, term.startswith("-")))  # type: ignore[arg-type]
                return keys
            field, nullable = _column(model, name)
            path = name if "__" in name else ""
            keys.append(_Key(field, term.startswith("-"), path, nullable))
            if field.primary_key and not path:
                return keys
        # The primary key breaks ties, which makes the order total and the cursor exact.
        keys.append(_Key(model._meta.pk, False))  # type: ignore[arg-type]
        return keys

    def _after(self, values: list[Any], *, reverse: bool) -> Q:
        # Lexicographic "after": (k1 after v1) or (k1 = v1 and k2 after v2) or ...
        condition = Q(pk__in=[])
        prefix = Q()
        for key, value in zip(self.keys, values, strict=True):
            condition |= prefix & key.after(value, reverse=reverse)
            prefix &= key.equal(value)
        return condition

    def _values(self, row: Model | dict[str, Any]) -> list[Any]:
        # A row is a model instance, or a dictionary of column values (``RowListMixin``).
        return [_encode_value(key.value(row)) for key in self.keys]

    def _link(self, values: list[Any], *, reverse: bool) -> str:
        payload = json.dumps({"v": values, "r": reverse}, separators=(",", ":"))
        cursor = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        return replace_query_param(self.base_url, self.cursor_query_param, cursor)

    @staticmethod
    def _clean(field: Field[Any, Any], value: Any) -> Any:
        # The field's validators bound integers to the column's range, so that a forged
        # cursor is refused here instead of failing in the database.
        value = field.to_python(value)
        field.run_validators(value)
        return value

    def _decode_cursor(self, request: Request) -> tuple[list[Any] | None, bool]:
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            return None, False
        invalid = ValidationError({self.cursor_query_param: ["This cursor is not valid."]})
        try:
            payload = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            values, reverse = payload["v"], payload["r"]
            if not isinstance(values, list) or not isinstance(reverse, bool):
                raise invalid
            if len(values) != len(self.keys):
                raise invalid
            decoded = [
                None if value is None else self._clean(key.field, value)
                for key, value in zip(self.keys, values, strict=True)
            ]
        except (ValueError, TypeError, KeyError, binascii.Error, DjangoValidationError):
            raise invalid from None
        return decoded, reverse
