"""Planning a run from the targets in its scope, and the targets SQL cannot decide alone.

Most targets are matched entirely in SQL by equality on an identifier (product, vendor,
country, CPE vendor:product, purl type/namespace/name) and a version-key interval. Two shapes
need the pure matching layer as well, and are matched here in Python after an SQL pre-filter:

* a CPE match string whose vendor or product is ANY or carries a wildcard, or which
  constrains any attribute after the version (update, edition, language, sw_edition,
  target_sw, target_hw, other): NISTIR 7696 decides, attribute by attribute. An attribute the
  target constrains but the item leaves open (ANY, or an item known only through its
  catalogue product) cannot be decided, so the match is *possible*;
* a purl with qualifiers (``?distro=debian-12``): a qualifier the item's own purl contradicts
  rules it out; an item that lacks the qualifier is not ruled out (as ``purl_matches`` does).

The CPE ``part`` is compared here as in SQL (``vendors.matching.cpe.part_fit``): the item's
own CPE name gives it, else its catalogue product's stored part; unknown leaves it open.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from django.db import connection
from django.db.backends.utils import CursorWrapper

from exposure.choices import CPE_ATTRIBUTE_UNKNOWN, VERSION_UNKNOWN
from exposure.engine.dialect import in_ids
from exposure.engine.scope import Scope
from exposure.engine.sql import Sql, compose, execute, param
from vendors.matching.cpe import (
    Cpe,
    CpeError,
    CpeValue,
    Fit,
    Relation,
    attribute_fit,
    compare_values,
    parse_cpe23,
    part_value,
    product_cpe,
)
from vendors.matching.freetext import join_caveats
from vendors.matching.purls import ParsedPurl, PurlError, parse_purl
from vendors.matching.ranges import Interval, VersionRange

# Attributes after the version; a target that constrains any of them needs NISTIR matching.
_TRAILING_ATTRIBUTES = (
    "update",
    "edition",
    "language",
    "sw_edition",
    "target_sw",
    "target_hw",
    "other",
)
_FITS = (Relation.EQUAL, Relation.SUPERSET)
# Every condition on the target ``t``, as AffectedTarget.caveats joins them: the one its range
# text carries, then the one given by hand.
CAVEAT_SQL = (
    "(CASE WHEN t.range_caveat <> '' AND t.caveat <> '' AND t.range_caveat <> t.caveat"
    " THEN t.range_caveat || '; ' || t.caveat"
    " WHEN t.range_caveat <> '' THEN t.range_caveat ELSE t.caveat END)"
)


@dataclass(frozen=True)
class Hit:
    """A target reaching an item. ``reason`` is empty for a confirmed match, else why it is
    only possible: the item's version or an attribute the target constrains is unknown, or the
    target carries a caveat."""

    advisory_id: int
    item_id: int
    target_id: int
    reason: str
    is_exclusion: bool


@dataclass(frozen=True)
class Branch:
    """One SQL branch the run needs: a target kind, inclusion or exclusion, and for vendor
    targets whether subsidiaries are included."""

    kind: str
    is_exclusion: bool
    include_subsidiaries: bool


@dataclass(frozen=True)
class TargetPlan:
    """What the SQL of a run must contain, and the hits decided in Python."""

    branches: frozenset[Branch]
    python_target_ids: tuple[int, ...] = ()
    python_hits: tuple[Hit, ...] = field(default_factory=tuple)

    @property
    def has_inclusions(self) -> bool:
        return any(not b.is_exclusion for b in self.branches) or any(
            not hit.is_exclusion for hit in self.python_hits
        )

    @property
    def has_exclusions(self) -> bool:
        return any(b.is_exclusion for b in self.branches) or any(
            hit.is_exclusion for hit in self.python_hits
        )


@dataclass(frozen=True)
class _PythonTarget:
    id: int
    advisory_id: int
    kind: str
    is_exclusion: bool
    cpe: Cpe | None
    purl: ParsedPurl | None
    identity: tuple[str, str, str]
    versions: VersionRange
    caveat: str


def plan_targets(scope: Scope) -> TargetPlan:
    """Look at the scope's targets: which SQL branches are needed, and the Python-decided hits."""
    targets = scope.target_filter()
    with connection.cursor() as cursor:
        execute(
            cursor,
            compose(
                "SELECT t.kind, t.is_exclusion, t.include_subsidiaries, COUNT(*)"
                " FROM advisories_affectedtarget t"
                " JOIN advisories_advisory a ON a.id = t.advisory_id WHERE {targets}"
                " GROUP BY t.kind, t.is_exclusion, t.include_subsidiaries",
                targets=targets,
            ),
        )
        shapes = [
            (kind, bool(exclusion), bool(subsidiaries) and kind == "vendor", count)
            for kind, exclusion, subsidiaries, count in cursor.fetchall()
        ]
        # Only CPE and purl targets can need Python; without any, that query is not asked.
        python_targets = (
            _python_targets(cursor, targets)
            if any(kind in ("cpe", "purl") for kind, *_rest in shapes)
            else []
        )
        hits = tuple(
            hit for target in python_targets for hit in _python_hits(cursor, target, scope)
        )
    # A CPE or purl branch stays in the SQL unless every target of that shape went to Python.
    in_python = Counter((target.kind, target.is_exclusion) for target in python_targets)
    in_total: Counter[tuple[str, bool]] = Counter()
    for kind, exclusion, _subsidiaries, count in shapes:
        in_total[(kind, exclusion)] += count
    branches = frozenset(
        Branch(kind, exclusion, subsidiaries)
        for kind, exclusion, subsidiaries, _count in shapes
        if in_total[(kind, exclusion)] > in_python[(kind, exclusion)]
    )
    return TargetPlan(
        branches=branches,
        python_target_ids=tuple(target.id for target in python_targets),
        python_hits=hits,
    )


