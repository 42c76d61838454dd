"""``GET /api/v1/flags/export.csv``: the flags a user may see, as the flag list's CSV file
(``exposure.export``), filtered and ordered like the flag list."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request

from api.viewsets import BASE_PERMISSIONS
from exposure.api.views import FlagViewSet
from exposure.export import HEADER, flags_csv
from exposure.models import Flag
from listing.pages import csv_lines

# The file as the export writes it, for the schema: the header and one flag.
CSV_EXAMPLE = "".join(
    csv_lines(
        HEADER,
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
                "",
                86,
                date(2026, 12, 2),
                "j.becker",
                datetime(2026, 11, 18, 7, 2, 41, tzinfo=UTC),
                None,
                "",
                "Runs on the workstations of the grid control room; the switch is planned "
                "with the OT team.",
            )
        ],
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
    # The model, for the schema generator, which has no user to scope by; the rows come from
    # get_queryset (the tenant rule reads the database, which a system check must not).
    queryset = Flag.objects.none()

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
        return flags_csv(self.filter_queryset(self.get_queryset()))
