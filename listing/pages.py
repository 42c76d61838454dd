"""What every HTML list page shares: a whitelisted sort, pagination and CSV and XLSX export.

Filtering is not here: list pages use the app's FilterSet (``<app>/filtersets.py``), the same
one the API uses, so that a filter means the same thing on both.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django_filters.widgets import DateRangeWidget
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

PAGE_SIZE = 50
# A CSV export streams rows, but an unbounded one could still run for minutes; exports are
# for reports, and a report of more rows than this should be narrowed by a filter first.
CSV_MAX_ROWS = 50_000


@dataclass(frozen=True)
class SortColumn:
    """A column a list may be sorted by: its URL key, its label and the ORM ordering."""

    key: str
    label: str
    ordering: tuple[str, ...]
    # A column whose useful end is its top (severity: Critical first) is sorted descending
    # by the first click on its header.
    descending_first: bool = False


@dataclass(frozen=True)
class Sort:
    """The sort a request asked for, resolved against the page's whitelist."""

    key: str
    descending: bool
    columns: dict[str, SortColumn]

    @property
    def param(self) -> str:
        return f"-{self.key}" if self.descending else self.key

    def toggle(self, key: str) -> str:
        """The ``sort`` value a column header links to: flips the direction of the current
        column, and starts any other ascending, or descending if it says so."""
        if key == self.key:
            return key if self.descending else f"-{key}"
        return f"-{key}" if self.columns[key].descending_first else key

    def direction(self, key: str) -> str:
        """The ``aria-sort`` value of a column header."""
        if key != self.key:
            return "none"
        return "descending" if self.descending else "ascending"


def _flip(field: str) -> str:
    return field[1:] if field.startswith("-") else f"-{field}"


def sort_queryset(
    queryset: QuerySet[Any, Any],
    request: HttpRequest,
    columns: Sequence[SortColumn],
    *,
    default: str,
) -> tuple[QuerySet[Any, Any], Sort]:
    """Order ``queryset`` by the ``sort`` parameter if it names a whitelisted column.

    Anything else falls back to ``default`` (a key, ``-`` for descending): sorting by an
    arbitrary field name from the URL would let a visitor sort by, and so probe, any column.
    The primary key is always the last tie-breaker so that pages never repeat or skip rows.
    """
    by_key = {column.key: column for column in columns}
    wanted = request.GET.get("sort", "") or default
    key = wanted.removeprefix("-")
    if key not in by_key:
        wanted, key = default, default.removeprefix("-")
    descending = wanted.startswith("-")
    ordering = by_key[key].ordering
    if descending:
        ordering = tuple(_flip(field) for field in ordering)
    tie_breaker = "-pk" if descending else "pk"
    return queryset.order_by(*ordering, tie_breaker), Sort(key, descending, by_key)


def paginate(
    items: QuerySet[Any, Any] | Sequence[Any],
    request: HttpRequest,
    *,
    per_page: int = PAGE_SIZE,
    param: str = "page",
) -> Page[Any]:
    """The page the ``param`` parameter asks for; out-of-range or junk values give the nearest
    valid page rather than an error."""
    return Paginator(items, per_page).get_page(request.GET.get(param))