def _python_targets(cursor: CursorWrapper, targets: Sql) -> list[_PythonTarget]:
    execute(
        cursor,
        compose(
            "SELECT t.id, t.advisory_id, t.kind, t.is_exclusion, t.cpe, t.purl, {caveat},"
            " t.purl_type, t.purl_namespace, t.purl_name"
            " FROM advisories_affectedtarget t"
            " JOIN advisories_advisory a ON a.id = t.advisory_id"
            " WHERE {targets} AND (t.kind = 'cpe' OR (t.kind = 'purl' AND t.purl LIKE {query}))",
            targets=targets,
            query=param("%?%"),
            caveat=CAVEAT_SQL,
        ),
    )
    chosen: list[_PythonTarget] = []
    for row in cursor.fetchall():
        pk, advisory_id, kind, exclusion, cpe_text, purl_text, caveat, *identity = row
        cpe = _parsed_cpe(cpe_text) if kind == "cpe" else None
        purl = _parsed_purl(purl_text) if kind == "purl" else None
        if (cpe is not None and _needs_python(cpe)) or (purl is not None and purl.qualifiers):
            chosen.append(
                _PythonTarget(
                    id=pk,
                    advisory_id=advisory_id,
                    kind=kind,
                    is_exclusion=bool(exclusion),
                    cpe=cpe,
                    purl=purl,
                    identity=(identity[0], identity[1], identity[2]),
                    versions=VersionRange.EMPTY,
                    caveat=caveat,
                )
            )
    ranges = _target_ranges(cursor, [target.id for target in chosen])
    return [
        replace(target, versions=ranges.get(target.id, VersionRange.EMPTY)) for target in chosen
    ]


def _target_ranges(cursor: CursorWrapper, target_ids: list[int]) -> dict[int, VersionRange]:
    if not target_ids:
        return {}
    execute(
        cursor,
        compose(
            "SELECT target_id, lower, lower_inclusive, upper, upper_inclusive"
            " FROM advisories_targetinterval WHERE {ids}",
            ids=in_ids("target_id", target_ids),
        ),
    )
    intervals: dict[int, list[Interval]] = {}
    for target_id, lower, lower_inclusive, upper, upper_inclusive in cursor.fetchall():
        intervals.setdefault(target_id, []).append(
            Interval(lower, bool(lower_inclusive), upper, bool(upper_inclusive))
        )
    return {pk: VersionRange(tuple(found)) for pk, found in intervals.items()}


@lru_cache(maxsize=4096)
def _parsed_cpe(text: str) -> Cpe | None:
    try:
        return parse_cpe23(text)
    except CpeError:
        return None


@lru_cache(maxsize=4096)
def _parsed_purl(text: str) -> ParsedPurl | None:
    try:
        return parse_purl(text)
    except PurlError:
        return None


def _needs_python(cpe: Cpe) -> bool:
    if not (cpe.vendor.is_plain and cpe.product.is_plain):
        return True
    return any(not getattr(cpe, name).is_any for name in _TRAILING_ATTRIBUTES)


def _like_pattern(value: CpeValue) -> str | None:
    """A LIKE pattern matching at least every literal ``value`` matches (None: nothing)."""
    if value.is_any:
        return "%"
    if value.is_na:
        return None
    escaped = value.literal.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return ("%" if value.prefix else "") + escaped + ("%" if value.suffix else "")


