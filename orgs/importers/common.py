"""What every inventory file format shares: limits, errors, decoding and row validation.

A format reader (``csv.py``, ``cyclonedx.py``) turns a file into :class:`RawRow` objects —
text values under the canonical field names below, plus where each came from in the file —
and :func:`rows_validate` turns those into the dicts the inventory services take, or into
errors that name the line (or JSON path) and the field. Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from orgs.choices import BusinessCriticality, Environment, ImportFormat
from orgs.models import InventoryItem
from vendors.matching.cpe import CpeError, parse_cpe23
from vendors.matching.purls import PurlError, parse_purl
from vendors.untrusted import control_character_problem

# The canonical fields of an imported row, in the order errors about one row are reported,
# and the InventoryItem field each one fills.
ITEM_FIELDS: dict[str, str] = {
    "vendor": "raw_vendor",
    "product": "raw_product",
    "version": "version",
    "cpe": "cpe",
    "purl": "purl",
    "quantity": "quantity",
    "environment": "environment",
    "criticality": "criticality",
    "external_ref": "external_ref",
    "hostname": "hostname",
    "site": "site",
    "notes": "notes",
}
# A row must name at least one of these, or it identifies nothing that could be matched.
IDENTIFYING_FIELDS = ("product", "cpe", "purl")
# Notes are free text without a column limit; a bound keeps one runaway cell from bloating
# the inventory.
NOTES_MAX_LENGTH = 5_000
# PositiveIntegerField is a 32-bit signed column.
QUANTITY_MAX = 2_147_483_647
# An upload with errors on every row of a 100,000-row file would otherwise answer with
# megabytes of JSON; the count stays exact.
MAX_REPORTED_ERRORS = 1_000

ProgressCallback = Callable[[int], None]


@dataclass(frozen=True)
class RowError:
    """One problem in an uploaded file.

    ``location`` says where, in the file's own terms: ``line 7, quantity`` for CSV,
    ``components[3].version`` for CycloneDX, empty when the whole file is at fault.
    """

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message

    def as_dict(self) -> dict[str, str]:
        """The JSON form stored on import jobs and returned by the API."""
        return {"location": self.location, "message": self.message}


class ImportFileError(Exception):
    """The file as a whole cannot be imported (too large, not UTF-8, bad header or JSON)."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = errors


@dataclass(frozen=True)
class RawRow:
    """One record of a file before validation.

    ``values`` holds text under the canonical field names; ``labels`` maps a canonical field
    to how the file names it (the CSV column as written, the JSON key path), so that errors
    speak the file's language; ``separator`` joins ``where`` and a label. ``errors`` are the
    ones the reader already found (a JSON number where text belongs), reported first.
    """

    where: str
    values: Mapping[str, str]
    labels: Mapping[str, str]
    separator: str
    errors: tuple[RowError, ...] = ()

    def locate(self, name: str) -> str:
        """Where field ``name`` of this row is, e.g. ``line 7, quantity``."""
        return f"{self.where}{self.separator}{self.labels.get(name, name)}"


@dataclass
class ValidationResult:
    """Valid item dicts, or the errors that keep the file from being applied."""

    items: list[dict[str, Any]]
    errors: list[RowError]
    error_count: int


def import_limits() -> tuple[int, int]:
    """``(max bytes, max rows)`` of one upload, from settings."""
    return settings.INVENTORY_IMPORT_MAX_BYTES, settings.INVENTORY_IMPORT_MAX_ROWS


def size_check(content: bytes) -> None:
    """Refuse a file larger than the configured limit."""
    max_bytes, _ = import_limits()
    if len(content) > max_bytes:
        raise size_error(len(content))


def size_error(size: int) -> ImportFileError:
    """The error for a file of ``size`` bytes, over the configured limit."""
    max_bytes, _ = import_limits()
    return ImportFileError(
        [
            RowError(
                "",
                f"The file is larger than the limit of {_size(max_bytes)} ({_size(size)}); "
                "split it into smaller files.",
            )
        ]
    )


