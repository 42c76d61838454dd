"""The grammar of the free-text version ranges real advisories use.

CSAF ``product_version_range`` values in CISA advisories, and vendor bulletins in general,
say things like ``<= 2014 R2 SP1``, ``>= 2.3x | <= 6.00.327``, ``prior to 4.2`` or ``3.0
through 3.4``. :func:`parse_range_body` reads such a text into a :class:`Reading` (intervals,
and a caveat when the text names a condition intervals cannot hold) or returns
:class:`Unparseable` with a reason. It reads the range part only: callers go through
:func:`vendors.matching.reading.read_range`, which takes off a ``vers:`` prefix, labels before
the version and a condition after it first.

Conventions:

* ``|`` separates constraints with vers semantics (pairwise, validated), so ``>= 2.3x | <=
  6.00.327`` is one interval; ``||`` separates alternatives.
* Constraints separated by spaces, commas or ``and`` must all hold (``>=1.0 <2.0``).
* Textual two-ended ranges (``3.0 through 3.4``, ``3.0 - 3.4``, ``between 3.0 and 3.4``,
  ``from 3.0 to 3.4``) include both ends, unless a marker after a bound says otherwise
  (``between V3.0 (including) and V3.0.2 (excluding)``).
* ``up to X`` is refused as ambiguous; ``up to and including X`` is fine.
* A wildcard part names a release family: ``2.4.X`` is every 2.4 version, pre-releases
  included (``>= 2.4.x and < 2.5.x``); ``<= 7.x`` is everything below 8 (``< 8.x``).
  Digits written as X (``16XXXXXX``) span the numbers they stand for (``>= 16000000 and <
  17000000``). A wildcard with more parts after it (``< V2.X.5``) means "below x.5 in every 2.x
  branch", which no finite set of intervals holds: it is read as the whole family with the
  text as a caveat, so that no 2.x version is missed and none is confirmed.
* One fixed version per branch after one ``<`` (``<v12.011 v11.013 v10.014``): each branch
  is affected below its own fix, from the first version of the branch; the lowest fix's
  branch and every earlier one are affected below it.
* Two names of one release (``< 2020 (4.2.0)``, ``< V3.1 SP2 (3.1.540)``): when one is a
  year-named release (its first number 1900-2099) and the other a version number below 1900,
  the two naming schemes do not overlap, and each is compared in its own (versions below
  1900 with the number, the rest with the year). Otherwise either name may be the one an
  inventory uses: the range covers what either name covers, with a caveat, so its flags are
  possible.
* A letter after the number is a vendor revision: ``9.3a`` comes after ``9.3``.
* ``V191-V195`` (a second ``V`` after the dash) is a range with both ends; ``3.0-3.4``
  without spaces is refused, because it could also be one Debian-style version.
* A letter-only version (``<= C``) and a date (``< 2021-03-01``) are not versions: refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vendors.matching.ranges import Interval, VersionRange
from vendors.matching.vers import Constraint, VersRangeError, build_range
from vendors.matching.versions import (
    PRE_RELEASE_NAMES,
    WILDCARD_PART_RE,
    SegmentKind,
    parse_version,
    version_key,
)


@dataclass(frozen=True)
class Unparseable:
    """A range text we refuse to interpret; ``reason`` says why, for the editor."""

    reason: str


@dataclass(frozen=True)
class Reading:
    """What a range text means: the versions it covers, and the condition it puts on them.

    ``caveat`` is empty when the text names no condition. A reading with a caveat flags only
    *possible* matches: the organization has to check the condition (``installed on XY200
    devices``) before it knows.
    """

    range: VersionRange
    caveat: str = ""


ReadResult = Reading | Unparseable

ALL_PHRASES = frozenset(
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

VERSION_WORDS = frozenset(
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
        "upd",
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
"""Words that may follow a version inside it (``2014 R2 SP1``, ``2017 Upd 4``, ``4.2 build
12``); any other word after a version is prose."""

# A word that is part of a version: it starts with a number (or the "V"/"R" before one), or
# it is one of VERSION_WORDS, possibly followed by its number ("SP1", "rc2", "(build 12)").
_VERSION_START_RE = re.compile(r"^\(?[vr]?\d", re.IGNORECASE)
_VERSION_WORD_RE = re.compile(r"^\(?([a-z]+)[\d.)-]*$", re.IGNORECASE)
# Labels vendors put before a version: "FW12", "firmware_05", "Firmware version 2.1".
_LABEL_RE = re.compile(
    r"^(?:(?:firmware|software|fw|sw)(?:[\s.]*version)?|versions?)[\s.:]*(?=[vr]?\d)",
    re.IGNORECASE,
)
_COMPARATOR_RE = re.compile(r"(>=|<=|!=|==|=|<|>)")
_DASH_RANGE_RE = re.compile(r"[vr]?\d+(?:\.\d+)+-[vr]?\d+(?:\.\d+)+", re.IGNORECASE)
_V_DASH_RANGE_RE = re.compile(r"(?P<a>v?\d+(?:\.\d+)*)-(?P<b>v\d+(?:\.\d+)*)", re.IGNORECASE)
_AND_SEPARATOR_RE = re.compile(r"(?:\s*(?:,|;|&&|\band\b)\s*)+$", re.IGNORECASE)
_LIST_SEPARATOR_RE = re.compile(r"\s*(?:,|;|&|\band\b|\bor\b)\s*", re.IGNORECASE)
_BRANCH_FIX_RE = re.compile(r"v?\d+(?:\.\d+)+", re.IGNORECASE)
_ALTERNATE_NAME_RE = re.compile(r"(?P<a>[^()]+?)\s*\((?P<b>[^()]+)\)")
_BOUND_MARKER_RE = re.compile(
    r"\s*\((?P<marker>including|inclusive|incl\.?|excluding|exclusive|excl\.?)\)$",
    re.IGNORECASE,
)
_LETTER_ONLY_RE = re.compile(r"(?:rev\.?\s*)?[a-z]", re.IGNORECASE)
DATE_RE = re.compile(
    r"\b(?:(?:19|20)\d\d-(?:0[1-9]|1[0-2])(?:-\d\d)?|\d\d?/(?:19|20)\d\d|\d\d?/\d\d?/\d\d(?:\d\d)?"
    r"|\d\d\.\d\d\.(?:19|20)\d\d)\b"
)
"""A date (2021-03-01, 03/2021, 01.03.2021): a production or build date, never a version."""
_DIGIT_WILDCARD_RE = re.compile(r"[vr]?(?P<lead>\d+)(?P<width>x{2,})", re.IGNORECASE)
_DOTTED_WILDCARD_RE = re.compile(
    r"[vr]?(?P<prefix>\d+(?:\.\d+)*)\.[x*](?P<rest>(?:\.[\w*]+)*)", re.IGNORECASE
)
_ALL_WILDCARDS_RE = re.compile(r"(?:\.[x*])*", re.IGNORECASE)

# Release names that are years, and the versions below them (see the module docstring).
_YEARS = (1900, 2099)
_FROM_YEARS = VersionRange.between("1900", None)

_V = "(?P<v>.+)"
_I = re.IGNORECASE
# Two-sided forms with a leading keyword go first, so "from 3.0 to 3.4" is not read as
# "from <version '3.0 to 3.4'>".
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


def join_caveats(*caveats: str) -> str:
    """Several conditions as one caveat, each once, in order."""
    return "; ".join(dict.fromkeys(caveat for caveat in caveats if caveat))


def is_version_word(word: str) -> bool:
    """Whether ``word`` can be part of a version (rather than prose)."""
    if _VERSION_START_RE.match(word):
        return True
    match = _VERSION_WORD_RE.match(word)
    return match is not None and match.group(1).lower() in VERSION_WORDS


def parse_range_body(body: str) -> ReadResult:
    """Interpret the range part of a text (see the module docstring), or say why not."""
    if body.lower() in ALL_PHRASES:
        return Reading(VersionRange.ALL)
    if "||" in body:
        return _parse_alternatives(body)
    if "|" in body:
        return _parse_pipes(body)
    if _COMPARATOR_RE.search(body):
        return _parse_conjunction(body)
    for pattern in _LEADING_TWO_SIDED:
        match = pattern.match(body)
        if match:
            return _two_sided(match.group("a"), match.group("b"))
    for one_sided, comparator in _ONE_SIDED:
        match = one_sided.match(body)
        if match:
            return _single(comparator, match.group("v"))
    if _AMBIGUOUS_UP_TO.match(body):
        return Unparseable(f"{body!r}: 'up to' does not say whether the version is included")
    match = _TWO_SIDED.match(body)
    if match:
        return _two_sided(match.group("a"), match.group("b"))
    if _LIST_SEPARATOR_RE.search(body):
        return _parse_list(body)
    return _single("=", body)


def _both(a: Reading, b: Reading) -> Reading:
    return Reading(a.range.intersection(b.range), join_caveats(a.caveat, b.caveat))


def _either(a: Reading, b: Reading) -> Reading:
    return Reading(a.range.union(b.range), join_caveats(a.caveat, b.caveat))


def _without_label(raw: str) -> str:
    return _LABEL_RE.sub("", raw.strip().strip("\"'").strip(), count=1).strip()


def _checked_version(raw: str) -> tuple[str, str] | Unparseable:
    """Return ``(version, key)`` if ``raw`` is one plain version, else why not."""
    version = _without_label(raw)
    if not version:
        return Unparseable("a constraint is missing its version")
    if "*" in version or WILDCARD_PART_RE.search(version):
        return Unparseable(f"{version!r}: a wildcard version cannot be used here")
    if _DASH_RANGE_RE.fullmatch(version):
        return Unparseable(
            f"{version!r} could be a range or a single version; write it as 'A - B' for a range"
        )
    if _LETTER_ONLY_RE.fullmatch(version):
        return Unparseable(
            f"{version!r} is a letter-only revision: it has no number to compare versions with"
        )
    if DATE_RE.search(version):
        return Unparseable(f"{version!r} is a date, not a version")
    words = version.split()
    if not _VERSION_START_RE.match(words[0]) or words[0].startswith("("):
        return Unparseable(f"{version!r} is not a recognisable version or range")
    for word in words[1:]:
        if not is_version_word(word):
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


def _single(comparator: str, raw: str) -> ReadResult:
    """One ``<comparator> <version>``, the version in any of the shapes of the docstring."""
    comparator = "=" if comparator == "==" else comparator
    text = _without_label(raw)
    words = text.split()
    if len(words) > 1 and all(_BRANCH_FIX_RE.fullmatch(word) for word in words):
        return _branch_fixes(comparator, text, words)
    alternate = _ALTERNATE_NAME_RE.fullmatch(text)
    if alternate and _VERSION_START_RE.match(alternate["b"]):
        return _alternate_names(comparator, alternate["a"], alternate["b"])
    family = _wildcard(comparator, text)
    if family is not None:
        return family
    dashed = _V_DASH_RANGE_RE.fullmatch(text)
    if dashed and comparator == "=":
        return _bounded(dashed["a"], True, dashed["b"], True)
    checked = _checked_version(text)
    if isinstance(checked, Unparseable):
        return checked
    return Reading(_constraint_range(comparator, checked[1]))


def _family_start(numbers: list[int]) -> str:
    """The lowest key of the versions that start with ``numbers`` (``2.4`` -> ``2.4.dev``)."""
    key = version_key(".".join(map(str, numbers)) + ".dev")
    assert key is not None
    return key


def _family(comparator: str, low: str, high: str) -> VersionRange:
    """``comparator`` applied to a family of versions, ``low`` (inclusive) to ``high``."""
    below_low = VersionRange((Interval(None, False, low, False),))
    below_high = VersionRange((Interval(None, False, high, False),))
    inside = below_high.difference(below_low)
    return {
        "<": below_low,
        "<=": below_high,
        ">": below_high.complement(),
        ">=": below_low.complement(),
        "=": inside,
        "!=": inside.complement(),
    }[comparator]


def _wildcard(comparator: str, text: str) -> ReadResult | None:
    """A version with a wildcard read as the family it names; None if it has none."""
    digits = _DIGIT_WILDCARD_RE.fullmatch(text)
    if digits:
        lead, width = digits["lead"], len(digits["width"])
        low, high = version_key(lead + "0" * width), version_key(f"{int(lead) + 1}" + "0" * width)
        assert low is not None and high is not None
        return Reading(_family(comparator, low, high))
    if "*" not in text and not WILDCARD_PART_RE.search(text):
        return None
    dotted = _DOTTED_WILDCARD_RE.fullmatch(text)
    if dotted is None:
        return Unparseable(
            f"{text!r}: a wildcard is only understood after a version number, as in 7.x or 2.4.*"
        )
    numbers = [int(part) for part in dotted["prefix"].split(".")]
    low = _family_start(numbers)
    high = _family_start([*numbers[:-1], numbers[-1] + 1])
    if _ALL_WILDCARDS_RE.fullmatch(dotted["rest"]):
        return Reading(_family(comparator, low, high))
    # "< V2.X.5": below x.5 in each 2.x branch; the whole family holds every such version.
    whole = {"<": "<=", ">": ">="}.get(comparator, comparator)
    if whole == "!=":
        return Unparseable(f"'!= {text}' excludes versions in every branch; list them instead")
    condition = (
        f"only versions matching {text}"
        if whole == "="
        else f"only versions {comparator} {text} within their own branch"
    )
    return Reading(_family(whole, low, high), caveat=condition)


def _branch_fixes(comparator: str, text: str, words: list[str]) -> ReadResult:
    """``<v12.011 v11.013 v10.014``: one fixed version per branch (see the docstring)."""
    if comparator not in ("<", "<="):
        return Unparseable(
            f"{text!r}: a list of versions is only understood after '<' or '<=', one fixed"
            " version per branch"
        )
    inclusive = comparator == "<="
    parsed = sorted((_parsed(word) for word in words), key=lambda version: version[1])
    lowest_text, lowest_key, _numbers = parsed[0]
    intervals = [Interval(None, False, lowest_key, inclusive)]
    previous = lowest_key
    for version_text, key, numbers in parsed[1:]:
        starts = (_family_start(numbers[:depth]) for depth in range(1, len(numbers)))
        start = next((start for start in starts if start > previous), None)
        if start is None:
            return Unparseable(
                f"{text!r}: cannot tell which branch {version_text!r} fixes; write one"
                " range per branch"
            )
        intervals.append(Interval(start, True, key, inclusive))
        previous = key
    return Reading(VersionRange(tuple(intervals)))


def _parsed(word: str) -> tuple[str, str, list[int]]:
    """A dotted version's text, key and leading numbers."""
    version = parse_version(word)
    assert version is not None
    numbers = []
    for segment in version.segments:
        if segment.kind is not SegmentKind.NUMBER:
            break
        numbers.append(int(segment.value))
    return word, version.key, numbers


