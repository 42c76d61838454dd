"""``GET /api/v1/flags/export.csv``: the flags a user may see, as a CSV file for spreadsheets.

It takes the flag list's filters (the same ``FlagFilterSet``), streams the rows so that a large
export never sits in memory, and defuses spreadsheet formulas: a cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'``, so that Excel or
LibreOffice shows the text instead of running it (OWASP's advice against CSV injection).
Advisory titles and item names come from feeds and uploads, so they cannot be trusted.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request

from api.viewsets import BASE_PERMISSIONS
from exposure.api.views import FlagViewSet
from exposure.models import Flag

# (CSV column, queryset value) in the file's column order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("flag_id", "pk"),
    ("organization", "organization__name"),
    ("advisory", "advisory__identifier"),
    ("advisory_title", "advisory__title"),
    ("severity", "advisory__severity"),
    ("kind", "advisory__kind"),
    ("item", "item_label"),
    ("vendor", "item__raw_vendor"),
    ("product", "item__raw_product"),
    ("version", "item__version"),
    ("status", "status"),
    ("confidence", "confidence"),
    ("priority", "priority"),
    ("due_date", "due_date"),
    ("assignee", "assignee__username"),
    ("first_seen_at", "first_seen_at"),
    ("resolved_at", "resolved_at"),
    ("resolution_reason", "resolution_reason"),
    ("status_reason", "status_reason"),
)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Rows fetched per round trip: large enough to stream fast, small enough to stay a few MB.
CHUNK_SIZE = 2_000


def csv_cell(value: Any) -> Any:
    """A value as a spreadsheet will safely read it: formulas defused, dates in ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


class _Echo:
    """A file-like object that hands back what is written, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The header and ``rows`` as CSV lines, each cell passed through :func:`csv_cell`."""
    writer = csv.writer(_Echo())
    yield writer.writerow([name for name, _ in COLUMNS])
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


# The file as csv_lines writes it, for the schema: the header and one flag.
CSV_EXAMPLE = "".join(
    csv_lines(
        [
            (
                4711,
                "Stadtwerke Nordhafen",
                "BSI-WARNING-2022-03-15-KASPERSKY",
                "Warning under §7 BSI Act: replace Kaspersky antivirus software",
                "high",
                "vendor_warning",
                "Kaspersky Endpoint Security 21.3",
                "Kaspersky",
                "Endpoint Security",
                "21.3",
                "acknowledged",
                "confirmed",
                86,
                date(2026, 12, 2),
                "j.becker",
                datetime(2026, 11, 18, 7, 2, 41, tzinfo=UTC),
                None,
                "",
                "Runs on the workstations of the grid control room; the switch is planned "
                "with the OT team.",
            )
        ]
    )
)


@extend_schema(tags=["flags"])
class FlagExportView(GenericAPIView[Flag]):
    """Every flag the user may see that passes the flag list's filters, as one CSV file."""

    permission_classes = BASE_PERMISSIONS
    # The flag list's filters and ordering, so that an export is the list, unpaginated.
    filterset_class = FlagViewSet.filterset_class
    ordering_fields = FlagViewSet.ordering_fields
    ordering = FlagViewSet.ordering
    pagination_class = None

    def get_queryset(self) -> QuerySet[Flag, Any]:
        return Flag.objects.visible_to(self.request.user)

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The body is streamed as CSV by hand whatever the client accepts (curl sends
        # text/csv); only a refused filter goes through a renderer, and answers in JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        summary="Export flags as CSV",
        # Not a list by drf-spectacular's reckoning (no paginated serializer), yet it takes
        # every filter of the list.
        filters=True,
        description=(
            "The flags you may see, filtered and ordered like the flag list (most urgent "
            "first by default), as one UTF-8 CSV file with a header row; no pagination. "
            "Streamed: large exports start at once. Cells "
            "that a spreadsheet would run as a formula (starting with =, +, -, @, tab or "
            "carriage return) are prefixed with an apostrophe."
        ),
        responses={
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.STR,
                description="The CSV file.",
                examples=[OpenApiExample("One flag", value=CSV_EXAMPLE)],
            ),
            400: OpenApiResponse(description="A filter or the ordering was refused."),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> StreamingHttpResponse:
        flags = self.filter_queryset(self.get_queryset()).values_list(
            *(lookup for _, lookup in COLUMNS)
        )
        response = StreamingHttpResponse(
            csv_lines(flags.iterator(chunk_size=CHUNK_SIZE)),
            content_type="text/csv; charset=utf-8",
        )
        filename = f"vendorwatch-flags-{timezone.localdate():%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
