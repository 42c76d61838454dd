"""Parse the free-text version ranges real advisories use into VersionRanges.

CSAF ``product_version_range`` values in CISA advisories, and vendor
bulletins in general, say things like ``<= 2014 R2 SP1``, ``>= 2.3x | <=
6.00.327``, ``All versions prior to 4.2`` or ``3.0 through 3.4``.
:func:`parse_free_range` understands those forms and returns
:class:`Unparseable` with a reason for anything else: a range we do not
understand must never silently match every version or none.

Conventions:

* ``|`` separates constraints with vers semantics (pairwise, validated), so
  ``>= 2.3x | <= 6.00.327`` is one interval; ``||`` separates alternatives.
* Constraints separated by spaces, commas or ``and`` must all hold
  (``>=1.0 <2.0``).
* Textual two-ended ranges (``3.0 through 3.4``, ``3.0 - 3.4``, ``between
  3.0 and 3.4``, ``from 3.0 to 3.4``) include both ends.
* ``up to X`` is rejected as ambiguous; ``up to and including X`` is fine.
* Wildcard versions (``2.x``, ``2.*``) are rejected rather than guessed.
* ``3.0-3.4`` without spaces is rejected: it could be a range or a single
  Debian-style version.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from vendors.matching.ranges import Interval, VersionRange, make_interval
from vendors.matching.vers import Constraint, VersRangeError, build_range, parse_vers
from vendors.matching.versions import PRE_RELEASE_NAMES, describe_key, version_key


@dataclass(frozen=True)
class Unparseable:
    """A range text we refuse to interpret; ``reason`` says why, for the analyst."""

    reason: str


ParseResult = VersionRange | Unparseable

_ALL_PHRASES = frozenset(
    {
        "*",
        "all",
        "any",
        "all versions",
        "any version",
        "any versions",
        "every version",
        "all versions are affected",
        "all released versions",
    }
)

# Words allowed inside a free-text version besides words containing digits;
# anything else ("firmware", "see", "latest") means the text is prose.
_VERSION_WORDS = frozenset(
    {
        *PRE_RELEASE_NAMES,
        "alpha",
        "beta",
        "preview",
        "snapshot",
        "post",
        "sp",
        "patch",
        "p",
        "r",
        "update",
        "u",
        "build",
        "hotfix",
        "fix",
        "final",
        "ga",
        "service",
        "pack",
    }
)

# "All versions", "affected releases of", and with the component named: "All BIOS versions",
# "all firmware versions" (one word: longer prose is not a version range).
_PREFIX_RE = re.compile(
    r"^(?:all\s+)?(?:affected\s+)?(?:[a-z][\w-]*\s+)?(?:versions?|releases?)\b\s*(?:of\s+)?",
    re.IGNORECASE,
)
_COMPARATOR_RE = re.compile(r"(>=|<=|!=|==|=|<|>)")
_WILDCARD_RE = re.compile(r"(?:^|[.\s])[x*](?:$|[.\s])", re.IGNORECASE)
_DASH_RANGE_RE = re.compile(r"[vr]?\d+(?:\.\d+)+-[vr]?\d+(?:\.\d+)+", re.IGNORECASE)
_AND_SEPARATOR_RE = re.compile(r"(?:\s*(?:,|;|&&|\band\b)\s*)+$", re.IGNORECASE)
_LIST_SEPARATOR_RE = re.compile(r"\s*(?:,|;|&|\band\b|\bor\b)\s*", re.IGNORECASE)

_V = "(?P<v>.+)"
_I = re.IGNORECASE
# Two-sided forms with a leading keyword go first, so "from 3.0 to 3.4" is not
# read as "from <version '3.0 to 3.4'>".
_LEADING_TWO_SIDED = [
    re.compile(r"^between\s+(?P<a>.+?)\s+and\s+(?P<b>.+)$", _I),
    re.compile(r"^from\s+(?P<a>.+?)\s+(?:through|thru|to|-)\s+(?P<b>.+)$", _I),
]
_ONE_SIDED: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^(?:up to and including|up to \(including\)|at most)\s+{_V}$", _I), "<="),
    (
        re.compile(
            r"^(?:prior to|before|earlier than|older than|lower than|less than|below"
            rf"|up to \(excluding\)|up to but (?:not|excluding))\s+{_V}$",
            _I,
        ),
        "<",
    ),
    (re.compile(rf"^(?:from|since|starting (?:with|from|at)|at least)\s+{_V}$", _I), ">="),
    (
        re.compile(rf"^(?:after|later than|newer than|greater than|higher than|above)\s+{_V}$", _I),
        ">",
    ),
    (
        re.compile(
            r"^(?P<v>.+?)\s+(?:and|or)\s+(?:all\s+)?(?:later|newer|above|higher|greater|up)"
            r"(?:\s+versions?)?$",
            _I,
        ),
        ">=",
    ),
    (
        re.compile(
            r"^(?P<v>.+?)\s+(?:and|or)\s+(?:all\s+)?(?:earlier|older|below|lower|prior)"
            r"(?:\s+versions?)?$",
            _I,
        ),
        "<=",
    ),
]
_AMBIGUOUS_UP_TO = re.compile(r"^up\s+to\s+", _I)
_TWO_SIDED = re.compile(r"^(?P<a>.+?)\s+(?:through|thru|to|-)\s+(?P<b>.+)$", _I)
_VERSION_WORD_PREFIX = re.compile(r"^versions?\s+", _I)


def parse_free_range(text: str) -> ParseResult:
    """Interpret a free-text version range, or explain why it cannot be trusted."""
    cleaned = _clean(text)
    if not cleaned:
        return Unparseable("the range text is empty")
    if cleaned.lower().startswith("vers:"):
        try:
            return _non_empty(parse_vers(cleaned), text)
        except VersRangeError as error:
            return Unparseable(f"invalid vers string: {error}")
    if cleaned.lower() in _ALL_PHRASES:
        return VersionRange.ALL
    body = _PREFIX_RE.sub("", cleaned, count=1).strip() or cleaned
    result = _parse_body(body)
    if isinstance(result, VersionRange):
        return _non_empty(result, text)
    return result


def _clean(text: str) -> str:
    cleaned = unicodedata.normalize("NFKC", text)
    for dash in ("\u2013", "\u2014", "\u2212"):
        cleaned = cleaned.replace(dash, " - ")
    cleaned = cleaned.replace("\u2265", ">=").replace("\u2264", "<=").replace("\u2260", "!=")
    cleaned = cleaned.replace("=>", ">=").replace("=<", "<=")
    return " ".join(cleaned.split()).rstrip(".;,").strip()


def _non_empty(result: VersionRange, text: str) -> ParseResult:
    if result.is_empty:
        return Unparseable(f"{text!r} excludes every version")
    return result


def _parse_body(body: str) -> ParseResult:
    if "||" in body:
        return _parse_alternatives(body)
    if "|" in body:
        return _parse_pipes(body)
    if _COMPARATOR_RE.search(body):
        return _parse_conjunction(body)
    for pattern in _LEADING_TWO_SIDED:
        match = pattern.match(body)
        if match:
            return _inclusive_range(match.group("a"), match.group("b"))
    for one_sided, comparator in _ONE_SIDED:
        match = one_sided.match(body)
        if match:
            return _single(comparator, match.group("v"))
    if _AMBIGUOUS_UP_TO.match(body):
        return Unparseable(f"{body!r}: 'up to' does not say whether the version is included")
    match = _TWO_SIDED.match(body)
    if match:
        return _inclusive_range(match.group("a"), match.group("b"))
    if _LIST_SEPARATOR_RE.search(body):
        return _parse_list(body)
    return _single("=", body)


def _checked_version(raw: str) -> tuple[str, str] | Unparseable:
    """Return ``(version, key)`` if ``raw`` is a plausible version, else why not."""
    version = _VERSION_WORD_PREFIX.sub("", raw.strip().strip("\"'").strip(), count=1)
    if not version:
        return Unparseable("a constraint is missing its version")
    if _WILDCARD_RE.search(version):
        return Unparseable(f"{version!r}: wildcard versions are not supported")
    if _DASH_RANGE_RE.fullmatch(version):
        return Unparseable(
            f"{version!r} could be a range or a single version; write it as 'A - B' for a range"
        )
    words = version.split()
    # A version starts with a digit, or with the "V" or "R" (release) vendors put before one.
    if not re.match(r"^[vr]?\d", words[0], _I):
        return Unparseable(f"{version!r} is not a recognisable version or range")
    for word in words[1:]:
        letters = re.sub(r"[^a-z0-9]", "", word.lower())
        if not any(c.isdigit() for c in letters) and letters not in _VERSION_WORDS:
            return Unparseable(f"{version!r} is not a recognisable version ({word!r})")
    key = version_key(version)
    if key is None:
        return Unparseable(f"{version!r} is not a comparable version")
    return version, key


def _constraint_range(comparator: str, key: str) -> VersionRange:
    if comparator in ("=", "=="):
        return VersionRange((Interval.point(key),))
    if comparator == "!=":
        return VersionRange((Interval.point(key),)).complement()
    if comparator in ("<", "<="):
        return VersionRange((Interval(None, False, key, comparator == "<="),))
    return VersionRange((Interval(key, comparator == ">=", None, False),))


def _single(comparator: str, raw_version: str) -> ParseResult:
    checked = _checked_version(raw_version)
    if isinstance(checked, Unparseable):
        return checked
    return _constraint_range(comparator, checked[1])


def _inclusive_range(raw_lower: str, raw_upper: str) -> ParseResult:
    lower = _checked_version(raw_lower)
    if isinstance(lower, Unparseable):
        return lower
    upper = _checked_version(raw_upper)
    if isinstance(upper, Unparseable):
        return upper
    interval = make_interval(lower[1], True, upper[1], True)
    if interval is None:
        return Unparseable(f"the range start {lower[0]!r} is after its end {upper[0]!r}")
    return VersionRange((interval,))


def _parse_conjunction(body: str) -> ParseResult:
    pieces = _COMPARATOR_RE.split(body)
    if pieces[0].strip():
        return Unparseable(f"{body!r}: unexpected text before the first comparator")
    result = VersionRange.ALL
    for comparator, raw in zip(pieces[1::2], pieces[2::2], strict=True):
        single = _single(comparator, _AND_SEPARATOR_RE.sub("", raw))
        if isinstance(single, Unparseable):
            return single
        result = result.intersection(single)
    return result


def _parse_pipes(body: str) -> ParseResult:
    constraints: list[Constraint] = []
    for part in (p.strip() for p in body.split("|")):
        pieces = _COMPARATOR_RE.split(part)
        if len(pieces) == 1:
            comparator, raw = "=", part
        elif len(pieces) == 3 and not pieces[0].strip():
            comparator, raw = pieces[1], pieces[2]
        else:
            return Unparseable(f"{part!r}: each '|' part must hold exactly one constraint")
        checked = _checked_version(raw)
        if isinstance(checked, Unparseable):
            return checked
        constraints.append(Constraint("=" if comparator == "==" else comparator, checked[0]))
    try:
        return build_range(constraints)
    except VersRangeError as error:
        return Unparseable(f"{body!r}: {error}")


def _parse_alternatives(body: str) -> ParseResult:
    result = VersionRange.EMPTY
    for alternative in (a.strip() for a in body.split("||")):
        if not alternative:
            return Unparseable(f"{body!r} has an empty alternative")
        parsed = _parse_body(alternative)
        if isinstance(parsed, Unparseable):
            return parsed
        result = result.union(parsed)
    return result


def _parse_list(body: str) -> ParseResult:
    result = VersionRange.EMPTY
    for item in _LIST_SEPARATOR_RE.split(body):
        single = _single("=", item)
        if isinstance(single, Unparseable):
            return single
        result = result.union(single)
    return result


def describe_range(version_range: VersionRange) -> str:
    """A short human-readable rendering, e.g. ``>= 1.0, < 2.0 or = 3.1``.

    Versions are shown in canonical form (keys are lossy), so keep the
    original advisory text for anything an analyst must quote.
    """
    if version_range.is_all:
        return "all versions"
    if version_range.is_empty:
        return "no versions"
    return " or ".join(_describe_interval(i) for i in version_range.intervals)


def _describe_interval(interval: Interval) -> str:
    if interval.is_point and interval.lower is not None:
        return f"= {describe_key(interval.lower)}"
    parts = []
    if interval.lower is not None:
        parts.append(f"{'>=' if interval.lower_inclusive else '>'} {describe_key(interval.lower)}")
    if interval.upper is not None:
        parts.append(f"{'<=' if interval.upper_inclusive else '<'} {describe_key(interval.upper)}")
    return ", ".join(parts)
