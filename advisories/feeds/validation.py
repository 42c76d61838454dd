"""Parsing and validating documents before anything of them is stored.

CSAF 2.0 validation uses the ``csaf`` package (MIT; it ships the OASIS CSAF 2.0 JSON schema
and the FIRST CVSS schemas it refers to, with their licences, and implements the mandatory
tests of section 6.1). We run the schema and every mandatory test except 6.1.27: the package
checks there more than CSAF 2.0 asks (it refuses a VEX whose ``product_status`` also lists
``recommended``, which the OASIS example 2022-evd-uc-08 does, and remediations naming products
outside the product status, which CISA's ICSA-20-105-06 does), and the profile tests of 6.1.27
bear on nothing we map.
"""

from __future__ import annotations

import json
from typing import Any

from csaf.csaf.v20 import validate as csaf_v20_validate

from advisories.feeds.errors import DocumentInvalid, Problem

# See the module docstring.
SKIPPED_MANDATORY_TESTS = frozenset({"6.1.27"})
# Enough to act on; a document with thousands of problems is not worth listing in full.
MAX_PROBLEMS = 50


def parse_json(content: bytes, *, name: str = "the document") -> dict[str, Any]:
    """The JSON object in ``content``, or a ``DocumentInvalid`` that says where it breaks."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DocumentInvalid(
            f"{name} is not UTF-8 text (byte {error.start} is invalid)."
        ) from error
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise DocumentInvalid(
            f"{name} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}."
        ) from error
    if not isinstance(document, dict):
        raise DocumentInvalid(f"{name} is JSON but not an object.")
    return document


def csaf_problems(document: dict[str, Any]) -> list[Problem]:
    """What makes ``document`` invalid CSAF 2.0: schema errors and failed mandatory tests."""
    meta = document.get("document")
    version = meta.get("csaf_version") if isinstance(meta, dict) else None
    if version is not None and version != "2.0":
        # Another CSAF version (2.1) must not be judged, and mapped, as 2.0.
        return [Problem("/document/csaf_version", f"expected CSAF 2.0, found {version!r}")]
    report = csaf_v20_validate(document, preset="mandatory", skip_rules=SKIPPED_MANDATORY_TESTS)
    problems: list[Problem] = []
    for result in report.results:
        if result.passed or result.skipped:
            continue
        label = "schema" if result.id == "schema" else f"test {result.id} ({result.title})"
        problems += [
            Problem(error.instance_path, f"{label}: {error.message}") for error in result.errors
        ]
    return problems


def csaf_validate(document: dict[str, Any], *, name: str = "the document") -> None:
    """Raise ``DocumentInvalid`` listing the problems if ``document`` is not valid CSAF 2.0."""
    problems = csaf_problems(document)
    if problems:
        raise DocumentInvalid(
            f"{name} is not valid CSAF 2.0 ({len(problems)} problem"
            f"{'' if len(problems) == 1 else 's'}).",
            problems[:MAX_PROBLEMS],
        )
