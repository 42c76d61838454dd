"""Reading and validating inventory CSV files (no database: files in, item dicts or errors out)."""

import pytest

from orgs.importers.common import (
    MAX_REPORTED_ERRORS,
    ImportFileError,
    ValidationResult,
    format_detect,
    rows_validate,
)
from orgs.importers.csv import csv_read

HEADER = (
    "vendor,product,version,cpe,purl,quantity,environment,criticality,external_ref,hostname,"
    "site,notes"
)


def validate(text: str | bytes) -> ValidationResult:
    content = text.encode() if isinstance(text, str) else text
    return rows_validate(csv_read(content), source="csv")


def file_errors(text: str | bytes) -> list[str]:
    content = text.encode() if isinstance(text, str) else text
    with pytest.raises(ImportFileError) as caught:
        csv_read(content)
    return [str(error) for error in caught.value.errors]


def error_texts(result: ValidationResult) -> list[str]:
    return [str(error) for error in result.errors]


KASPERSKY_LINE = (
    "AO Kaspersky Lab,Kaspersky Endpoint Security,11.1.1,"
    "cpe:2.3:a:kaspersky:endpoint_security:11.1.1:*:*:*:*:*:*:*,,25,production,critical,"
    "CMDB-0042,pc-*.office,Hauptverwaltung,on every office PC"
)
KASPERSKY_ITEM = {
    "raw_vendor": "AO Kaspersky Lab",
    "raw_product": "Kaspersky Endpoint Security",
    "version": "11.1.1",
    "cpe": "cpe:2.3:a:kaspersky:endpoint_security:11.1.1:*:*:*:*:*:*:*",
    "purl": "",
    "quantity": 25,
    "environment": "production",
    "criticality": "critical",
    "external_ref": "CMDB-0042",
    "hostname": "pc-*.office",
    "site": "Hauptverwaltung",
    "notes": "on every office PC",
    "source": "csv",
}


def test_file_with_every_column_becomes_item_dicts():
    result = validate(f"{HEADER}\n{KASPERSKY_LINE}\n")

    assert result.errors == []
    assert result.items == [KASPERSKY_ITEM]


def test_byte_order_mark_is_ignored():
    content = "\ufeff".encode() + f"{HEADER}\r\n{KASPERSKY_LINE}\r\n".encode()

    assert validate(content).items == [KASPERSKY_ITEM]


def test_semicolon_delimiter_is_recognised_from_the_header():
    text = f"{HEADER.replace(',', ';')}\n{KASPERSKY_LINE.replace(',', ';')}\n"

    assert validate(text).items == [KASPERSKY_ITEM]


def test_semicolon_file_keeps_commas_inside_cells():
    result = validate("vendor;product;notes\nAcme, Inc.;Widget, Pro;racks 1, 2 and 3\n")

    assert result.items[0]["raw_vendor"] == "Acme, Inc."
    assert result.items[0]["raw_product"] == "Widget, Pro"
    assert result.items[0]["notes"] == "racks 1, 2 and 3"


def test_quoted_cells_keep_delimiters_quotes_and_line_breaks():
    text = 'product,notes\n"Widget, ""Pro"" edition","first line\nsecond line"\n'

    item = validate(text).items[0]

    assert item["raw_product"] == 'Widget, "Pro" edition'
    assert item["notes"] == "first line\nsecond line"


def test_header_is_matched_case_insensitively_in_any_order():
    result = validate(" Product ,VENDOR,Quantity\nEndpoint Security,Kaspersky,3\n")

    assert result.items[0]["raw_vendor"] == "Kaspersky"
    assert result.items[0]["raw_product"] == "Endpoint Security"
    assert result.items[0]["quantity"] == 3


def test_missing_optional_cells_take_the_item_defaults():
    item = validate("product\nWidget\n").items[0]

    assert item["quantity"] == 1
    assert item["environment"] == "production"
    assert item["criticality"] == "medium"
    assert item["version"] == ""


def test_choices_accept_their_labels_in_any_case():
    item = validate("product,environment,criticality\nWidget,Staging,HIGH\n").items[0]

    assert (item["environment"], item["criticality"]) == ("staging", "high")


def test_purl_version_fills_an_empty_version():
    item = validate("purl\npkg:npm/lodash@4.17.20\n").items[0]

    assert item["version"] == "4.17.20"
    assert item["purl"] == "pkg:npm/lodash@4.17.20"