def _first_number(text: str) -> int | None:
    version = parse_version(text)
    if version is None or not version.segments:
        return None
    first = version.segments[0]
    return int(first.value) if first.kind is SegmentKind.NUMBER else None


def _is_year(number: int | None) -> bool:
    return number is not None and _YEARS[0] <= number <= _YEARS[1]


def _alternate_names(comparator: str, name: str, other: str) -> ReadResult:
    """``< 2020 (4.2.0)``: two names of one release (see the module docstring)."""
    first, second = _single(comparator, name), _single(comparator, other)
    if isinstance(first, Unparseable):
        return first
    if isinstance(second, Unparseable):
        return second
    if first.range == second.range or comparator == "=":
        # The same versions, or one release under either name: both are exact.
        return _either(first, second)
    if comparator == "!=":
        return Unparseable(f"'!= {name} ({other})': write the release under one name")
    numbers = _first_number(name), _first_number(other)
    if _is_year(numbers[0]) != _is_year(numbers[1]) and all(
        n is not None and (n < _YEARS[0] or _is_year(n)) for n in numbers
    ):
        year, number = (first, second) if _is_year(numbers[0]) else (second, first)
        return Reading(
            number.range.difference(_FROM_YEARS).union(year.range.intersection(_FROM_YEARS)),
            join_caveats(first.caveat, second.caveat),
        )
    return Reading(
        first.range.union(second.range),
        join_caveats(
            first.caveat,
            second.caveat,
            f"{name.strip()} and {other.strip()} name one release: a version between the two"
            " may or may not be affected",
        ),
    )


