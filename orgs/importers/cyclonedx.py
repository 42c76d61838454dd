"""Reading CycloneDX JSON SBOMs (spec versions 1.4, 1.5 and 1.6).

A strict reader of just the part of the format an inventory needs, rather than a dependency
on a full object model: every component, nested ones too, becomes one row. The vendor is
the component's ``supplier.name``, else its ``publisher``, else its ``group``; the product is
its ``name``; ``version``, ``cpe`` and ``purl`` carry over; ``bom-ref`` becomes the item's
external reference. ``metadata.component`` is the subject the BOM describes, not something
it contains, and is not imported. Errors name the JSON path: ``components[3].version``.
"""

from __future__ import annotations

import json
from typing import Any

from orgs.importers.common import (
    ImportFileError,
    RawRow,
    RowError,
    import_limits,
    row_limit_error,
    size_check,
    text_decode,
)

_TYPES_1_4 = frozenset(
    {
        "application",
        "framework",
        "library",
        "container",
        "operating-system",
        "device",
        "firmware",
        "file",
    }
)
_TYPES_1_5 = _TYPES_1_4 | {"platform", "device-driver", "machine-learning-model", "data"}
COMPONENT_TYPES: dict[str, frozenset[str]] = {
    "1.4": _TYPES_1_4,
    "1.5": _TYPES_1_5,
    "1.6": _TYPES_1_5 | {"cryptographic-asset"},
}
SPEC_VERSIONS = tuple(COMPONENT_TYPES)

# Component keys read as plain strings, and the canonical field each one fills.
_STRING_KEYS = {"version": "version", "cpe": "cpe", "purl": "purl", "bom-ref": "external_ref"}


def cyclonedx_read(content: bytes) -> list[RawRow | RowError]:
    """Read a BOM into rows, or raise ImportFileError for a file that is not a usable BOM.

    A component that is not a JSON object comes back as a :class:`RowError` in its place.
    """
    size_check(content)
    text = text_decode(content)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFileError(
            [RowError(f"line {error.lineno}, column {error.colno}", f"not valid JSON: {error.msg}")]
        ) from error
    except RecursionError as error:
        raise ImportFileError([RowError("", "The JSON is nested too deeply.")]) from error
    spec_version, components = _document_check(document)
    _, max_rows = import_limits()
    types = COMPONENT_TYPES[spec_version]
    rows: list[RawRow | RowError] = []
    bom_refs: dict[str, str] = {}
    # Depth-first with an explicit stack, so that deep nesting cannot exhaust Python's
    # recursion limit; children are pushed reversed to keep document order.
    stack = [(f"components[{index}]", value) for index, value in enumerate(components)][::-1]
    while stack:
        path, component = stack.pop()
        if len(rows) == max_rows:
            raise row_limit_error("components")
        if not isinstance(component, dict):
            rows.append(RowError(path, "must be a JSON object"))
            continue
        rows.append(_component_read(path, component, types, spec_version, bom_refs))
        children = component.get("components")
        if isinstance(children, list):
            nested = [
                (f"{path}.components[{index}]", child) for index, child in enumerate(children)
            ]
            stack.extend(reversed(nested))
    if not rows:
        raise ImportFileError(
            [RowError("components", "the BOM lists no components: nothing to import")]
        )
    return rows


def _document_check(document: Any) -> tuple[str, list[Any]]:
    """The spec version and top-level components of a BOM, or ImportFileError."""
    if not isinstance(document, dict):
        raise ImportFileError([RowError("", "The file must hold a JSON object: a CycloneDX BOM.")])
    errors: list[RowError] = []
    if document.get("bomFormat") != "CycloneDX":
        errors.append(RowError("bomFormat", "must be 'CycloneDX'"))
    spec_version = document.get("specVersion")
    if spec_version not in COMPONENT_TYPES:
        shown = repr(spec_version) if spec_version is not None else "missing"
        errors.append(
            RowError(
                "specVersion",
                f"{shown} is not supported; the supported versions are {', '.join(SPEC_VERSIONS)}",
            )
        )
    components = document.get("components", [])
    if not isinstance(components, list):
        errors.append(RowError("components", "must be a list"))
    if errors:
        raise ImportFileError(errors)
    return str(spec_version), components


def _component_read(
    path: str,
    component: dict[str, Any],
    types: frozenset[str],
    spec_version: str,
    bom_refs: dict[str, str],
) -> RawRow:
    errors: list[RowError] = []
    values: dict[str, str] = {}
    labels: dict[str, str] = {"product": "name"}

    def text(key: str, location: str | None = None) -> str | None:
        value = component.get(key)
        if value is None or isinstance(value, str):
            return value
        errors.append(RowError(f"{path}.{location or key}", "must be a string"))
        return None

    component_type = text("type")
    if component_type is None:
        if "type" not in component:
            errors.append(RowError(f"{path}.type", "is required"))
    elif component_type not in types:
        errors.append(
            RowError(
                f"{path}.type",
                f"{component_type!r} is not a component type of CycloneDX {spec_version}",
            )
        )
    name = text("name")
    if name is None and "name" not in component:
        errors.append(RowError(f"{path}.name", "is required"))
    elif name is not None and not name.strip():
        errors.append(RowError(f"{path}.name", "must not be empty"))
    values["product"] = name or ""

    for key, canonical in _STRING_KEYS.items():
        value = text(key)
        if value is not None:
            values[canonical] = value
            labels[canonical] = key

    supplier = component.get("supplier")
    supplier_name = None
    if supplier is not None:
        if isinstance(supplier, dict):
            supplier_name = supplier.get("name")
            if supplier_name is not None and not isinstance(supplier_name, str):
                errors.append(RowError(f"{path}.supplier.name", "must be a string"))
                supplier_name = None
        else:
            errors.append(RowError(f"{path}.supplier", "must be a JSON object"))
    publisher, group = text("publisher"), text("group")
    for vendor, label in (
        (supplier_name, "supplier.name"),
        (publisher, "publisher"),
        (group, "group"),
    ):
        if vendor and vendor.strip():
            values["vendor"], labels["vendor"] = vendor, label
            break

    children = component.get("components")
    if children is not None and not isinstance(children, list):
        errors.append(RowError(f"{path}.components", "must be a list"))

    bom_ref = values.get("external_ref")
    if bom_ref:
        first = bom_refs.setdefault(bom_ref, path)
        if first != path:
            errors.append(
                RowError(f"{path}.bom-ref", f"{bom_ref!r} is already the bom-ref of {first}")
            )
    return RawRow(where=path, values=values, labels=labels, separator=".", errors=tuple(errors))
