"""Parsing and validating documents before anything of them is stored.

CSAF 2.0 validation uses the ``csaf`` package (MIT; it ships the OASIS CSAF 2.0 JSON schema
and the FIRST CVSS schemas it refers to, with their licences, and implements the mandatory
tests of section 6.1). We run the schema and every mandatory test except 6.1.27: the package
checks there more than CSAF 2.0 asks (it refuses a VEX whose ``product_status`` also lists
``recommended``, which the OASIS example 2022-evd-uc-08 does, and remediations naming products
outside the product status, which CISA's ICSA-20-105-06 does), and the profile tests of 6.1.27
bear on nothing we map.

The package checks the schema with ``jsonschema``, which takes as long as all the mandatory
tests together, and its ``validate`` does so even when told to skip it; a provider's first
sync validates thousands of documents. So the schema is checked by ``jsonschema-rs`` over the
package's own schema files, with the package's own format checkers, as the package itself
does for CSAF 2.1 (its "fast-schema" path), and the mandatory tests are run from the
package's rule registry in its catalogue's order. Only a document that fails the schema is
checked by the package's own schema step, for its messages.

Real publishers fail some mandatory tests in ways that do not change what a document says
(a CWE name spelled otherwise than in the CWE catalogue, a range written as a
``product_version``). Refusing those would keep real advisories from everyone, so each failed
test is judged by whether it leaves us unsure *what* the document covers:

* it **refuses** the document when it is not CSAF (schema, unreadable, not JSON) or when the
  products it covers cannot be known: 6.1.2 and 6.1.3 (a product id defined twice, or
  defined through itself), and 6.1.1 where the undefined product id is one the document says
  is affected, fixed or not affected, or one a relationship is built from;
* every other failed mandatory test is a **violation**: the document is imported, and the
  violation is kept on the advisory for people to see (``VIOLATION_REASONS`` says why each is
  safe). What such a document leaves unclear goes to review where it touches a target (a
  product listed as affected and as fixed for one CVE: 6.1.6, see ``advisories.feeds.csaf``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
from csaf._jsonschema import FORMATS
from csaf.csaf import v20 as csaf_v20
from csaf.csaf.v20 import validate as csaf_v20_validate
from csaf.csaf.v20.rules._registry import all_rules as csaf_v20_rules

from advisories.feeds.errors import DocumentInvalid, Problem
from vendors.untrusted import json_depth_exceeds, json_text_problems

_CSAF_SCHEMA_ID = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"
# See the module docstring.
SKIPPED_MANDATORY_TESTS = frozenset({"6.1.27"})
# A CSAF product tree nests a few branches deep; the schema and the mandatory tests recurse once
# per level, so a document far deeper than any real one is refused before they see it.
MAX_JSON_DEPTH = 64
# Enough to act on; a document with thousands of problems is not worth listing in full.
MAX_PROBLEMS = 50
# Failed tests that leave unknown which products the document covers.
REFUSING_TESTS = frozenset({"6.1.2", "6.1.3"})
# 6.1.1 refuses only where the undefined id says what is covered; elsewhere (scores,
# remediations, threats, flags, product groups) it touches no target.
_COVERAGE_PATHS = ("/product_status/", "/product_tree/relationships/")
# Why each other mandatory test may fail without the document being refused; the README's
# table is written from this one.
VIOLATION_REASONS: dict[str, str] = {
    "6.1.1": "an undefined product id in a score, remediation, threat, flag or product group "
    "touches no target",
    "6.1.4": "product groups are not mapped",
    "6.1.5": "product groups are not mapped",
    "6.1.6": "the product stays a target, held for review",
    "6.1.7": "the highest score is taken",
    "6.1.8": "the score is kept as published; only severity depends on it",
    "6.1.9": "the score is kept as published; only severity depends on it",
    "6.1.10": "the score is kept as published; only severity depends on it",
    "6.1.11": "the CWE is not mapped",
    "6.1.12": "the language is not mapped",
    "6.1.13": "a purl target that cannot be read goes to review",
    "6.1.14": "revision history is cosmetic",
    "6.1.15": "the document's translator is cosmetic",
    "6.1.16": "the tracking version is what orders versions",
    "6.1.17": "the tracking status decides draft or published",
    "6.1.18": "revision history is cosmetic",
    "6.1.19": "revision history is cosmetic",
    "6.1.20": "the tracking status decides draft or published",
    "6.1.21": "revision history is cosmetic",
    "6.1.22": "revision history is cosmetic",
    "6.1.23": "CVE ids are deduplicated",
    "6.1.24": "involvements are not mapped",
    "6.1.25": "file hashes are not mapped",
    "6.1.26": "every category but the informational one maps to a vulnerability advisory",
    "6.1.28": "the language is not mapped",
    "6.1.29": "remediations are mapped advisory-wide",
    "6.1.30": "revision history is cosmetic",
    "6.1.31": "the range is read as a range, or its target goes to review",
    "6.1.32": "flags are not mapped",
    "6.1.33": "flags are not mapped",
}


@dataclass(frozen=True)
class CsafCheck:
    """What validation found: problems that refuse the document, and violations that do not."""

    refusals: tuple[Problem, ...]
    violations: tuple[Problem, ...]


def parse_json(content: bytes, *, name: str = "the document") -> dict[str, Any]:
    """The JSON object in ``content``, or a ``DocumentInvalid`` that says where it breaks."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DocumentInvalid(
            f"{name} is not UTF-8 text (byte {error.start} is invalid)."
        ) from error
    too_deep = f"{name} nests more than {MAX_JSON_DEPTH} levels deep; no feed document does."
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise DocumentInvalid(
            f"{name} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}."
        ) from error
    except RecursionError:
        raise DocumentInvalid(too_deep) from None
    if json_depth_exceeds(document, MAX_JSON_DEPTH):
        # The validators below recurse once per level, and one of them in native code.
        raise DocumentInvalid(too_deep)
    if not isinstance(document, dict):
        raise DocumentInvalid(f"{name} is JSON but not an object.")
    return document


