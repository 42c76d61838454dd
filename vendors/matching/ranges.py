"""The canonical range form: a normalised union of intervals over version keys.

Every range source (``vers``, CSAF free text, NVD start/end bounds) is turned
into a :class:`VersionRange`.  Bounds are version *keys* (see
:mod:`vendors.matching.versions`), so each interval maps directly onto SQL
string comparisons against a ``COLLATE "C"`` / ``BINARY`` key column.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from vendors.matching.versions import InvalidVersion, version_key


@dataclass(frozen=True)
class Interval:
    """A contiguous set of version keys; a None bound is unbounded.

    An unbounded side is always stored as exclusive so equal intervals compare
    equal.  Empty intervals cannot be built (use :func:`make_interval`).
    """

    lower: str | None
    lower_inclusive: bool
    upper: str | None
    upper_inclusive: bool

    def __post_init__(self) -> None:
        if self.lower is None and self.lower_inclusive:
            object.__setattr__(self, "lower_inclusive", False)
        if self.upper is None and self.upper_inclusive:
            object.__setattr__(self, "upper_inclusive", False)
        if _is_empty(self.lower, self.lower_inclusive, self.upper, self.upper_inclusive):
            raise ValueError(f"empty interval: {self.lower!r}..{self.upper!r}")

    @classmethod
    def point(cls, key: str) -> Interval:
        """The interval holding exactly ``key``."""
        return cls(key, True, key, True)

    def contains_key(self, key: str) -> bool:
        """Whether ``key`` lies inside this interval (bytewise comparison)."""
        above_lower = (
            self.lower is None or key > self.lower or (key == self.lower and self.lower_inclusive)
        )
        below_upper = (
            self.upper is None or key < self.upper or (key == self.upper and self.upper_inclusive)
        )
        return above_lower and below_upper

    @property
    def is_point(self) -> bool:
        """Whether the interval holds a single key."""
        return self.lower is not None and self.lower == self.upper


def _is_empty(
    lower: str | None, lower_inclusive: bool, upper: str | None, upper_inclusive: bool
) -> bool:
    if lower is None or upper is None:
        return False
    return lower > upper or (lower == upper and not (lower_inclusive and upper_inclusive))


def make_interval(
    lower: str | None, lower_inclusive: bool, upper: str | None, upper_inclusive: bool
) -> Interval | None:
    """Build an interval, or return None when the bounds enclose nothing."""
    if _is_empty(lower, lower_inclusive, upper, upper_inclusive):
        return None
    return Interval(lower, lower_inclusive, upper, upper_inclusive)


def _lower_order(interval: Interval) -> tuple[int, str, int]:
    # Smaller means "starts further left": unbounded, then by key, inclusive first.
    if interval.lower is None:
        return (0, "", 0)
    return (1, interval.lower, 0 if interval.lower_inclusive else 1)


def _upper_order(interval: Interval) -> tuple[int, str, int]:
    # Larger means "ends further right": by key, inclusive last, unbounded beyond all.
    if interval.upper is None:
        return (1, "", 0)
    return (0, interval.upper, 1 if interval.upper_inclusive else 0)


def _touches(left: Interval, right: Interval) -> bool:
    """Whether ``right`` (starting no earlier than ``left``) overlaps or abuts it."""
    if left.upper is None or right.lower is None:
        return True
    if right.lower < left.upper:
        return True
    return right.lower == left.upper and (left.upper_inclusive or right.lower_inclusive)


def _normalise(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    merged: list[Interval] = []
    for interval in sorted(intervals, key=_lower_order):
        if merged and _touches(merged[-1], interval):
            last = merged[-1]
            end = max(last, interval, key=_upper_order)
            merged[-1] = Interval(last.lower, last.lower_inclusive, end.upper, end.upper_inclusive)
        else:
            merged.append(interval)
    return tuple(merged)


def _intersect(a: Interval, b: Interval) -> Interval | None:
    start = max(a, b, key=_lower_order)
    end = min(a, b, key=_upper_order)
    return make_interval(start.lower, start.lower_inclusive, end.upper, end.upper_inclusive)


@dataclass(frozen=True)
class VersionRange:
    """A union of disjoint, sorted, merged intervals.

    The constructor normalises whatever it is given, so two ranges holding the
    same versions are equal.  ``VersionRange.ALL`` holds every version and
    ``VersionRange.EMPTY`` none.
    """

    intervals: tuple[Interval, ...] = ()

    ALL: ClassVar[VersionRange]
    EMPTY: ClassVar[VersionRange]

    def __post_init__(self) -> None:
        object.__setattr__(self, "intervals", _normalise(self.intervals))

    @classmethod
    def exact(cls, version: str, *, scheme: str | None = None) -> VersionRange:
        """The range holding exactly ``version``; raises InvalidVersion if it has no key."""
        return cls((Interval.point(_key_or_raise(version, scheme)),))

    @classmethod
    def between(
        cls,
        lower: str | None,
        upper: str | None,
        *,
        lower_inclusive: bool = True,
        upper_inclusive: bool = False,
        scheme: str | None = None,
    ) -> VersionRange:
        """A single interval from version strings (None = unbounded); may be empty."""
        lower_key = _key_or_raise(lower, scheme) if lower is not None else None
        upper_key = _key_or_raise(upper, scheme) if upper is not None else None
        interval = make_interval(lower_key, lower_inclusive, upper_key, upper_inclusive)
        return cls((interval,) if interval is not None else ())

    @property
    def is_all(self) -> bool:
        """Whether every version is in the range."""
        return self.intervals == (Interval(None, False, None, False),)

    @property
    def is_empty(self) -> bool:
        """Whether no version is in the range."""
        return not self.intervals

    def contains_key(self, key: str) -> bool:
        """Whether the version with this key is in the range."""
        return any(interval.contains_key(key) for interval in self.intervals)

    def contains(self, version: str, *, scheme: str | None = None) -> bool | None:
        """Whether ``version`` is in the range; None if the version has no key.

        None means "cannot tell": callers treat it as a possible match rather
        than silently dropping it.  ``scheme`` must be the one the range's keys
        were computed with (see :func:`vendors.matching.versions.version_key`).
        """
        key = version_key(version, scheme=scheme)
        if key is None:
            return None
        return self.contains_key(key)

    def union(self, other: VersionRange) -> VersionRange:
        """Versions in either range."""
        return VersionRange(self.intervals + other.intervals)

    def intersection(self, other: VersionRange) -> VersionRange:
        """Versions in both ranges."""
        pieces = (_intersect(a, b) for a in self.intervals for b in other.intervals)
        return VersionRange(tuple(piece for piece in pieces if piece is not None))

    def complement(self) -> VersionRange:
        """Versions not in this range."""
        gaps: list[Interval] = []
        cursor: str | None = None
        cursor_inclusive = False
        for interval in self.intervals:
            if interval.lower is not None:
                gap = make_interval(
                    cursor, cursor_inclusive, interval.lower, not interval.lower_inclusive
                )
                if gap is not None:
                    gaps.append(gap)
            if interval.upper is None:
                return VersionRange(tuple(gaps))
            cursor, cursor_inclusive = interval.upper, not interval.upper_inclusive
        gaps.append(Interval(cursor, cursor_inclusive, None, False))
        return VersionRange(tuple(gaps))

    def difference(self, other: VersionRange) -> VersionRange:
        """Versions in this range but not in ``other``."""
        return self.intersection(other.complement())


def _key_or_raise(version: str, scheme: str | None) -> str:
    key = version_key(version, scheme=scheme)
    if key is None:
        raise InvalidVersion(f"{version!r} is not a comparable version")
    return key


VersionRange.ALL = VersionRange((Interval(None, False, None, False),))
VersionRange.EMPTY = VersionRange(())
ALL = VersionRange.ALL
EMPTY = VersionRange.EMPTY