def test_purl_version_that_contradicts_the_version_column_is_an_error():
    result = validate("version,purl\n4.17.21,pkg:npm/lodash@4.17.20\n")

    assert error_texts(result) == [
        "line 2, purl: has version '4.17.20' but the version given is '4.17.21'"
    ]


def test_bad_lines_are_reported_by_line_and_field_and_nothing_is_returned():
    text = "\n".join(
        [
            "vendor,product,version,cpe,purl,quantity,environment,criticality",
            "Kaspersky,Endpoint Security,11,,,2,production,high",
            "Kaspersky,Endpoint Security,11,,,0,production,high",
            "Kaspersky,Endpoint Security,11,,,two,production,high",
            "Kaspersky,Endpoint Security,11,,,1.5,moon,urgent",
            "Kaspersky,,11,,,1,,",
            "Acme,Widget,1,cpe:/a:acme:widget:1,pkg:/nothing,1,,",
            "Acme,Widget,1,,,1",
        ]
    )

    result = validate(text)

    assert result.items == []
    assert error_texts(result) == [
        "line 3, quantity: must be a whole number ≥ 1",
        "line 4, quantity: must be a whole number ≥ 1",
        "line 5, quantity: must be a whole number ≥ 1",
        "line 5, environment: must be one of production, staging, development, test, other",
        "line 5, criticality: must be one of critical, high, medium, low",
        "line 6: names no product, CPE or purl",
        "line 7, cpe: 'cpe:/a:acme:widget:1' is not a CPE 2.3 formatted string: "
        "it must start with 'cpe:2.3:'",
        "line 7, purl: 'pkg:/nothing' is not a valid package URL: "
        "purl is missing the required type component: 'pkg:/nothing'.",
        "line 8: has 6 fields, the header has 8",
    ]
    assert result.error_count == 9


def test_line_numbers_count_physical_lines_across_blank_lines_and_multiline_cells():
    text = 'product,notes,quantity\n\nWidget,"one\ntwo\nthree",1\n,,\nGadget,,-1\n'

    assert error_texts(validate(text)) == ["line 7, quantity: must be a whole number ≥ 1"]


def test_errors_name_the_column_as_the_file_writes_it():
    assert error_texts(validate("Product,Quantity\nWidget,none\n")) == [
        "line 2, Quantity: must be a whole number ≥ 1"
    ]


def test_quantity_beyond_the_database_column_is_an_error():
    text = f"product,quantity\nWidget,3000000000\nGadget,{'9' * 5000}\nGizmo,0002\n"

    result = validate(text)

    assert error_texts(result) == [
        "line 2, quantity: must be at most 2,147,483,647",
        "line 3, quantity: must be at most 2,147,483,647",
    ]


def test_leading_zeros_in_quantity_are_accepted():
    assert validate("product,quantity\nGizmo,0002\n").items[0]["quantity"] == 2


def test_value_longer_than_its_field_is_an_error():
    text = f"product,version,purl\nWidget,{'1' * 101},\nGadget,,pkg:npm/gadget@{'2' * 101}\n"

    assert error_texts(validate(text)) == [
        "line 2, version: is longer than 100 characters",
        "line 3, purl: has a version longer than 100 characters",
    ]


def test_nul_character_is_an_error_rather_than_a_database_failure():
    assert error_texts(validate("product,notes\nWidget,a\x00b\n")) == [
        "line 2, notes: contains a NUL character"
    ]


def test_other_control_characters_are_errors_but_tabs_and_line_breaks_are_text():
    assert error_texts(validate('product,notes\nWidget,"a\x1b[31mb"\nGadget,"a\tb\r\nc"\n')) == [
        "line 2, notes: contains the control character U+001B"
    ]


@pytest.mark.parametrize(
    "cell, value",
    [
        ("'=SUM(A1)", "=SUM(A1)"),
        ("'-5", "-5"),
        ("'@admin", "@admin"),
        ("''=quoted", "'=quoted"),
        ("'plain", "'plain"),
        ("O'Neil", "O'Neil"),
    ],
)
def test_the_exports_formula_guard_is_read_off_exactly_where_it_was_put(cell, value):
    assert validate(f"product,notes\nWidget,{cell}\n").items[0]["notes"] == value


def test_unknown_empty_and_duplicate_columns_are_reported_with_their_position():
    assert file_errors("product,colour,,Product\nWidget,red,,x\n") == [
        "line 1, column 2: unknown column 'colour'; the columns are vendor, product, version, "
        "cpe, purl, quantity, environment, criticality, external_ref, hostname, site, notes",
        "line 1, column 3: has no name",
        "line 1, column 4: column 'Product' appears twice",
    ]