def row_limit_error(noun: str) -> ImportFileError:
    """The error for a file with more rows than the configured limit."""
    _, max_rows = import_limits()
    return ImportFileError(
        [RowError("", f"The file has more than {max_rows:,} {noun}; split it into smaller files.")]
    )


def _size(size: int) -> str:
    megabyte = 1024 * 1024
    return f"{size / megabyte:.1f} MB" if size >= megabyte else f"{size:,} bytes"


def text_decode(content: bytes) -> str:
    """The file as text: UTF-8, with or without a byte-order mark.

    Spreadsheet programs on Windows save "Unicode text" as UTF-16 and "CSV" in the local
    code page; both are named in the error so that the user knows what to change.
    """
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(
            [RowError("", "The file is UTF-16; save it as UTF-8 (with or without BOM).")]
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content.count(b"\n", 0, error.start) + 1
        raise ImportFileError(
            [
                RowError(
                    f"line {line}",
                    f"the file is not UTF-8 (byte 0x{content[error.start]:02x} at offset "
                    f"{error.start}); save it as UTF-8 (with or without BOM).",
                )
            ]
        ) from error


def format_detect(filename: str, content: bytes) -> str:
    """Guess the format of an upload that did not name one: by extension, then by content."""
    lowered = filename.lower()
    if lowered.endswith(".csv"):
        return ImportFormat.CSV
    if lowered.endswith(".json"):
        return ImportFormat.CYCLONEDX
    start = content.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
    return ImportFormat.CYCLONEDX if start == b"{" else ImportFormat.CSV


_ENVIRONMENTS = {
    **{value.casefold(): value for value in Environment.values},
    **{str(label).casefold(): value for value, label in Environment.choices},
}
_CRITICALITIES = {
    **{value.casefold(): value for value in BusinessCriticality.values},
    **{str(label).casefold(): value for value, label in BusinessCriticality.choices},
}


def _max_length(item_field: str) -> int:
    field = InventoryItem._meta.get_field(item_field)
    return getattr(field, "max_length", None) or NOTES_MAX_LENGTH


# Quantity and the choices are checked against what they may hold instead.
_MAX_LENGTHS = {
    name: _max_length(item_field)
    for name, item_field in ITEM_FIELDS.items()
    if name not in ("quantity", "environment", "criticality")
}


def row_validate(row: RawRow, *, source: str) -> tuple[dict[str, Any] | None, list[RowError]]:
    """Validate one row: the item dict for the inventory services, or the row's errors."""
    errors: list[RowError] = list(row.errors)
    values: dict[str, str] = {}
    for name in ITEM_FIELDS:
        text = row.values.get(name, "").strip()
        unstorable = _unstorable(text)
        if unstorable:
            errors.append(RowError(row.locate(name), unstorable))
            text = ""
        elif len(text) > _MAX_LENGTHS.get(name, len(text)):
            errors.append(
                RowError(row.locate(name), f"is longer than {_MAX_LENGTHS[name]:,} characters")
            )
            text = ""
        values[name] = text

    if values["cpe"]:
        try:
            parse_cpe23(values["cpe"])
        except CpeError as error:
            errors.append(RowError(row.locate("cpe"), str(error)))
    if values["purl"]:
        try:
            purl_version = parse_purl(values["purl"]).version
        except PurlError as error:
            errors.append(RowError(row.locate("purl"), str(error)))
        else:
            if purl_version and not values["version"]:
                if len(purl_version) > _MAX_LENGTHS["version"]:
                    errors.append(
                        RowError(
                            row.locate("purl"),
                            f"has a version longer than {_MAX_LENGTHS['version']} characters",
                        )
                    )
                values["version"] = purl_version
            elif purl_version and purl_version != values["version"]:
                errors.append(
                    RowError(
                        row.locate("purl"),
                        f"has version {purl_version!r} but the version given is "
                        f"{values['version']!r}",
                    )
                )

    quantity = 1
    if values["quantity"]:
        # Compared as text first: int() refuses strings of more than 4,300 digits.
        digits = values["quantity"].lstrip("0")
        if not (values["quantity"].isascii() and values["quantity"].isdigit()) or not digits:
            errors.append(RowError(row.locate("quantity"), "must be a whole number ≥ 1"))
        elif len(digits) > len(str(QUANTITY_MAX)) or int(digits) > QUANTITY_MAX:
            errors.append(RowError(row.locate("quantity"), f"must be at most {QUANTITY_MAX:,}"))
        else:
            quantity = int(digits)

    environment = _choice(row, "environment", values, _ENVIRONMENTS, Environment, errors)
    criticality = _choice(row, "criticality", values, _CRITICALITIES, BusinessCriticality, errors)

    # A row whose identifying cells were refused already has an error that says so.
    identifying = {row.locate(name) for name in IDENTIFYING_FIELDS}
    if not any(values[name] for name in IDENTIFYING_FIELDS) and not any(
        error.location in identifying for error in errors
    ):
        errors.append(RowError(row.where, "names no product, CPE or purl"))
    if errors:
        return None, errors
    return {
        "raw_vendor": values["vendor"],
        "raw_product": values["product"],
        "version": values["version"],
        "cpe": values["cpe"],
        "purl": values["purl"],
        "quantity": quantity,
        "environment": environment or Environment.PRODUCTION.value,
        "criticality": criticality or BusinessCriticality.MEDIUM.value,
        "external_ref": values["external_ref"],
        "hostname": values["hostname"],
        "site": values["site"],
        "notes": values["notes"],
        "source": source,
    }, []


def _unstorable(text: str) -> str | None:
    """Why PostgreSQL could not store ``text``, if it could not; naming the cell beats a 500.

    Text columns cannot hold NUL, nor any other control character that is not a tab or a
    line break (``vendors.untrusted``), and JSON's ``\\ud800``-style escapes can smuggle in
    unpaired surrogates, which are not UTF-8.
    """
    control = control_character_problem(text)
    if control:
        return control
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired surrogate, which is not text"
    return None


def _choice(
    row: RawRow,
    name: str,
    values: Mapping[str, str],
    accepted: Mapping[str, str],
    choices: Any,
    errors: list[RowError],
) -> str | None:
    # Either the stored value or the label is accepted, in any case ("Production", "HIGH").
    text = values[name]
    if not text:
        return None
    value = accepted.get(text.casefold())
    if value is None:
        errors.append(RowError(row.locate(name), f"must be one of {', '.join(choices.values)}"))
    return value


def rows_validate(
    rows: Iterable[RawRow | RowError],
    *,
    source: str,
    on_progress: ProgressCallback | None = None,
    progress_every: int = 500,
) -> ValidationResult:
    """Validate every row; ``on_progress(rows_done)`` is called every ``progress_every`` rows.

    A :class:`RowError` among the rows stands for a record the reader could not read. Errors
    are reported in file order; all of them are counted, the first
    :data:`MAX_REPORTED_ERRORS` are kept.
    """
    items: list[dict[str, Any]] = []
    errors: list[RowError] = []
    error_count = 0
    done = 0
    # An external reference is the item's id where it came from: two rows with one id would
    # make a replacing import update one and create the other, and the next one drop either.
    first_with_ref: dict[str, str] = {}
    for row in rows:
        if isinstance(row, RowError):
            item, row_errors = None, [row]
        else:
            item, row_errors = row_validate(row, source=source)
            ref = item["external_ref"] if item is not None else ""
            first = first_with_ref.setdefault(ref, row.where) if ref else row.where
            if first != row.where:
                message = f"{ref!r} is already the reference of {first}"
                item, row_errors = None, [RowError(row.locate("external_ref"), message)]
        if item is not None:
            items.append(item)
        error_count += len(row_errors)
        if len(errors) < MAX_REPORTED_ERRORS:
            errors.extend(row_errors)
        done += 1
        if on_progress is not None and done % progress_every == 0:
            on_progress(done)
    if on_progress is not None:
        on_progress(done)
    return ValidationResult(
        items=items if not error_count else [],
        errors=errors[:MAX_REPORTED_ERRORS],
        error_count=error_count,
    )
