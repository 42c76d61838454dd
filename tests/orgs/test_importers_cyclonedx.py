"""Reading and validating CycloneDX JSON SBOMs (no database: files in, item dicts or errors out)."""

import json
from pathlib import Path

import pytest

from orgs.importers.common import ImportFileError, ValidationResult, rows_validate
from orgs.importers.cyclonedx import cyclonedx_read

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cyclonedx"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def validate(content: bytes) -> ValidationResult:
    return rows_validate(cyclonedx_read(content), source="cyclonedx")


def bom(components: object, spec_version: str = "1.6", **extra: object) -> bytes:
    document = {"bomFormat": "CycloneDX", "specVersion": spec_version, "version": 1, **extra}
    if components is not None:
        document["components"] = components
    return json.dumps(document).encode()


def file_errors(content: bytes) -> list[str]:
    with pytest.raises(ImportFileError) as caught:
        cyclonedx_read(content)
    return [str(error) for error in caught.value.errors]


def summary(result: ValidationResult) -> list[tuple[str, str, str, str, str, str]]:
    return [
        (
            item["raw_vendor"],
            item["raw_product"],
            item["version"],
            item["cpe"],
            item["purl"],
            item["external_ref"],
        )
        for item in result.items
    ]


def test_spec_1_4_bom_becomes_items_with_supplier_or_group_as_vendor():
    result = validate(fixture("bom-1.4.json"))

    assert result.errors == []
    assert summary(result) == [
        (
            "AO Kaspersky Lab",
            "Kaspersky Endpoint Security",
            "11.1.1",
            "cpe:2.3:a:kaspersky:endpoint_security:11.1.1:*:*:*:*:*:*:*",
            "",
            "kes-11",
        ),
        (
            "org.apache.logging.log4j",
            "log4j-core",
            "2.14.1",
            "",
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        ),
    ]
    assert {item["source"] for item in result.items} == {"cyclonedx"}


def test_spec_1_5_bom_imports_nested_components_in_document_order():
    result = validate(fixture("bom-1.5.json"))

    assert result.errors == []
    assert summary(result) == [
        (
            "Hangzhou Hikvision Digital Technology",
            "DS-2CD2043G2-I",
            "5.7.3",
            "",
            "",
            "camera-lobby",
        ),
        ("Hikvision", "IP Camera Firmware", "5.7.3", "", "", "camera-lobby-firmware"),
        ("", "Kubernetes", "1.29.2", "", "", "k8s"),
    ]


def test_spec_1_6_bom_accepts_1_6_component_types_and_takes_versions_from_purls():
    result = validate(fixture("bom-1.6.json"))

    assert result.errors == []
    assert summary(result) == [
        (
            "OpenSSL Software Foundation",
            "OpenSSL",
            "3.0.7",
            "",
            "pkg:generic/openssl@3.0.7",
            "tls-lib",
        ),
        ("", "requests", "2.31.0", "", "pkg:pypi/requests@2.31.0", "requests"),
    ]


def test_metadata_component_is_not_imported():
    names = [item["raw_product"] for item in validate(fixture("bom-1.4.json")).items]

    assert "Leitstelle" not in names


def test_invalid_components_are_reported_by_json_path():
    result = validate(fixture("bom-1.5-invalid.json"))

    assert result.items == []
    assert [str(error) for error in result.errors] == [
        "components[1].version: must be a string",
        "components[2].components[0].purl: 'npm/express' is not a valid package URL: "
        "purl is missing the required \"pkg\" scheme component: 'npm/express'.",
        "components[3].type: 'cryptographic-asset' is not a component type of CycloneDX 1.5",
        "components[4].name: is required",
        "components[4].bom-ref: 'ok' is already the bom-ref of components[0]",
        "components[5].cpe: 'cpe:/a:nginx:nginx:1.2' is not a CPE 2.3 formatted string: "
        "it must start with 'cpe:2.3:'",
    ]


def test_unsupported_spec_version_is_refused():
    assert file_errors(fixture("bom-1.3.json")) == [
        "specVersion: '1.3' is not supported; the supported versions are 1.4, 1.5, 1.6"
    ]


def test_document_that_is_not_a_cyclonedx_bom_is_refused():
    assert file_errors(json.dumps({"spdxVersion": "SPDX-2.3"}).encode()) == [
        "bomFormat: must be 'CycloneDX'",
        "specVersion: missing is not supported; the supported versions are 1.4, 1.5, 1.6",
    ]
    assert file_errors(b"[1, 2]") == ["The file must hold a JSON object: a CycloneDX BOM."]


def test_invalid_json_is_refused_with_its_position():
    assert file_errors(b'{\n  "bomFormat": "CycloneDX",\n  "specVersion": }') == [
        "line 3, column 18: not valid JSON: Expecting value"
    ]


def test_bom_without_components_is_refused():
    assert file_errors(bom(None)) == ["components: the BOM lists no components: nothing to import"]
    assert file_errors(bom({"name": "x"})) == ["components: must be a list"]


def test_wrongly_typed_members_are_reported_by_path():
    content = bom(
        [
            "log4j",
            {"type": "library", "name": "a", "supplier": "Acme"},
            {"type": "library", "name": "b", "supplier": {"name": 7}, "components": {}},
            {"type": 3, "name": ""},
        ]
    )

    assert [str(error) for error in validate(content).errors] == [
        "components[0]: must be a JSON object",
        "components[1].supplier: must be a JSON object",
        "components[2].supplier.name: must be a string",
        "components[2].components: must be a list",
        "components[3].type: must be a string",
        "components[3].name: must not be empty",
    ]


def test_vendor_falls_back_from_supplier_to_publisher_to_group():
    content = bom(
        [
            {
                "type": "library",
                "name": "a",
                "supplier": {"name": "S"},
                "publisher": "P",
                "group": "G",
            },
            {
                "type": "library",
                "name": "b",
                "supplier": {"name": " "},
                "publisher": "P",
                "group": "G",
            },
            {"type": "library", "name": "c", "group": "G"},
        ]
    )

    assert [item["raw_vendor"] for item in validate(content).items] == ["S", "P", "G"]


def test_deeply_nested_components_are_read_without_recursion():
    component: dict[str, object] = {"type": "library", "name": "leaf"}
    for depth in range(200):
        component = {"type": "library", "name": f"level {depth}", "components": [component]}

    result = validate(bom([component]))

    assert len(result.items) == 201
    assert result.items[-1]["raw_product"] == "leaf"


def test_bom_over_the_component_limit_is_refused(settings):
    settings.INVENTORY_IMPORT_MAX_ROWS = 2
    nested = [{"type": "library", "name": "a", "components": [{"type": "library", "name": "b"}]}]

    assert len(cyclonedx_read(bom(nested))) == 2
    assert file_errors(bom([*nested, {"type": "library", "name": "c"}])) == [
        "The file has more than 2 components; split it into smaller files."
    ]


def test_bom_over_the_size_limit_is_refused(settings):
    settings.INVENTORY_IMPORT_MAX_BYTES = 100

    assert file_errors(fixture("bom-1.6.json"))[0].startswith(
        "The file is larger than the limit of 100 bytes"
    )


def test_text_postgresql_cannot_store_is_an_error_naming_the_member():
    content = (
        b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": ['
        b'{"type": "library", "name": "bad \\ud800 name"},'
        b'{"type": "library", "name": "Ger\\u00e4t \\u0000"}]}'
    )

    assert [str(error) for error in validate(content).errors] == [
        "components[0].name: contains an unpaired surrogate, which is not text",
        "components[1].name: contains a NUL character",
    ]