def text_check(document: dict[str, Any], *, name: str = "the document") -> None:
    """Refuse ``document`` if any of its strings (keys included) holds what cannot be stored:
    a NUL or another control character, or an unpaired surrogate that a ``\\ud800`` escape let
    in (``vendors.untrusted``). The problems name each string by its JSON pointer."""
    problems = [
        Problem("".join(f"/{_pointer_token(str(part))}" for part in path), problem)
        for path, problem in json_text_problems(document, limit=MAX_PROBLEMS)
    ]
    if problems:
        count = len(problems)
        plural = "" if count == 1 else "s"
        raise DocumentInvalid(
            f"{name} holds text that cannot be stored ({count} problem{plural}).", problems
        )


def _pointer_token(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def csaf_check(document: dict[str, Any]) -> CsafCheck:
    """Schema errors and failed mandatory tests of ``document``, refusing or not."""
    meta = document.get("document")
    version = meta.get("csaf_version") if isinstance(meta, dict) else None
    if version is not None and version != "2.0":
        # Another CSAF version (2.1) must not be judged, and mapped, as 2.0.
        return CsafCheck(
            (Problem("/document/csaf_version", f"expected CSAF 2.0, found {version!r}"),), ()
        )
    if not _schema_validator().is_valid(document):
        report = csaf_v20_validate(document, preset="schema")
        schema_errors = tuple(
            Problem(error.instance_path, f"schema: {error.message}")
            for result in report.results
            for error in result.errors
        )
        if schema_errors:
            return CsafCheck(schema_errors, ())
    refusals: list[Problem] = []
    violations: list[Problem] = []
    for test, title, check in _mandatory_tests():
        for error in check(document):
            problem = Problem(error.instance_path, f"test {test} ({title}): {error.message}")
            if _refuses(test, error.instance_path):
                refusals.append(problem)
            else:
                violations.append(problem)
    return CsafCheck(tuple(refusals), tuple(violations))


@cache
def _mandatory_tests() -> tuple[tuple[str, str, Callable[[dict[str, Any]], Any]], ...]:
    """Each mandatory test the package implements, but those we skip: id, title, check."""
    catalog = json.loads((Path(csaf_v20.__file__).parent / "rules" / "catalog.json").read_text())
    checks = csaf_v20_rules()
    return tuple(
        (entry["id"], entry["title"], checks[entry["id"]])
        for entry in catalog["tests"]
        if entry["group"] == "mandatory"
        and entry["id"] in checks
        and entry["id"] not in SKIPPED_MANDATORY_TESTS
        and entry.get("status") not in ("obsolete", "not_implemented")
    )


def csaf_profile_problems(document: dict[str, Any]) -> tuple[Problem, ...]:
    """The failures of the profile tests (6.1.27), which imports skip but the documents we
    publish must pass."""
    checks = csaf_v20_rules()
    return tuple(
        Problem(error.instance_path, f"test {test}: {error.message}")
        for test in sorted(SKIPPED_MANDATORY_TESTS)
        if test in checks
        for error in checks[test](document)
    )


@cache
def _schema_validator() -> Any:
    """The CSAF 2.0 schema and the CVSS schemas it refers to, as the package ships them."""
    folder = Path(csaf_v20.__file__).parent / "schema"
    schemas = {}
    for path in folder.rglob("*.json"):
        schema = json.loads(path.read_text())
        # The FIRST CVSS 2.0 and 3.0 schemas carry no $id; the CSAF schema names them so.
        uri = schema.get("$id") or f"https://www.first.org/cvss/{path.name}"
        schemas[uri.split("?")[0]] = schema

    def retrieve(uri: str) -> Any:
        return schemas[uri.split("?")[0]]

    return jsonschema_rs.Draft202012Validator(
        schemas[_CSAF_SCHEMA_ID], retriever=retrieve, validate_formats=True, formats=FORMATS
    )


def _refuses(test: str, path: str) -> bool:
    if test == "6.1.1":
        return any(part in path for part in _COVERAGE_PATHS)
    return test == "schema" or test in REFUSING_TESTS or test not in VIOLATION_REASONS


def csaf_validate(document: dict[str, Any], *, name: str = "the document") -> tuple[Problem, ...]:
    """The violations ``document`` may be imported with; raises ``DocumentInvalid`` listing
    the problems if it is not valid CSAF 2.0 or what it covers cannot be known."""
    check = csaf_check(document)
    if check.refusals:
        count = len(check.refusals)
        raise DocumentInvalid(
            f"{name} is not valid CSAF 2.0 ({count} problem{'' if count == 1 else 's'}).",
            check.refusals[:MAX_PROBLEMS],
        )
    return check.violations[:MAX_PROBLEMS]