def _python_hits(cursor: CursorWrapper, target: _PythonTarget, scope: Scope) -> Iterable[Hit]:
    if target.cpe is not None:
        yield from _cpe_hits(cursor, target, target.cpe, scope)
    else:
        yield from _purl_hits(cursor, target, scope)


def _cpe_hits(
    cursor: CursorWrapper, target: _PythonTarget, cpe: Cpe, scope: Scope
) -> Iterable[Hit]:
    vendor, product = _like_pattern(cpe.vendor), _like_pattern(cpe.product)
    if vendor is None or product is None:
        return
    execute(
        cursor,
        compose(
            "SELECT i.id, i.cpe, i.version_key, COALESCE(p.cpe_part, ''),"
            " COALESCE(p.cpe_vendor, ''), COALESCE(p.cpe_product, '')"
            " FROM orgs_inventoryitem i LEFT JOIN vendors_product p ON p.id = i.product_id"
            " WHERE {items} AND ("
            "(i.cpe_vendor <> '' AND i.cpe_vendor LIKE {vendor} ESCAPE '\\'"
            " AND i.cpe_product LIKE {product} ESCAPE '\\')"
            " OR (p.cpe_vendor <> '' AND p.cpe_vendor LIKE {vendor} ESCAPE '\\'"
            " AND p.cpe_product LIKE {product} ESCAPE '\\'))",
            items=scope.item_filter(),
            vendor=param(vendor),
            product=param(product),
        ),
    )
    for item_id, item_cpe, key, product_part, product_vendor, product_product in cursor.fetchall():
        own = _parsed_cpe(item_cpe) if item_cpe else None
        fit = _cpe_fit(cpe, _item_cpe(own, product_part, product_vendor, product_product))
        version = _version_fit(target.versions, key)
        if fit is not None and version is not None:
            reason = join_caveats(
                VERSION_UNKNOWN if version else "",
                CPE_ATTRIBUTE_UNKNOWN if fit else "",
                target.caveat,
            )
            yield Hit(target.advisory_id, item_id, target.id, reason, target.is_exclusion)


def _item_cpe(own: Cpe | None, part: str, vendor: str, product: str) -> Cpe | None:
    """The name an item is compared by. Its own CPE name is the more specific reading; its
    catalogue product's name stands in only when it has none (every attribute but the
    product's part, vendor and product unknown: ANY). The part its own name leaves open is
    its product's, as the SQL branches take it (``statements.item_cpe_part``)."""
    if own is None:
        return product_cpe(part, vendor, product) if vendor and product else None
    return replace(own, part=part_value(part)) if own.part.is_any else own


def _cpe_fit(target: Cpe, candidate: Cpe | None) -> bool | None:
    """None: no match; False: every attribute fits; True: possible (an attribute is unknown)."""
    if candidate is None:
        return None
    for name in ("vendor", "product"):
        if compare_values(getattr(target, name), getattr(candidate, name)) not in _FITS:
            return None
    possible = False
    for name in ("part", *_TRAILING_ATTRIBUTES):
        fit = attribute_fit(getattr(target, name), getattr(candidate, name))
        if fit is Fit.UNDECIDED:
            possible = True
        elif fit is Fit.FAILS:
            return None
    return possible


def _version_fit(versions: VersionRange, key: str | None) -> bool | None:
    """None: outside the range; False: inside; True: possible (the item has no version key)."""
    if versions.is_empty:
        return None
    if key is None:
        return not versions.is_all
    return False if versions.contains_key(key) else None


def _purl_hits(cursor: CursorWrapper, target: _PythonTarget, scope: Scope) -> Iterable[Hit]:
    assert target.purl is not None
    kind, namespace, name = (param(part) for part in target.identity)
    execute(
        cursor,
        compose(
            "SELECT i.id, i.purl, i.version_key FROM orgs_inventoryitem i"
            " LEFT JOIN vendors_product p ON p.id = i.product_id"
            " WHERE {items} AND ("
            "(i.purl_type = {kind} AND i.purl_namespace = {namespace} AND i.purl_name = {name})"
            " OR (p.purl_type = {kind} AND p.purl_namespace = {namespace}"
            " AND p.purl_name = {name}))",
            items=scope.item_filter(),
            kind=kind,
            namespace=namespace,
            name=name,
        ),
    )
    for item_id, item_purl, key in cursor.fetchall():
        candidate = _parsed_purl(item_purl) if item_purl else None
        if candidate is not None and any(
            candidate.qualifier(name) not in (None, value) for name, value in target.purl.qualifiers
        ):
            continue
        version = _version_fit(target.versions, key)
        if version is not None:
            reason = join_caveats(VERSION_UNKNOWN if version else "", target.caveat)
            yield Hit(target.advisory_id, item_id, target.id, reason, target.is_exclusion)