# A cell starting with one of these is run as a formula by spreadsheets (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A value as a spreadsheet will safely read it: nothing for None, dates and date-times in
    ISO 8601 (date-times in UTC), and text that a spreadsheet would run as a formula prefixed
    with an apostrophe, so that it shows the text instead (OWASP's advice)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if not isinstance(value, str):
        # A number is a number, -5 included; only text can smuggle in a formula.
        return str(value)
    return "'" + value if _formula_guarded(value) else value


def _formula_guarded(value: str) -> bool:
    # Text that already starts with apostrophes before a trigger gets one more, so that
    # :func:`csv_cell_unguard` can tell the guard from an apostrophe the text itself holds.
    return value.lstrip("'").startswith(FORMULA_TRIGGERS)


def csv_cell_unguard(text: str) -> str:
    """A cell of a CSV file this app exported, as the value it was before :func:`csv_cell`
    guarded it: the apostrophe is taken off exactly where the export put one, so that an
    export uploaded again unchanged stores the same values."""
    return text[1:] if text.startswith("'") and _formula_guarded(text[1:]) else text


class _Echo:
    """A file-like object that hands back what is written, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The header and ``rows`` as CSV lines, each value through :func:`csv_cell`."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def csv_response(
    *,
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> StreamingHttpResponse:
    """Stream ``rows`` as a CSV download: every CSV file the app writes goes through here."""
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_row(sheet: Any, values: Iterable[Any], *, bold: bool = False) -> list[WriteOnlyCell]:
    """``values`` as the cells of one row of a write-only openpyxl ``sheet``. Numbers and dates
    keep their types (dates shown as yyyy-mm-dd); text is always stored as text, never as a
    formula, whatever it starts with; date-times with a zone are written in UTC without it,
    as spreadsheets cannot hold one."""
    cells = []
    for value in values:
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            value = value.astimezone(datetime.UTC).replace(tzinfo=None)
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        elif isinstance(value, datetime.datetime):
            cell.number_format = "yyyy-mm-dd hh:mm"
        elif isinstance(value, datetime.date):
            cell.number_format = "yyyy-mm-dd"
        if bold:
            cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def xlsx_bytes(workbook: Workbook) -> bytes:
    """A write-only workbook, saved."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(
    *,
    filename: str,
    sheet: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> HttpResponse:
    """``rows`` as an Excel workbook of one sheet (openpyxl, write-only), cells as
    ``xlsx_row`` writes them under a bold header."""
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])
    worksheet.append(xlsx_row(worksheet, header, bold=True))
    for row in rows:
        worksheet.append(xlsx_row(worksheet, row))
    response = HttpResponse(xlsx_bytes(workbook), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_rows(
    queryset: QuerySet[Any, Any], row: Callable[[Model], Sequence[Any]]
) -> Iterator[Sequence[Any]]:
    """The CSV rows of ``queryset``, capped at ``CSV_MAX_ROWS`` and fetched in chunks."""
    for obj in queryset[:CSV_MAX_ROWS].iterator(chunk_size=2000):
        yield row(obj)


class OneOfSelect(forms.Select):
    """A drop-down for a multiple-choice filter where a page offers one value at a time (a
    country among 250): it posts a list, as the FilterSet expects, with an "any" option."""

    def __init__(self, *, any_label: str = "Any") -> None:
        super().__init__()
        self.any_label = any_label

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        return [value for value in data.getlist(name) if value]

    def optgroups(self, name: str, value: Any, attrs: Any = None) -> Any:
        self.choices = [("", self.any_label), *(c for c in self.choices if c[0] != "")]
        return super().optgroups(name, value, attrs)


def filter_fields(
    filterset: Any, names: Sequence[str], *, widgets: dict[str, forms.Widget] | None = None
) -> list[forms.BoundField]:
    """The FilterSet form fields a page shows, in order, with page-specific widgets.

    A FilterSet has filters that suit scripts but not a form (a select of every vendor); the
    page shows a subset, and the others still work from a link. A widget that comes with its
    choices keeps them; the others offer the field's.
    """
    form = filterset.form
    for name, widget in (widgets or {}).items():
        field = form.fields[name]
        if hasattr(field, "choices") and not getattr(widget, "choices", None):
            widget.choices = field.choices  # type: ignore[attr-defined]
        field.widget = widget
    return [form[name] for name in names]


class DateRange(DateRangeWidget):  # type: ignore[misc]
    """A FilterSet date range as two date pickers, each with its own accessible name
    ("Issued from", "Issued to"), since one visible label cannot name two inputs."""

    def __init__(self, label: str) -> None:
        super().__init__(attrs={"type": "date"})
        self.label = label

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context(name, value, attrs)
        for subwidget, end in zip(context["widget"]["subwidgets"], ("from", "to"), strict=True):
            subwidget["attrs"]["aria-label"] = f"{self.label} {end}"
        return context


def checkboxes() -> forms.CheckboxSelectMultiple:
    """Checkboxes for a multiple-choice filter with a few choices (severity, status)."""
    return forms.CheckboxSelectMultiple(attrs={"class": "checks"})
