"""The front door for a version range or version text: what it means, or why it cannot be read.

:func:`read_range` takes whatever names a target's versions - a ``vers:`` string, the
source's own words (``<= 2014 R2 SP1``, ``All versions prior to 4.2``), a CSAF
``product_version`` - and returns a :class:`~vendors.matching.freetext.Reading`: intervals
that mean exactly what the text says, plus the condition the text carries (its caveat), or
:class:`~vendors.matching.freetext.Unparseable` with a reason an editor can act on. Target
compilation, the editor's live check, the data migrations and the tests all read texts here
and nowhere else, so that what an editor sees is what publishing stores.

The steps, in order:

1. The text is cleaned: NFKC, dashes, the signs ``≥ ≤ ≠`` and ``=>``, runs of spaces. An
   underscore next to a letter or a comparator separates words (``<V4.12_installed_on_XY``);
   one between two digits stays part of the version (``V0209_0105``).
2. A ``vers:`` string loses a condition after its constraints (step 6), gets back the ``|``
   an advisory left out (``vers:all/>=V2.10<V3.20``), and goes to the strict vers parser.
3. A text that names no version (``No version``, ``n/a``) and a serial-number or date
   condition (``serial numbers from 2212``, ``firmware built before 2021-03-01``) are refused:
   nothing in them can be compared with an inventory's versions.
4. ``All <component> versions (of)`` is taken off; alone, it means every version.
5. A label before the version: ``FW``, ``firmware`` or ``software`` belong to the version
   (``FW12`` is 12); any other label before a comparator names what the range applies to
   (``NMC3 <= 6.9.6``) and becomes the caveat ``applies to NMC3``.
6. From the first word that is neither a range word (``prior to``, ``and later``, ``between``
   ...) nor part of a version, the rest is the condition, kept as the caveat
   (``installed on XY200 devices``, ``in connection with Tool <=V2.0``). Should the condition
   be followed by more versions of the product (``(x64) and >= 5.0``), the text is refused.
7. The range part is read by the grammar (:mod:`vendors.matching.freetext`).

Prose therefore never reaches a version key: a version's words are only numbers and
:data:`~vendors.matching.freetext.VERSION_WORDS`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from vendors.matching.freetext import (
    ALL_PHRASES,
    DATE_RE,
    Reading,
    ReadResult,
    Unparseable,
    is_version_word,
    join_caveats,
    parse_range_body,
)
from vendors.matching.ranges import Interval, VersionRange
from vendors.matching.vers import VersRangeError, parse_vers
from vendors.matching.versions import describe_key

__all__ = [
    "ReadResult",
    "Reading",
    "Unparseable",
    "describe_range",
    "describe_reading",
    "read_range",
    "with_caveat",
]

_NO_VERSION = frozenset(
    {"no version", "no versions", "none", "n/a", "na", "-", "not applicable", "unknown"}
)
_SERIAL_OR_DATE_RE = re.compile(
    r"\b(?:serial|s/n|sn|manufactured|manufacturing|production|produced|date\s+code|built)\b",
    re.IGNORECASE,
)
# "All versions", "affected releases of", and with the versioned part named in one word of
# letters: "All BIOS versions". A word with a digit names a model (NMC3): a label, kept.
_PREFIX_RE = re.compile(
    r"^(?P<all>(?:all|any|every)\s+)?(?:affected\s+)?(?P<part>[a-z][a-z-]*\s+)?(?:versions?|releases?)"
    r"\b\s*(?:of\b\s*)?",
    re.IGNORECASE,
)
_WORD_UNDERSCORE_RE = re.compile(r"_(?!\d)|(?<!\d)_")
_COMPARATOR_SPACING_RE = re.compile(r"\s*(>=|<=|!=|==|\|\||[<>=|,;])\s*")
_PAREN_SPACING_RE = re.compile(r"\s*(\([^()]*\))\s*")
_TOKEN_RE = re.compile(r"\([^()]*\)|[^\s()]+|[()]")
_MISSING_BAR_RE = re.compile(r"(?<=[^|<>=!])(?=>=|<=|!=|<|>|=)")
_GLUED_LABEL_RE = re.compile(r"^(?:fw|sw)\d", re.IGNORECASE)

_COMPARATORS = frozenset({"<", "<=", ">", ">=", "=", "==", "!="})
_CONNECTORS = frozenset({"and", "or", ",", ";", "&", "&&", "|", "||", "-", "to", "of", "at"})
_RANGE_WORDS = frozenset(
    {
        *_CONNECTORS,
        "all",
        "any",
        "every",
        "affected",
        "version",
        "versions",
        "release",
        "releases",
        "prior",
        "before",
        "earlier",
        "than",
        "older",
        "lower",
        "less",
        "below",
        "up",
        "including",
        "excluding",
        "inclusive",
        "exclusive",
        "but",
        "not",
        "most",
        "least",
        "from",
        "since",
        "starting",
        "after",
        "later",
        "newer",
        "greater",
        "higher",
        "above",
        "through",
        "thru",
        "between",
        "*",
    }
)
_LABEL_WORDS = frozenset({"fw", "firmware", "sw", "software"})
_MARKER_RE = re.compile(r"\((?:including|inclusive|incl\.?|excluding|exclusive|excl\.?)\)", re.I)

# What a token is, for finding where the range ends and the condition starts.
_COMPARATOR, _RANGE, _VERSION, _PROSE = "comparator", "range", "version", "prose"


# Advisories repeat their range texts (one per product of a family); readings are immutable.
@lru_cache(maxsize=4096)
def read_range(text: str) -> ReadResult:
    """Read a version range or version text (see the module docstring)."""
    cleaned = _clean(text)
    if not cleaned:
        return Unparseable("the range text is empty")
    if cleaned.lower().startswith("vers:"):
        return _non_empty(_read_vers(cleaned), text)
    lowered = cleaned.lower()
    if lowered in _NO_VERSION:
        return Unparseable(f"{text.strip()!r} names no version; enter the affected versions")
    if lowered in ALL_PHRASES:
        return Reading(VersionRange.ALL)
    prefix = _PREFIX_RE.match(cleaned)
    # "All versions" alone is every version; "all supported releases" may be fewer.
    every = prefix is not None and prefix["all"] is not None and prefix["part"] is None
    rest = cleaned[prefix.end() :] if prefix is not None and prefix.end() else cleaned
    tokens = _tokens(rest)
    split = _split(tokens, every=every, text=cleaned)
    # A serial number or date in place of the version (not in a condition after one).
    stands_for_version = cleaned if isinstance(split, Unparseable) else " ".join(split[:2])
    if _SERIAL_OR_DATE_RE.search(stands_for_version) or DATE_RE.search(stands_for_version):
        return Unparseable(
            f"{cleaned!r} is a serial-number or date condition, which cannot be compared with"
            " versions; enter the versions it stands for"
        )
    if isinstance(split, Unparseable):
        return split
    label, body, condition = split
    if not body:
        return Reading(VersionRange.ALL, join_caveats(_applies_to(label), condition))
    parsed = parse_range_body(body)
    if isinstance(parsed, Unparseable):
        return parsed
    caveat = join_caveats(_applies_to(label), parsed.caveat, condition)
    return _non_empty(Reading(parsed.range, caveat), text)


def _applies_to(label: str) -> str:
    return f"applies to {label}" if label else ""


def _clean(text: str) -> str:
    cleaned = unicodedata.normalize("NFKC", text)
    for dash in ("\u2013", "\u2014", "\u2212"):
        cleaned = cleaned.replace(dash, " - ")
    cleaned = cleaned.replace("\u2265", ">=").replace("\u2264", "<=").replace("\u2260", "!=")
    cleaned = cleaned.replace("=>", ">=").replace("=<", "<=")
    cleaned = _WORD_UNDERSCORE_RE.sub(" ", cleaned)
    return " ".join(cleaned.split()).rstrip(".;,").strip()


def _non_empty(result: ReadResult, text: str) -> ReadResult:
    if isinstance(result, Reading) and result.range.is_empty:
        return Unparseable(f"{text.strip()!r} excludes every version")
    return result


def _tokens(text: str) -> list[str]:
    """Comparators, ``|``, parenthesised groups and words, each one token."""
    spaced = _COMPARATOR_SPACING_RE.sub(r" \1 ", text)
    spaced = _PAREN_SPACING_RE.sub(r" \1 ", spaced)
    return _TOKEN_RE.findall(spaced)


def _kinds(tokens: list[str]) -> list[str]:
    kinds = [_kind(token) for token in tokens]
    for index, token in enumerate(tokens):
        following = kinds[index + 1] if index + 1 < len(kinds) else None
        previous = kinds[index - 1] if index else None
        if token.lower() in _LABEL_WORDS:
            # "firmware 05": the label belongs to the version beside it; alone, it is prose.
            kinds[index] = _VERSION if _VERSION in (following, previous) else _PROSE
        elif len(token) == 1 and token.isalpha() and previous == _COMPARATOR:
            # "<= C": a letter-only revision, which the grammar refuses with its reason.
            kinds[index] = _VERSION
    return kinds


def _kind(token: str) -> str:
    lowered = token.lower()
    if lowered in _COMPARATORS:
        return _COMPARATOR
    if lowered in _RANGE_WORDS or _MARKER_RE.fullmatch(token):
        return _RANGE
    if token.startswith("("):
        inner = token[1:-1].split()
        return _VERSION if inner and is_version_word(inner[0]) else _PROSE
    if is_version_word(token) or _GLUED_LABEL_RE.match(token):
        return _VERSION
    return _PROSE


def _split(tokens: list[str], *, every: bool, text: str) -> tuple[str, str, str] | Unparseable:
    """The label before the range, the range part, and the condition after it."""
    kinds = _kinds(tokens)
    start = next((i for i, kind in enumerate(kinds) if kind != _PROSE), None)
    if start is None:
        if every:
            return "", "", " ".join(tokens)
        return Unparseable(f"{text!r} is not a recognisable version or range")
    label = " ".join(tokens[:start])
    if start:
        # "NMC3 <= 6.9.6", "NMC3 versions <= 6.9.6": a label names what the range applies to.
        while start < len(tokens) - 1 and tokens[start].lower() in ("version", "versions"):
            start += 1
        if kinds[start] != _COMPARATOR:
            return Unparseable(f"{text!r} is not a recognisable version or range")
    end = next((i for i in range(start, len(kinds)) if kinds[i] == _PROSE), len(kinds))
    body, condition = tokens[start:end], tokens[end:]
    if condition and kinds[end - 1] == _COMPARATOR:
        return Unparseable(f"{condition[0]!r} is not a recognisable version")
    if condition and _VERSION not in kinds[start:end]:
        # "all supported releases": prose that narrows "all" is not a condition on versions.
        return Unparseable(f"{text!r} is not a recognisable version or range")
    while condition and body and body[-1].lower() in _CONNECTORS:
        body.pop()
    problem = _condition_problem(condition, kinds[end:])
    if problem:
        return Unparseable(f"{text!r}: {problem}")
    return label, " ".join(body), " ".join(condition)


def _condition_problem(tokens: list[str], kinds: list[str]) -> str:
    """Why a condition cannot be kept as a caveat: it goes on to name more versions of the
    product (``(x64) and >= 5.0``), which the range would then silently leave out."""
    for index in range(1, len(tokens)):
        joined = tokens[index - 1].lower() in _CONNECTORS
        if tokens[index] in ("|", "||") or (joined and kinds[index] in (_COMPARATOR, _VERSION)):
            return (
                f"more versions follow the condition {' '.join(tokens[:index])!r}; write the"
                " range first and the condition after it"
            )
    return ""


def _read_vers(text: str) -> ReadResult:
    head, slash, constraints = text.partition("/")
    caveat = ""
    if slash:
        tokens = _tokens(constraints)
        kinds = _kinds(tokens)
        end = next((i for i, kind in enumerate(kinds) if kind == _PROSE), len(kinds))
        problem = _condition_problem(tokens[end:], kinds[end:])
        if problem:
            return Unparseable(f"invalid vers string {text!r}: {problem}")
        caveat = " ".join(tokens[end:])
        # ">=V2.10<V3.20" is two constraints whose '|' was left out.
        constraints = _MISSING_BAR_RE.sub("|", "".join(tokens[:end]))
    try:
        return Reading(parse_vers(f"{head}{slash}{constraints}"), caveat)
    except VersRangeError as error:
        return Unparseable(f"invalid vers string: {error}")


def describe_reading(reading: Reading) -> str:
    """How a reading is shown to people: ``≥ 7.80 and < 9.40``, then the caveat if any."""
    return with_caveat(describe_range(reading.range), reading.caveat)


def with_caveat(shown: str, caveat: str) -> str:
    """What a target covers (``all versions``) followed by its caveat, if it has one."""
    return f"{shown} — condition: {caveat}" if caveat else shown


def describe_range(version_range: VersionRange) -> str:
    """A short human-readable rendering, e.g. ``≥ 1.0 and < 2.0 or = 3.1``.

    Versions are shown in canonical form (keys are lossy), so keep the original advisory
    text for anything an analyst must quote. The first key of a release family (``8.dev``)
    is shown as the family (``< 8.x``) where it is a bound that includes the family.
    """
    if version_range.is_all:
        return "all versions"
    if version_range.is_empty:
        return "no versions"
    return " or ".join(_describe_interval(i) for i in version_range.intervals)


_FAMILY_START_RE = re.compile(r"(\d+(?:\.\d+)*)-dev")


def _bound(key: str, *, family: bool) -> str:
    shown = describe_key(key)
    match = _FAMILY_START_RE.fullmatch(shown) if family else None
    return f"{match.group(1)}.x" if match else shown


def _describe_interval(interval: Interval) -> str:
    if interval.is_point and interval.lower is not None:
        return f"= {describe_key(interval.lower)}"
    parts = []
    if interval.lower is not None:
        sign = "≥" if interval.lower_inclusive else ">"
        parts.append(f"{sign} {_bound(interval.lower, family=interval.lower_inclusive)}")
    if interval.upper is not None:
        sign = "≤" if interval.upper_inclusive else "<"
        parts.append(f"{sign} {_bound(interval.upper, family=not interval.upper_inclusive)}")
    return " and ".join(parts)
