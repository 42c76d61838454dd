"""The hot lists' rows, built from column values instead of model instances.

A page of fifty flags through DRF builds some 150 model instances and walks every serializer
field of every row; the flag, inventory and advisory lists instead fetch the columns they show
with ``values()`` and turn each row into its response dict with a plain function written
beside the serializer (``flag_row`` beside ``FlagSerializer``, and so on). The serializer
stays the one description of the fields, for the schema, for writes and for single objects;
``tests/api/test_rows.py`` holds each row builder to its serializer's keys and values.

This module has what the row builders share: date-times in the request's time zone, the rows'
own URLs, and the list action that fetches the columns and builds the rows. Dates and
date-times stay Python values in the rows: the API's renderer writes them as DRF's fields
write them (``api/renderers.py``).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.db.models import QuerySet
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import preserve_builtin_query_params

Row = Mapping[str, Any]


@dataclass(frozen=True)
class RowFormat:
    """How one request shows values: rows' URLs, and date-times in its time zone."""

    base_url: str
    zone: datetime.tzinfo
    # The request's ``?format=`` (DRF keeps it in the URLs it writes), or nothing.
    query: str = ""

    def url(self, pk: Any) -> str:
        """A row's own URL, as the router writes detail routes: the list's URL and the id."""
        return f"{self.base_url}{pk}/{self.query}"

    def date_time(self, value: datetime.datetime | None) -> datetime.datetime | str | None:
        """A date-time in the request's time zone, for the API's renderer (orjson) to write as
        DRF's ``DateTimeField`` does: ISO 8601, ``Z`` for UTC. orjson writes an offset to the
        minute, so the rare offset with seconds (local mean time, before 1972) is written here,
        as DRF writes it. Writing the text here for every value cost a tenth of a flag list's
        CPU time."""
        if value is None:
            return None
        local = value.astimezone(self.zone)
        offset = local.utcoffset()
        if offset is not None and offset.seconds % 60:
            return local.isoformat()
        return local


def row_format(request: Request, list_view: str) -> RowFormat:
    """The format of the rows of the list ``list_view`` names, for ``request``: its URL
    reversed and its time zone looked up once, not once per value."""
    path = _list_path(list_view, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    return RowFormat(
        base_url=request.build_absolute_uri(path),
        zone=timezone.get_current_timezone(),
        query=preserve_builtin_query_params("", request),
    )


@functools.lru_cache(maxsize=64)
def _list_path(list_view: str, urlconf: str, script_prefix: str) -> str:
    # Reversing a namespaced name walks the namespaces on every call: 4 % of a flag list
    # request, 7 % of an advisory's. The path changes only with the URL configuration and the
    # script prefix (which ``reverse`` reads as it is now, the one in the key).
    return reverse(list_view, urlconf=urlconf)


class RowListMixin:
    """A list whose rows are ``build_rows`` of the ``row_columns`` of each row of the page.

    Filtering, ordering and pagination are the view's own (its FilterSet, ordering filter and
    keyset pagination, which read the ordering columns from the rows: list them among
    ``row_columns``).

    The actions in ``row_actions`` start from the view's ``queryset`` as ``values()`` of
    ``row_columns``, built once per view and copied for each request (as DRF copies
    ``queryset``): resolving forty columns through their joins cost a tenth of a flag list
    request. Put the mixin after the one that scopes the queryset (``TenantViewSetMixin``), so
    that the scoping is applied to these rows too.
    """

    row_columns: ClassVar[Sequence[str]]
    row_actions: ClassVar[frozenset[str]] = frozenset({"list"})
    # The page's rows as the response shows them; defined by each list.
    build_rows: Callable[[list[Row]], list[dict[str, Any]]]

    def get_queryset(self) -> QuerySet[Any, Any]:
        if getattr(self, "action", None) in self.row_actions:
            return _row_queryset(type(self)).all()
        return super().get_queryset()  # type: ignore[misc,no-any-return]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
        page = self.paginate_queryset(queryset)  # type: ignore[attr-defined]
        return self.get_paginated_response(self.build_rows(page))  # type: ignore[attr-defined,no-any-return]


# Each row view's rows queryset, never evaluated itself: a request works on a copy (``.all()``).
_row_querysets: dict[type[RowListMixin], QuerySet[Any, Any]] = {}


def _row_queryset(view: type[RowListMixin]) -> QuerySet[Any, Any]:
    rows = _row_querysets.get(view)
    if rows is None:
        queryset: QuerySet[Any, Any] = view.queryset  # type: ignore[attr-defined]
        rows = _row_querysets[view] = queryset.values(*view.row_columns)
    return rows
