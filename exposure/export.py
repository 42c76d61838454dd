"""Flags as a CSV file (or an Excel workbook) for spreadsheets: the one writer of the flag list
page's downloads and of ``GET /api/v1/flags/export.csv``.

Both take the flag list's filters and ordering and stream every row (fetched in chunks, so a
large export never sits in memory) through ``listing.pages.csv_response``, which defuses
spreadsheet formulas: advisory titles and item names come from feeds and uploads, so they
cannot be trusted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from exposure.models import Flag
from listing.pages import CSV_MAX_ROWS, csv_response, xlsx_response

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
    ("reference", "item__external_ref"),
    ("hostname", "item__hostname"),
    ("site", "item__site"),
    ("environment", "item__environment"),
    ("criticality", "item__criticality"),
    ("quantity", "item__quantity"),
    ("status", "status"),
    ("confidence", "confidence"),
    ("possible_reason", "possible_reason"),
    ("priority", "priority"),
    ("due_date", "due_date"),
    ("assignee", "assignee__username"),
    ("first_seen_at", "first_seen_at"),
    ("resolved_at", "resolved_at"),
    ("resolution_reason", "resolution_reason"),
    ("status_reason", "status_reason"),
)
HEADER = [name for name, _lookup in COLUMNS]
# Rows fetched per round trip: large enough to stream fast, small enough to stay a few MB.
CHUNK_SIZE = 2_000


def flag_csv_rows(flags: QuerySet[Flag, Any]) -> Iterator[Sequence[Any]]:
    """The CSV rows of ``flags`` (filtered and ordered by the caller), fetched in chunks."""
    return flags.values_list(*(lookup for _name, lookup in COLUMNS)).iterator(chunk_size=CHUNK_SIZE)


def flags_csv(flags: QuerySet[Flag, Any]) -> StreamingHttpResponse:
    """``flags`` as a CSV download named for today."""
    return csv_response(
        filename=f"vendorwatch-flags-{timezone.localdate():%Y-%m-%d}.csv",
        header=HEADER,
        rows=flag_csv_rows(flags),
    )


# A workbook is built in memory, unlike the streamed CSV: as many rows as a page's CSV export
# of any other list keeps, and the list says to narrow it first when it has more.
XLSX_MAX_ROWS = CSV_MAX_ROWS


def flags_xlsx(flags: QuerySet[Flag, Any]) -> HttpResponse | None:
    """``flags`` as an Excel workbook named for today, the CSV's columns; ``None`` when there
    are more than ``XLSX_MAX_ROWS`` of them."""
    rows = list(flags.values_list(*(lookup for _name, lookup in COLUMNS))[: XLSX_MAX_ROWS + 1])
    if len(rows) > XLSX_MAX_ROWS:
        return None
    return xlsx_response(
        filename=f"vendorwatch-flags-{timezone.localdate():%Y-%m-%d}.xlsx",
        sheet="Flags",
        header=HEADER,
        rows=rows,
    )