def test_header_without_an_identifying_column_is_refused():
    assert file_errors("vendor,version\nAcme,1\n") == [
        "line 1: the header needs a product, cpe or purl column"
    ]


def test_empty_file_and_header_only_file_are_refused():
    assert file_errors("") == ["The file is empty: it has no header line."]
    assert file_errors("product\n\n") == ["line 1: the header is the only line: nothing to import"]


def test_malformed_quoting_is_reported_with_its_line_beside_the_other_errors():
    """A stray quote spoils its own line only: the lines after it are still read, so the
    report lists every error of the file, not the first tokenizer error alone."""
    result = validate(
        'product,quantity,notes\nWidget,1,ok\nGadget,2,"open "quote\nGizmo,many,x\nDoohickey,3,y\n'
    )
    assert error_texts(result) == [
        "line 3: malformed CSV: ',' expected after '\"'",
        "line 4, quantity: must be a whole number ≥ 1",
    ]
    assert result.error_count == 2


def test_malformed_quoting_in_the_header_refuses_the_file():
    assert file_errors('product,"no"tes\nWidget,ok\n') == [
        "line 1: malformed CSV: ',' expected after '\"'"
    ]


def test_file_that_is_not_utf8_is_refused_with_the_line_of_the_first_bad_byte():
    content = "product\nWidget\nMüller Gerät\n".encode("cp1252")

    assert file_errors(content) == [
        "line 3: the file is not UTF-8 (byte 0xfc at offset 16); "
        "save it as UTF-8 (with or without BOM)."
    ]


def test_utf16_file_is_refused_with_a_hint():
    assert file_errors("product\nWidget\n".encode("utf-16")) == [
        "The file is UTF-16; save it as UTF-8 (with or without BOM)."
    ]


def test_file_over_the_size_limit_is_refused(settings):
    settings.INVENTORY_IMPORT_MAX_BYTES = 1000

    assert file_errors("product\n" + "Widget\n" * 200) == [
        "The file is larger than the limit of 1,000 bytes (1,408 bytes); "
        "split it into smaller files."
    ]


def test_file_over_the_row_limit_is_refused(settings):
    settings.INVENTORY_IMPORT_MAX_ROWS = 3

    assert len(csv_read(b"product\nA\nB\nC\n")) == 3
    assert file_errors("product\nA\nB\nC\nD\n") == [
        "The file has more than 3 rows; split it into smaller files."
    ]


def test_error_list_is_capped_but_every_error_is_counted():
    result = validate("product,quantity\n" + "Widget,0\n" * (MAX_REPORTED_ERRORS + 5))

    assert len(result.errors) == MAX_REPORTED_ERRORS
    assert result.error_count == MAX_REPORTED_ERRORS + 5
    assert str(result.errors[-1]) == (
        f"line {MAX_REPORTED_ERRORS + 1}, quantity: must be a whole number ≥ 1"
    )


def test_progress_is_reported_while_rows_are_validated():
    seen: list[int] = []
    rows = csv_read(("product\n" + "Widget\n" * 25).encode())

    rows_validate(rows, source="csv", on_progress=seen.append, progress_every=10)

    assert seen == [10, 20, 25]


@pytest.mark.parametrize(
    ("filename", "content", "expected"),
    [
        ("inventory.csv", b"{}", "csv"),
        ("bom.json", b"product\n", "cyclonedx"),
        ("upload", b'\xef\xbb\xbf  {"bomFormat": "CycloneDX"}', "cyclonedx"),
        ("upload", b"product\nWidget\n", "csv"),
    ],
)
def test_format_is_detected_by_extension_then_content(filename, content, expected):
    assert format_detect(filename, content) == expected


def test_an_external_reference_given_twice_is_an_error_on_the_later_line():
    text = (
        "product,External_Ref\nWidget,CMDB-1\nGadget,CMDB-2\nGizmo,CMDB-1\n"
        "Sprocket,\nCog,\nBolt,cmdb-1\n"
    )

    result = validate(text)

    # Rows without a reference may be many; references differ by case, as ids do.
    assert error_texts(result) == [
        "line 4, External_Ref: 'CMDB-1' is already the reference of line 2"
    ]
    assert result.items == []
    assert result.error_count == 1
