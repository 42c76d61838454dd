"""One universal version ordering, encoded as a key that sorts bytewise.

Advisories and inventories mix semver, PEP 440, Debian-ish strings, dates and
vendor strings such as ``2014 R2 SP1``.  Range checks have to run inside SQL,
so every version is turned into a *key*: a printable-ASCII string whose plain
bytewise order (``COLLATE "C"`` on PostgreSQL, ``BINARY`` on SQLite) is the
version order.  :func:`compare_versions` compares parsed versions structurally
and the tests check that it always agrees with the keys.

Parsing
    The text is NFKC-normalised and case-folded.  A leading ``v``/``ver``/
    ``version`` or ``r``/``rel``/``release`` before a digit is dropped (``V05.00``,
    firmware ``R1.30.0``), as is build metadata after ``+``.
    A leading ``N!`` (PEP 440) or ``N:`` (Debian) is the epoch.  The rest is
    split into runs of digits and runs of ASCII letters; everything else is a
    separator, so ``1.0-1``, ``1.0.1`` and ``1_0_1`` are the same version.
    The first run must be a number, otherwise there is no key (``""``,
    ``"-"``, ``"unknown"``, ``"n/a"``); so is any text containing the
    wildcards ``*`` or ``?``, or an ``x`` standing alone as a part (``7.x``,
    ``2.X.5``): a wildcard names many versions, not one.

Segments, lowest first
    ``PRE``  a pre-release tag: dev/snapshot < alpha/a < beta/b < pre/preview
             < rc/c.  The single letters count only when a number follows
             (``1.0a1``), because a bare trailing letter is a patch level
             (OpenSSL ``1.0.2a`` > ``1.0.2``).
    ``END``  the end of the version: a release sorts after its pre-releases.
    ``WORD`` any other letters (post, sp, patch, p, r, update, u, build,
             hotfix, fix, Debian ``2.3x`` ...), alphabetically; they sort after
             the release but before a further number (``1.0.post1`` < ``1.0.1``).
             ``upd`` is read as ``update`` (``2017 Upd 2`` == ``2017 Update 2``).
    ``NUM``  a number, by value.
    Zeros at the end of a numeric run are dropped, so ``1`` == ``1.0`` ==
    ``1.0.0`` and ``1.0-rc1`` == ``1-rc1``.  A trailing ``final``/``ga`` is
    ignored and ``service pack`` is read as ``sp``.

Key encoding
    ``<epoch><segments>f`` where a number ``n`` is written ``LLdigits``
    (``LL`` = two-digit length, no leading zeros), the epoch is such a number,
    and each segment is ``a<rank>`` (PRE, rank 0-4), ``l<letters>.`` (WORD),
    ``n<number>`` (NUM); ``f`` is END.  The type letters sort a < f < l < n,
    which is the segment order above; every segment is self-delimiting and
    the key always ends with ``f``, so no key is a proper prefix of another
    and bytewise comparison is segment-by-segment comparison.
    Example: ``1.10.2-rc1`` -> ``010n011n0210n012a4n011f``.

Schemes
    Everything above is the universal default.  ``scheme`` (a purl/vers type)
    changes two things where a package ecosystem needs it: for ``deb``,
    ``rpm``, ``alpm``, ``apk`` and ``pypi`` a ``+`` suffix is part of the
    version (``2.4.47-2+deb10u1`` is the Debian security fix, after
    ``2.4.47-2``; PEP 440 local versions sort after the public one), and for
    ``deb``, ``rpm`` and ``alpm`` a ``~`` is a pre-release marker that sorts
    before everything (``1.0~git1`` < ``1.0``).  Keys are only comparable
    with keys computed for the same scheme.

Known limits: semver's rule that numeric pre-release identifiers sort below
alphanumeric ones is not modelled (``1.0.0-alpha.beta`` sorts before
``1.0.0-alpha``); Debian's "letters sort before other characters" rule is
approximated by the separator-free segment order above.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import IntEnum
from functools import total_ordering

KEY_MAX_LENGTH = 255
"""Keys never exceed this, so they fit a ``varchar(255)`` column."""

_MAX_INPUT_LENGTH = 200
_MAX_DIGITS = 99  # the length prefix has two digits

_END_RANK = 1  # between PRE and WORD, see the module docstring


class SegmentKind(IntEnum):
    """Kinds of version segment; the values are their sort order."""

    PRE = 0
    WORD = 2
    NUMBER = 3


_KIND_LETTER = {SegmentKind.PRE: "a", SegmentKind.WORD: "l", SegmentKind.NUMBER: "n"}
_END_LETTER = "f"
_WORD_TERMINATOR = "."  # sorts below every letter, so "b" < "ba"

PRE_RELEASE_NAMES = ("dev", "alpha", "beta", "pre", "rc")
"""Canonical pre-release tag names, indexed by rank."""

_PRE_RELEASE_RANKS = {
    "dev": 0,
    "snapshot": 0,
    "alpha": 1,
    "a": 1,
    "beta": 2,
    "b": 2,
    "pre": 3,
    "preview": 3,
    "rc": 4,
    "c": 4,
}
_SINGLE_LETTER_PRE = frozenset({"a", "b", "c"})
_IGNORED_TRAILING_WORDS = frozenset({"final", "ga"})
# Abbreviations vendors use for the same word; the key holds the full word.
_WORD_SYNONYMS = {"upd": "update"}

_PREFIX_RE = re.compile(r"^(?:version|release|ver\.?|rel\.?|v|r)\s*(?=\d)")
_EPOCH_RE = re.compile(r"^(\d+)[!:](?=\d)")
_TOKEN_RE = re.compile(r"[0-9]+|[a-z]+")
_TOKEN_WITH_TILDE_RE = re.compile(r"[0-9]+|[a-z]+|~")
_TILDE = "~"
_PLUS_IS_PART_OF_VERSION = frozenset({"deb", "rpm", "alpm", "apk", "pypi"})
_TILDE_IS_PRE_RELEASE = frozenset({"deb", "rpm", "alpm"})
_SERVICE_PACK_RE = re.compile(r"service[\s_-]*pack")
WILDCARD_PART_RE = re.compile(r"(?:^|[.\s_])x(?:$|[.\s_])", re.IGNORECASE)
"""An ``x`` standing alone as a part of a version: the wildcard of ``7.x`` or ``2.X.5``."""


class InvalidVersion(ValueError):
    """Raised when a version string has no usable ordering."""


@dataclass(frozen=True)
class Segment:
    """One parsed piece of a version: a number, a pre-release rank or a word."""

    kind: SegmentKind
    value: int | str

    def encode(self) -> str:
        """Return this segment's part of the sortable key."""
        letter = _KIND_LETTER[self.kind]
        if self.kind is SegmentKind.WORD:
            return f"{letter}{self.value}{_WORD_TERMINATOR}"
        if self.kind is SegmentKind.PRE:
            return f"{letter}{self.value}"
        return letter + _encode_number(int(self.value))