def _marked(raw: str) -> tuple[str, bool]:
    """A bound without its ``(including)``/``(excluding)`` marker, and whether it is included
    (by default it is)."""
    match = _BOUND_MARKER_RE.search(raw)
    if match is None:
        return raw, True
    return raw[: match.start()], match["marker"].lower().startswith("incl")


def _two_sided(raw_lower: str, raw_upper: str) -> ReadResult:
    lower, lower_inclusive = _marked(raw_lower)
    upper, upper_inclusive = _marked(raw_upper)
    return _bounded(lower, lower_inclusive, upper, upper_inclusive)


def _bounded(lower: str, lower_inclusive: bool, upper: str, upper_inclusive: bool) -> ReadResult:
    start = _single(">=" if lower_inclusive else ">", lower)
    if isinstance(start, Unparseable):
        return start
    end = _single("<=" if upper_inclusive else "<", upper)
    if isinstance(end, Unparseable):
        return end
    result = _both(start, end)
    if result.range.is_empty:
        return Unparseable(f"the range start {lower.strip()!r} is after its end {upper.strip()!r}")
    return result


def _parse_conjunction(body: str) -> ReadResult:
    pieces = _COMPARATOR_RE.split(body)
    if pieces[0].strip():
        return Unparseable(f"{body!r}: unexpected text before the first comparator")
    result = Reading(VersionRange.ALL)
    for comparator, raw in zip(pieces[1::2], pieces[2::2], strict=True):
        single = _single(comparator, _AND_SEPARATOR_RE.sub("", raw))
        if isinstance(single, Unparseable):
            return single
        result = _both(result, single)
    return result


def _parse_pipes(body: str) -> ReadResult:
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
        return Reading(build_range(constraints))
    except VersRangeError as error:
        return Unparseable(f"{body!r}: {error}")


def _parse_alternatives(body: str) -> ReadResult:
    result = Reading(VersionRange.EMPTY)
    for alternative in (a.strip() for a in body.split("||")):
        if not alternative:
            return Unparseable(f"{body!r} has an empty alternative")
        parsed = parse_range_body(alternative)
        if isinstance(parsed, Unparseable):
            return parsed
        result = _either(result, parsed)
    return result


def _parse_list(body: str) -> ReadResult:
    result = Reading(VersionRange.EMPTY)
    for item in _LIST_SEPARATOR_RE.split(body):
        single = _single("=", item)
        if isinstance(single, Unparseable):
            return single
        result = _either(result, single)
    return result
