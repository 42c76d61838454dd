"""CPE 2.3 formatted strings: parsing, NISTIR 7696 name matching, NVD version bounds.

A formatted string is ``cpe:2.3:`` followed by 11 colon-separated attributes
(part, vendor, product, version, update, edition, language, sw_edition,
target_sw, target_hw, other).  In each attribute ``*`` alone is ANY, ``-``
alone is NA, ``\\`` quotes the next character, and unquoted ``*`` / ``?`` are
wildcards that may only appear at the start or end of a value.  Values are
compared case-insensitively, so they are stored lowercased and unquoted.

Two leniencies for real-world inventories: unquoted punctuation other than
``:``, ``*``, ``?`` and ``\\`` (e.g. ``c++``) is taken literally, and any
character may be quoted.  Whitespace and non-ASCII are errors.

Wildcards follow the NISTIR 7696 matching algorithm: a leading or trailing
``*`` matches any number of characters; a run of n ``?`` matches up to n
characters.  A *target* that contains wildcards makes the comparison
undefined, which never counts as a match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from enum import Enum

from vendors.matching.ranges import VersionRange, make_interval
from vendors.matching.versions import version_key

PREFIX = "cpe:2.3:"
ATTRIBUTE_NAMES = (
    "part",
    "vendor",
    "product",
    "version",
    "update",
    "edition",
    "language",
    "sw_edition",
    "target_sw",
    "target_hw",
    "other",
)
_PARTS = frozenset({"a", "o", "h"})
_PLAIN = re.compile(r"[a-z0-9_.-]")


class CpeError(ValueError):
    """A string that is not a valid CPE 2.3 formatted string, or a bad bound."""


class ValueKind(Enum):
    """Whether an attribute is the logical ANY, the logical NA, or a value."""

    ANY = "any"
    NA = "na"
    VALUE = "value"


class Relation(Enum):
    """NISTIR 7696 relation of a source to a target (attribute or whole name)."""

    EQUAL = "equal"
    SUPERSET = "superset"
    SUBSET = "subset"
    DISJOINT = "disjoint"
    UNDEFINED = "undefined"


@dataclass(frozen=True)
class CpeValue:
    """One attribute: ANY, NA, or a lowercase literal with optional edge wildcards.

    ``prefix`` and ``suffix`` hold the unquoted wildcards (``""``, ``"*"`` or a
    run of ``"?"``); ``literal`` is the unquoted text between them.
    """

    kind: ValueKind
    literal: str = ""
    prefix: str = ""
    suffix: str = ""

    @property
    def is_any(self) -> bool:
        """Whether this is the logical value ANY."""
        return self.kind is ValueKind.ANY

    @property
    def is_na(self) -> bool:
        """Whether this is the logical value NA (not applicable)."""
        return self.kind is ValueKind.NA

    @property
    def has_wildcards(self) -> bool:
        """Whether the value contains unquoted ``*`` or ``?``."""
        return bool(self.prefix or self.suffix)

    @property
    def is_plain(self) -> bool:
        """Whether this is a literal value without wildcards."""
        return self.kind is ValueKind.VALUE and not self.has_wildcards

    def to_fs(self) -> str:
        """Bind back to formatted-string syntax (quoting special characters)."""
        if self.kind is ValueKind.ANY:
            return "*"
        if self.kind is ValueKind.NA:
            return "-"
        if self.literal == "-" and not self.has_wildcards:
            return "\\-"
        quoted = "".join(c if _PLAIN.match(c) else f"\\{c}" for c in self.literal)
        return f"{self.prefix}{quoted}{self.suffix}"

    def to_uri(self) -> str:
        """Bind to the CPE 2.2 URI syntax (percent-encoding, ``%01``/``%02`` wildcards)."""
        if self.kind is ValueKind.ANY:
            return ""
        if self.kind is ValueKind.NA:
            return "-"
        encoded = "".join(c if _PLAIN.match(c) else f"%{ord(c):02x}" for c in self.literal)
        return _uri_wildcards(self.prefix) + encoded + _uri_wildcards(self.suffix)

    def __str__(self) -> str:
        return self.to_fs()


def _uri_wildcards(wildcards: str) -> str:
    return "%02" if wildcards == "*" else "%01" * len(wildcards)


ANY = CpeValue(ValueKind.ANY)
NA = CpeValue(ValueKind.NA)


@dataclass(frozen=True)
class Cpe:
    """A parsed CPE 2.3 name: the 11 attributes of the well-formed name."""

    part: CpeValue
    vendor: CpeValue
    product: CpeValue
    version: CpeValue
    update: CpeValue
    edition: CpeValue
    language: CpeValue
    sw_edition: CpeValue
    target_sw: CpeValue
    target_hw: CpeValue
    other: CpeValue

    def values(self) -> tuple[CpeValue, ...]:
        """The 11 attributes in formatted-string order."""
        return tuple(getattr(self, f.name) for f in fields(self))

    def to_fs(self) -> str:
        """The canonical formatted string (lowercase, minimal quoting)."""
        return PREFIX + ":".join(value.to_fs() for value in self.values())

    def to_fs_prefix(self) -> str:
        """``cpe:2.3:<part>:<vendor>:<product>:``, e.g. for prefix searches.

        Note for SQL ``LIKE``: ``_`` is common in CPE names and must be escaped.
        """
        return f"{PREFIX}{self.part.to_fs()}:{self.vendor.to_fs()}:{self.product.to_fs()}:"

    def to_uri_prefix(self) -> str:
        """``cpe:/<part>:<vendor>:<product>`` in the CPE 2.2 URI binding."""
        return f"cpe:/{self.part.to_uri()}:{self.vendor.to_uri()}:{self.product.to_uri()}"

    def __str__(self) -> str:
        return self.to_fs()


def parse_cpe23(text: str) -> Cpe:
    """Parse a CPE 2.3 formatted string, raising CpeError with the reason if invalid."""
    stripped = text.strip()
    if stripped[: len(PREFIX)].lower() != PREFIX:
        raise CpeError(f"{text!r} is not a CPE 2.3 formatted string: it must start with {PREFIX!r}")
    raw_values = _split_attributes(stripped[len(PREFIX) :], text)
    if len(raw_values) != len(ATTRIBUTE_NAMES):
        raise CpeError(
            f"{text!r} has {len(raw_values)} attributes after {PREFIX!r},"
            f" expected {len(ATTRIBUTE_NAMES)}"
        )
    values = [
        _parse_value(raw, name, text) for raw, name in zip(raw_values, ATTRIBUTE_NAMES, strict=True)
    ]
    part = values[0]
    if part.kind is ValueKind.VALUE and (part.has_wildcards or part.literal not in _PARTS):
        raise CpeError(f"{text!r}: part must be 'a', 'o', 'h', '*' or '-', not {raw_values[0]!r}")
    return Cpe(*values)


def _split_attributes(body: str, text: str) -> list[str]:
    # Split on unquoted colons, keeping the quoting for _parse_value.
    parts: list[str] = []
    current: list[str] = []
    chars = iter(body)
    for char in chars:
        if char == "\\":
            quoted = next(chars, None)
            if quoted is None:
                raise CpeError(f"{text!r} ends with a dangling '\\'")
            current.append(char + quoted)
        elif char == ":":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _parse_value(raw: str, name: str, text: str) -> CpeValue:
    if raw == "*":
        return ANY
    if raw == "-":
        return NA
    if not raw:
        raise CpeError(f"{text!r}: {name} is empty (use '*' for ANY or '-' for NA)")
    tokens = _value_tokens(raw, name, text)
    prefix, tokens = _take_wildcards(tokens, name, text)
    reversed_suffix, reversed_rest = _take_wildcards(tokens[::-1], name, text)
    body = reversed_rest[::-1]
    if any(token in ("*", "?") for token in body):
        raise CpeError(
            f"{text!r}: {name} {raw!r} has a wildcard in the middle;"
            " unquoted '*' and '?' are only allowed at the start or end"
        )
    if not body:
        raise CpeError(f"{text!r}: {name} {raw!r} has wildcards but no literal text")
    literal = "".join(token[-1] for token in body).lower()
    return CpeValue(ValueKind.VALUE, literal, prefix, reversed_suffix)


def _value_tokens(raw: str, name: str, text: str) -> list[str]:
    # Each token is one character: quoted ones keep their backslash so that
    # wildcard detection can tell "\*" (a literal star) from "*".
    tokens: list[str] = []
    index = 0
    while index < len(raw):
        char = raw[index]
        step = 2 if char == "\\" else 1
        token = raw[index : index + step]
        visible = token[-1]
        if not visible.isascii() or not visible.isprintable() or visible.isspace():
            raise CpeError(f"{text!r}: {name} contains an invalid character {visible!r}")
        tokens.append(token)
        index += step
    return tokens


def _take_wildcards(tokens: list[str], name: str, text: str) -> tuple[str, list[str]]:
    """Split leading unquoted wildcards off ``tokens`` ("*" or a run of "?")."""
    if tokens[:1] == ["*"]:
        if tokens[1:2] in (["*"], ["?"]):
            raise CpeError(f"{text!r}: {name} has an invalid wildcard sequence")
        return "*", tokens[1:]
    count = 0
    while count < len(tokens) and tokens[count] == "?":
        count += 1
    if tokens[count : count + 1] == ["*"]:
        raise CpeError(f"{text!r}: {name} has an invalid wildcard sequence")
    return "?" * count, tokens[count:]


def compare_values(source: CpeValue, target: CpeValue) -> Relation:
    """NISTIR 7696 attribute comparison (Table 6-2)."""
    if target.has_wildcards:
        return Relation.UNDEFINED
    if source.is_any:
        return Relation.EQUAL if target.is_any else Relation.SUPERSET
    if target.is_any:
        return Relation.SUBSET
    if source.is_na or target.is_na:
        return Relation.EQUAL if source.is_na and target.is_na else Relation.DISJOINT
    if source.has_wildcards:
        return Relation.SUPERSET if _wildcard_match(source, target.literal) else Relation.DISJOINT
    return Relation.EQUAL if source.literal == target.literal else Relation.DISJOINT


def _allowed(wildcards: str, extra: int) -> bool:
    return wildcards == "*" or extra <= len(wildcards)


def _wildcard_match(pattern: CpeValue, target: str) -> bool:
    start = target.find(pattern.literal)
    while start != -1:
        before = start
        after = len(target) - start - len(pattern.literal)
        if not _allowed(pattern.prefix, before):
            return False  # later occurrences only have more characters before them
        if _allowed(pattern.suffix, after):
            return True
        start = target.find(pattern.literal, start + 1)
    return False


def compare_cpes(source: Cpe, target: Cpe) -> Relation:
    """NISTIR 7696 name comparison: the relation of ``source`` to ``target``."""
    relations = [
        compare_values(s, t) for s, t in zip(source.values(), target.values(), strict=True)
    ]
    if Relation.DISJOINT in relations:
        return Relation.DISJOINT
    if all(r is Relation.EQUAL for r in relations):
        return Relation.EQUAL
    if all(r in (Relation.SUPERSET, Relation.EQUAL) for r in relations):
        return Relation.SUPERSET
    if all(r in (Relation.SUBSET, Relation.EQUAL) for r in relations):
        return Relation.SUBSET
    return Relation.UNDEFINED


def cpe_name_matches(source: Cpe, target: Cpe) -> bool:
    """Whether ``source`` matches ``target``: every attribute is SUPERSET or EQUAL."""
    return compare_cpes(source, target) in (Relation.SUPERSET, Relation.EQUAL)


def nvd_version_range(
    *,
    version_start_including: str | None = None,
    version_start_excluding: str | None = None,
    version_end_including: str | None = None,
    version_end_excluding: str | None = None,
) -> VersionRange:
    """The range described by NVD ``versionStart*``/``versionEnd*`` bounds (ALL if none)."""
    if version_start_including is not None and version_start_excluding is not None:
        raise CpeError("versionStartIncluding and versionStartExcluding are mutually exclusive")
    if version_end_including is not None and version_end_excluding is not None:
        raise CpeError("versionEndIncluding and versionEndExcluding are mutually exclusive")
    lower = (
        version_start_including if version_start_including is not None else version_start_excluding
    )
    upper = version_end_including if version_end_including is not None else version_end_excluding
    interval = make_interval(
        _bound_key(lower),
        version_start_including is not None,
        _bound_key(upper),
        version_end_including is not None,
    )
    if interval is None:
        raise CpeError(f"version bounds {lower!r}..{upper!r} exclude every version")
    return VersionRange((interval,))


def _bound_key(bound: str | None) -> str | None:
    if bound is None:
        return None
    key = version_key(bound)
    if key is None:
        raise CpeError(f"version bound {bound!r} is not a comparable version")
    return key


def cpe_applicability(
    match: Cpe,
    candidate: Cpe,
    *,
    version_start_including: str | None = None,
    version_start_excluding: str | None = None,
    version_end_including: str | None = None,
    version_end_excluding: str | None = None,
) -> bool | None:
    """Like :func:`cpe_applies`, but None when the candidate's version cannot be judged.

    That happens when bounds are given and the candidate's version is ANY,
    NA, a wildcard or not a comparable version: the product matches, the
    version is unknown, so the caller should treat it as a possible match.
    """
    bounds = nvd_version_range(
        version_start_including=version_start_including,
        version_start_excluding=version_start_excluding,
        version_end_including=version_end_including,
        version_end_excluding=version_end_excluding,
    )
    if bounds.is_all:
        return cpe_name_matches(match, candidate)
    if not match.version.is_any:
        raise CpeError(
            f"{match.to_fs()!r}: a match string with version bounds must have version ANY"
        )
    if not cpe_name_matches(match, candidate):
        return False
    version = candidate.version
    if not version.is_plain:
        return None
    key = version_key(version.literal)
    if key is None:
        return None
    return bounds.contains_key(key)


def cpe_applies(
    match: Cpe,
    candidate: Cpe,
    *,
    version_start_including: str | None = None,
    version_start_excluding: str | None = None,
    version_end_including: str | None = None,
    version_end_excluding: str | None = None,
) -> bool:
    """Whether an NVD configuration match string (plus bounds) applies to ``candidate``.

    Without bounds this is :func:`cpe_name_matches`.  With bounds the match
    string's version must be ANY (else CpeError) and the candidate's version
    must fall inside them.  An unknown candidate version gives False here; use
    :func:`cpe_applicability` to tell "no" from "cannot tell".
    """
    return (
        cpe_applicability(
            match,
            candidate,
            version_start_including=version_start_including,
            version_start_excluding=version_start_excluding,
            version_end_including=version_end_including,
            version_end_excluding=version_end_excluding,
        )
        is True
    )


def cpe_vendor_product(text: str) -> tuple[str, str] | None:
    """``(vendor, product)`` of a formatted string, lowercased and unquoted.

    None if ``text`` is not a valid CPE 2.3 string or either attribute is ANY,
    NA or a wildcard, i.e. when there is no single name to pre-filter on.
    """
    try:
        cpe = parse_cpe23(text)
    except CpeError:
        return None
    if not (cpe.vendor.is_plain and cpe.product.is_plain):
        return None
    return cpe.vendor.literal, cpe.product.literal


# --- the part, as products, items and targets store it ------------------------


class Fit(Enum):
    """What one attribute of a match string says about a candidate's, for flagging.

    NISTIR 7696 counts EQUAL and SUPERSET as a match. A SUBSET — the match string constrains
    an attribute the candidate leaves open (ANY) — is neither a match nor a mismatch: the
    candidate may or may not be what the match string names, and its flag is *possible*.
    """

    FITS = "fits"
    UNDECIDED = "undecided"
    FAILS = "fails"


def attribute_fit(source: CpeValue, target: CpeValue) -> Fit:
    """How attribute ``source`` of a match string decides attribute ``target`` of a candidate."""
    relation = compare_values(source, target)
    if relation in (Relation.EQUAL, Relation.SUPERSET):
        return Fit.FITS
    if relation is Relation.SUBSET:
        return Fit.UNDECIDED
    return Fit.FAILS


def part_code(value: CpeValue) -> str:
    """How a part is stored: ``a``, ``o``, ``h``, ``-`` for NA, and ``""`` for ANY.

    ``""`` is also what an unknown part is stored as (a product whose part the catalogue does
    not know, an item without a CPE name): both leave the part open, as ANY does.
    """
    return "" if value.is_any else value.to_fs()


def part_value(code: str) -> CpeValue:
    """The attribute a stored part stands for (``""`` is ANY); CpeError if it is none."""
    if not code:
        return ANY
    if code == "-":
        return NA
    if code not in _PARTS:
        raise CpeError(f"{code!r} is not a CPE part: it is 'a', 'o', 'h', '-' or '' (ANY)")
    return CpeValue(ValueKind.VALUE, code)


def cpe_part(text: str) -> str:
    """The stored part of a formatted string; ``""`` when it is ANY or ``text`` is no CPE name."""
    try:
        return part_code(parse_cpe23(text).part)
    except CpeError:
        return ""


def part_fit(source: str, target: str) -> Fit:
    """How a match string's stored part decides a candidate's, as NISTIR 7696 compares them.

    ``a`` fits ``a``, never ``o`` or ``h``; a match string with part ANY (``""``) fits every
    candidate; a candidate whose part is ANY or unknown (``""``) is undecided for a match
    string that names one. The engine's SQL writes this rule out
    (``exposure.engine.statements.cpe_part_fits``).
    """
    return attribute_fit(part_value(source), part_value(target))


def product_cpe(part: str, vendor: str, product: str) -> Cpe | None:
    """The name a catalogue product's stored CPE parts stand for: every version, every other
    attribute ANY. None without a CPE vendor."""
    if not vendor:
        return None
    named = CpeValue(ValueKind.VALUE, product) if product else ANY
    return Cpe(part_value(part), CpeValue(ValueKind.VALUE, vendor), named, *([ANY] * 8))


def product_cpe_name(part: str, vendor: str, product: str) -> str:
    """The formatted string of a catalogue product's stored CPE parts; ``""`` without them."""
    name = product_cpe(part, vendor, product)
    return name.to_fs() if name is not None else ""


def parse_product_cpe(text: str) -> tuple[str, str, str]:
    """``(part, vendor, product)`` of a catalogue product's CPE name, as the product stores them.

    A product is every version of one thing, so its name is ``cpe:2.3:<part>:<vendor>:<product>``
    with ANY in every other attribute; part ``*`` says the part is not known. ``""`` (no CPE
    name) gives three empty parts. Raises CpeError saying what is wrong.
    """
    if not text.strip():
        return "", "", ""
    cpe = parse_cpe23(text)
    if cpe.part.is_na:
        raise CpeError(f"{text!r}: a product's part is 'a', 'o', 'h' or '*' (not known), not '-'")
    for name in ("vendor", "product"):
        if not getattr(cpe, name).is_plain:
            raise CpeError(
                f"{text!r}: a product's CPE name gives its {name}, without '*', '-' or wildcards"
            )
    named = [name for name in ATTRIBUTE_NAMES[3:] if not getattr(cpe, name).is_any]
    if named:
        raise CpeError(
            f"{text!r}: a product's CPE name covers every version, so {', '.join(named)}"
            f" must be '*'"
        )
    return part_code(cpe.part), cpe.vendor.literal, cpe.product.literal