def _encode_number(number: int) -> str:
    digits = str(number)
    return f"{len(digits):02d}{digits}"


@total_ordering
@dataclass(frozen=True, eq=False)
class Version:
    """A parsed version; equality and order follow the universal scheme."""

    text: str
    epoch: int
    segments: tuple[Segment, ...]

    @property
    def key(self) -> str:
        """The bytewise-sortable key (see the module docstring)."""
        body = "".join(segment.encode() for segment in self.segments)
        return _encode_number(self.epoch) + body + _END_LETTER

    def sort_tuple(self) -> tuple[int, tuple[tuple[int, int | str], ...]]:
        """Structural sort key, independent of the string encoding."""
        parts = tuple((int(s.kind), s.value) for s in self.segments)
        return self.epoch, (*parts, (_END_RANK, 0))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.sort_tuple() == other.sort_tuple()

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.sort_tuple() < other.sort_tuple()

    def __hash__(self) -> int:
        return hash(self.sort_tuple())


def parse_version(text: str, *, scheme: str | None = None) -> Version | None:
    """Parse ``text`` (see the module docstring), or return None if it is unusable."""
    cleaned = unicodedata.normalize("NFKC", text).strip().casefold()
    if (
        not cleaned
        or len(cleaned) > _MAX_INPUT_LENGTH
        or "*" in cleaned
        or "?" in cleaned
        or WILDCARD_PART_RE.search(cleaned)
    ):
        return None
    if scheme not in _PLUS_IS_PART_OF_VERSION:
        cleaned = cleaned.split("+", 1)[0].strip()
    cleaned = _PREFIX_RE.sub("", cleaned, count=1)
    epoch = 0
    epoch_match = _EPOCH_RE.match(cleaned)
    if epoch_match:
        epoch_digits = epoch_match.group(1).lstrip("0") or "0"
        if len(epoch_digits) > _MAX_DIGITS:
            return None
        epoch = int(epoch_digits)
        cleaned = cleaned[epoch_match.end() :]
    token_re = _TOKEN_WITH_TILDE_RE if scheme in _TILDE_IS_PRE_RELEASE else _TOKEN_RE
    tokens = token_re.findall(_SERVICE_PACK_RE.sub("sp", cleaned))
    if not tokens or not tokens[0].isdigit():
        return None
    segments = _segments_from_tokens(tokens)
    if segments is None:
        return None
    version = Version(text=text, epoch=epoch, segments=segments)
    if len(version.key) > KEY_MAX_LENGTH:
        return None
    return version


