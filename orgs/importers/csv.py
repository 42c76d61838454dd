"""Reading inventory CSV files.

The file is UTF-8, with or without a byte-order mark (Excel writes one). The first non-blank
line is the header; its columns are the keys of ``ITEM_FIELDS`` (``vendor``, ``product``,
``version``, ``cpe``, ``purl``, ``quantity``, ``environment``, ``criticality``,
``external_ref``, ``hostname``, ``site``, ``notes``) in any order and any case (the columns
the inventory export adds, ``EXPORT_COLUMNS``, are ignored), and at least one of ``product``,
``cpe`` and ``purl`` must be among them. The delimiter is a comma or a semicolon (what Excel
writes where the decimal separator is a comma), whichever the header line holds more of.
Blank lines, and lines whose cells are all empty, are skipped. A cell that the inventory export
guarded against spreadsheet formulas (``'=SUM(A1)``) is read without the guard. Line numbers in
errors are physical lines of the file, counting the header as line 1 when it is the first line.
"""

from __future__ import annotations

import csv
import io

from listing.pages import csv_cell_unguard
from orgs.importers.common import (
    IDENTIFYING_FIELDS,
    ITEM_FIELDS,
    ImportFileError,
    RawRow,
    RowError,
    import_limits,
    row_limit_error,
    size_check,
    text_decode,
)

# What the inventory export adds after the item columns: what Vendorwatch knows of each item.
# An export uploaded again is read as it is, and these columns are ignored.
EXPORT_COLUMNS = ("catalogue_vendor", "catalogue_product", "source", "open_flags")


def csv_read(content: bytes) -> list[RawRow | RowError]:
    """Read a CSV file into rows, or raise ImportFileError for a file that cannot be read.

    A record with the wrong number of fields cannot be mapped to columns and comes back as
    a :class:`RowError` in its place.
    """
    size_check(content)
    text = text_decode(content)
    _, max_rows = import_limits()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    columns: list[str] | None = None
    header_line = 0
    labels: dict[str, str] = {}
    rows: list[RawRow | RowError] = []
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            if columns is None:
                raise ImportFileError(
                    [RowError(f"line {start}", f"malformed CSV: {error}")]
                ) from error
            # The reader starts afresh on the next line: this line is reported and the rest
            # still read, so that one stray quote does not hide the file's other errors.
            if len(rows) == max_rows:
                raise row_limit_error("rows") from error
            rows.append(RowError(f"line {start}", f"malformed CSV: {error}"))
            continue
        if not any(cell.strip() for cell in record):
            continue
        if columns is None:
            labels = _header_read(record, start)
            columns, header_line = [_canonical(cell) for cell in record], start
            continue
        if len(rows) == max_rows:
            raise row_limit_error("rows")
        where = f"line {start}"
        if len(record) != len(columns):
            rows.append(RowError(where, f"has {len(record)} fields, the header has {len(columns)}"))
            continue
        # An export guards cells against spreadsheet formulas; the guard is not the value.
        values = dict(zip(columns, map(csv_cell_unguard, record), strict=True))
        rows.append(RawRow(where=where, values=values, labels=labels, separator=", "))
    if columns is None:
        raise ImportFileError([RowError("", "The file is empty: it has no header line.")])
    if not rows:
        raise ImportFileError(
            [RowError(f"line {header_line}", "the header is the only line: nothing to import")]
        )
    return rows


def _delimiter(text: str) -> str:
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    return ";" if first_line.count(";") > first_line.count(",") else ","


def _canonical(cell: str) -> str:
    return cell.strip().casefold()


def _header_read(header: list[str], line: int) -> dict[str, str]:
    """Check the header; the labels map each canonical column to its name as written."""
    errors: list[RowError] = []
    labels: dict[str, str] = {}
    for number, cell in enumerate(header, start=1):
        name = _canonical(cell)
        where = f"line {line}, column {number}"
        if not name:
            errors.append(RowError(where, "has no name"))
        elif name in EXPORT_COLUMNS:
            continue
        elif name not in ITEM_FIELDS:
            errors.append(
                RowError(
                    where,
                    f"unknown column {cell.strip()!r}; the columns are {', '.join(ITEM_FIELDS)}",
                )
            )
        elif name in labels:
            errors.append(RowError(where, f"column {cell.strip()!r} appears twice"))
        else:
            labels[name] = cell.strip()
    if not any(name in labels for name in IDENTIFYING_FIELDS):
        errors.append(RowError(f"line {line}", "the header needs a product, cpe or purl column"))
    if errors:
        raise ImportFileError(errors)
    return labels
