"""Parse ``vers`` range specifiers (``vers:<type>/<constraints>``) into ranges.

Follows the vers specification (package-url/vers-spec): constraints are
``|``-separated, each version once and sorted (``!=`` holes may sit anywhere,
as in the common ``>=1.0.0|<1.2.0|!=1.1.5``), ``*`` stands alone,
and — ignoring ``!=`` — a lower bound (``>``/``>=``) must be followed by an
upper bound (``<``/``<=``) or nothing, while an upper bound or an exact
version may only be followed by a lower bound or another exact version.  The
resulting pairs are the intervals; ``!=`` punches a hole.  Invalid input is an
error, never silently corrected.

A constraint whose version holds another comparator (``>=V2.10<V3.20``, the ``|`` left
out) is refused here; :func:`vendors.matching.reading.read_range`, the front door for range
texts, puts the missing ``|`` back before it calls this parser.

Deliberate leniencies, because advisories in the wild contain them: spaces
around constraints and comparators are ignored, the scheme and type are case-insensitive, and
an explicit ``=`` comparator is accepted as well as a bare version.  A vers
made only of ``!=`` constraints means "every version except these".

All versioning types are compared with the universal ordering of
:mod:`vendors.matching.versions`, with the vers type passed as ``scheme``
(so ``vers:deb/<2.4.47-2+deb10u1`` keeps its ``+`` suffix).  No ``to_vers``
exists: keys are lossy, so callers keep the original string next to the
parsed range.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from urllib.parse import unquote

from vendors.matching.ranges import Interval, VersionRange
from vendors.matching.versions import version_key

COMPARATORS = (">=", "<=", "!=", "<", ">", "=")
"""Recognised comparators, longest first so ``>=`` wins over ``>``."""

_LOWER = frozenset({">", ">="})
_UPPER = frozenset({"<", "<="})
_TYPE_RE = re.compile(r"^[a-z][a-z0-9.+-]*$")
_BAD_PERCENT_RE = re.compile(r"%(?![0-9a-fA-F]{2})")
_COMPARATOR_CHARS_RE = re.compile(r"[<>=]")


class VersRangeError(ValueError):
    """A vers string (or a constraint list) that cannot be turned into a range."""


@dataclass(frozen=True)
class Constraint:
    """One ``<comparator><version>`` element; ``comparator`` is one of COMPARATORS."""

    comparator: str
    version: str


@dataclass(frozen=True)
class ParsedVers:
    """A parsed vers string: its versioning type, constraints and range."""

    versioning_type: str
    constraints: tuple[Constraint, ...]
    range: VersionRange


def parse_vers(text: str) -> VersionRange:
    """Parse a vers string into a range, raising VersRangeError on bad input."""
    return parse_vers_full(text).range


def parse_vers_full(text: str) -> ParsedVers:
    """Parse a vers string, keeping its versioning type and constraints."""
    scheme, colon, specifier = text.strip().partition(":")
    if not colon or scheme.lower() != "vers":
        raise VersRangeError(f"{text!r} is not a vers string: it must start with 'vers:'")
    versioning_type, slash, constraints_text = specifier.partition("/")
    versioning_type = versioning_type.strip().lower()
    constraints_text = constraints_text.strip()
    if not slash or not versioning_type:
        raise VersRangeError(f"{text!r} has no versioning type: expected 'vers:<type>/...'")
    if not _TYPE_RE.match(versioning_type):
        raise VersRangeError(f"{text!r} has an invalid versioning type {versioning_type!r}")
    if not constraints_text:
        raise VersRangeError(f"{text!r} has no constraints after the '/'")
    if constraints_text == "*":
        return ParsedVers(versioning_type, (), VersionRange.ALL)
    if "*" in (item.strip() for item in constraints_text.split("|")):
        raise VersRangeError(f"{text!r}: '*' must be the only constraint")
    if constraints_text.startswith("|") or constraints_text.endswith("|"):
        raise VersRangeError(f"{text!r} has a leading or trailing '|'")
    constraints = tuple(
        _parse_constraint(item.strip(), text) for item in constraints_text.split("|")
    )
    return ParsedVers(
        versioning_type, constraints, build_range(constraints, scheme=versioning_type)
    )


def _parse_constraint(item: str, text: str) -> Constraint:
    if not item:
        raise VersRangeError(f"{text!r} has an empty constraint ('||')")
    comparator = next((c for c in COMPARATORS if item.startswith(c)), "=")
    raw_version = item[len(comparator) :].strip() if item.startswith(comparator) else item
    if not raw_version:
        raise VersRangeError(f"{text!r}: constraint {item!r} has no version")
    if _COMPARATOR_CHARS_RE.search(raw_version):
        # ">=V2.10<V3.20" is two constraints without their '|', not a version "V2.10<V3.20".
        raise VersRangeError(
            f"{text!r}: constraint {item!r} holds more than one comparator; separate"
            " constraints with '|'"
        )
    if _BAD_PERCENT_RE.search(raw_version):
        raise VersRangeError(f"{text!r}: constraint {item!r} has an invalid percent-encoding")
    return Constraint(comparator, unquote(raw_version))


def build_range(constraints: Sequence[Constraint], *, scheme: str | None = None) -> VersionRange:
    """Validate a constraint list and turn it into a range, with vers semantics.

    Keys are computed for ``scheme`` (see :func:`version_key`).  Raises
    VersRangeError for unknown comparators, versions without a key, unsorted
    or duplicate versions and invalid comparator sequences.
    """
    if not constraints:
        raise VersRangeError("no constraints given")
    keyed = [(_checked_key(c, scheme), c) for c in constraints]
    seen: dict[str, Constraint] = {}
    for key, constraint in keyed:
        if key in seen:
            raise VersRangeError(
                f"versions must be unique: {seen[key].version!r} and {constraint.version!r}"
                " are the same version"
            )
        seen[key] = constraint
    bounds = [(key, c) for key, c in keyed if c.comparator != "!="]
    for (previous_key, previous), (key, current) in pairwise(bounds):
        if key < previous_key:
            raise VersRangeError(
                f"constraints must be sorted by version: {current.version!r} comes after"
                f" {previous.version!r}"
            )
    holes = [key for key, c in keyed if c.comparator == "!="]
    _check_sequence([c for _, c in bounds])
    base = _intervals(bounds) if bounds else VersionRange.ALL
    for hole in holes:
        base = base.difference(VersionRange((Interval.point(hole),)))
    return base


def _checked_key(constraint: Constraint, scheme: str | None) -> str:
    if constraint.comparator not in COMPARATORS:
        raise VersRangeError(f"unknown comparator {constraint.comparator!r}")
    key = version_key(constraint.version, scheme=scheme)
    if key is None:
        raise VersRangeError(f"{constraint.version!r} is not a comparable version")
    return key


def _check_sequence(constraints: Sequence[Constraint]) -> None:
    for previous, current in pairwise(constraints):
        if previous.comparator in _LOWER and current.comparator not in _UPPER:
            raise VersRangeError(
                f"'{previous.comparator}{previous.version}' must be followed by an upper"
                f" bound ('<' or '<='), not '{current.comparator}{current.version}'"
            )
        if previous.comparator not in _LOWER and current.comparator in _UPPER:
            raise VersRangeError(
                f"'{current.comparator}{current.version}' cannot follow"
                f" '{previous.comparator}{previous.version}': the range is redundant"
            )


def _intervals(bounds: Sequence[tuple[str, Constraint]]) -> VersionRange:
    intervals: list[Interval] = []
    pending: tuple[str, bool] | None = None
    for key, constraint in bounds:
        comparator = constraint.comparator
        if comparator == "=":
            intervals.append(Interval.point(key))
        elif comparator in _LOWER:
            pending = (key, comparator == ">=")
        else:
            lower, lower_inclusive = pending if pending is not None else (None, False)
            intervals.append(Interval(lower, lower_inclusive, key, comparator == "<="))
            pending = None
    if pending is not None:
        intervals.append(Interval(pending[0], pending[1], None, False))
    return VersionRange(tuple(intervals))