def _segments_from_tokens(tokens: list[str]) -> tuple[Segment, ...] | None:
    segments: list[Segment] = []
    for index, token in enumerate(tokens):
        if token.isdigit():
            digits = token.lstrip("0") or "0"
            if len(digits) > _MAX_DIGITS:
                return None
            segments.append(Segment(SegmentKind.NUMBER, int(digits)))
            continue
        _drop_trailing_zeros(segments)
        if token == _TILDE:
            segments.append(Segment(SegmentKind.PRE, 0))
            continue
        next_is_number = index + 1 < len(tokens) and tokens[index + 1].isdigit()
        rank = _PRE_RELEASE_RANKS.get(token)
        if rank is not None and (token not in _SINGLE_LETTER_PRE or next_is_number):
            segments.append(Segment(SegmentKind.PRE, rank))
        else:
            segments.append(Segment(SegmentKind.WORD, _WORD_SYNONYMS.get(token, token)))
    _drop_trailing_zeros(segments)
    # Repeat so "1.0.final.0" and "1 final ga" both end up as plain "1".
    while segments and segments[-1].value in _IGNORED_TRAILING_WORDS:
        segments.pop()
        _drop_trailing_zeros(segments)
    return tuple(segments)


def _drop_trailing_zeros(segments: list[Segment]) -> None:
    # Only the current numeric run is affected: an earlier run already lost
    # its zeros when the word that ended it was appended.
    while segments and segments[-1].kind is SegmentKind.NUMBER and segments[-1].value == 0:
        segments.pop()


def version_key(version: str, *, scheme: str | None = None) -> str | None:
    """Return the bytewise-sortable key of ``version``, or None if it is unusable.

    ``scheme`` is an optional purl/vers type; see "Schemes" in the module docstring.
    """
    parsed = parse_version(version, scheme=scheme)
    return parsed.key if parsed is not None else None


def compare_versions(a: str, b: str, *, scheme: str | None = None) -> int:
    """Compare two versions: -1 if a < b, 0 if equal, 1 if a > b.

    Raises :class:`InvalidVersion` when either side has no key, because an
    unusable version has no place in the order.
    """
    parsed_a = _parse_or_raise(a, scheme)
    parsed_b = _parse_or_raise(b, scheme)
    tuple_a, tuple_b = parsed_a.sort_tuple(), parsed_b.sort_tuple()
    return (tuple_a > tuple_b) - (tuple_a < tuple_b)


def _parse_or_raise(text: str, scheme: str | None) -> Version:
    parsed = parse_version(text, scheme=scheme)
    if parsed is None:
        raise InvalidVersion(f"{text!r} is not a comparable version")
    return parsed


_KEY_NUMBER_RE = re.compile(r"(\d\d)")


def describe_key(key: str) -> str:
    """Render a key back as a canonical, human-readable version.

    Keys are lossy (separators, case and trailing zeros are gone), so this is
    for display only.  A string that is not a well-formed key is returned as is.
    """
    decoded = _decode_key(key)
    if decoded is None:
        return key
    epoch, segments = decoded
    text = ""
    previous: SegmentKind | None = None
    for segment in segments:
        if segment.kind is SegmentKind.NUMBER:
            separator = "." if previous is SegmentKind.NUMBER else ""
            text += f"{separator}{segment.value}"
        elif segment.kind is SegmentKind.PRE:
            text += f"-{PRE_RELEASE_NAMES[int(segment.value)]}"
        else:
            text += f"-{segment.value}"
        previous = segment.kind
    if not segments or segments[0].kind is not SegmentKind.NUMBER:
        text = "0" + text
    return (f"{epoch}!" if epoch else "") + text


def _decode_key(key: str) -> tuple[int, list[Segment]] | None:
    position = 0

    def read_number() -> int | None:
        nonlocal position
        length_text = key[position : position + 2]
        if not _KEY_NUMBER_RE.fullmatch(length_text):
            return None
        length = int(length_text)
        digits = key[position + 2 : position + 2 + length]
        if len(digits) != length or not digits.isdigit():
            return None
        position += 2 + length
        return int(digits)

    epoch = read_number()
    if epoch is None:
        return None
    segments: list[Segment] = []
    while position < len(key):
        letter = key[position]
        position += 1
        if letter == _END_LETTER:
            return (epoch, segments) if position == len(key) else None
        if letter == "n":
            number = read_number()
            if number is None:
                return None
            segments.append(Segment(SegmentKind.NUMBER, number))
        elif letter == "a":
            rank_text = key[position : position + 1]
            if not rank_text.isdigit() or int(rank_text) >= len(PRE_RELEASE_NAMES):
                return None
            position += 1
            segments.append(Segment(SegmentKind.PRE, int(rank_text)))
        elif letter == "l":
            end = key.find(_WORD_TERMINATOR, position)
            if end <= position:
                return None
            segments.append(Segment(SegmentKind.WORD, key[position:end]))
            position = end + 1
        else:
            return None
    return None
