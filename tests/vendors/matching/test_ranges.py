"""Tests for the canonical interval/range form."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vendors.matching.ranges import ALL, EMPTY, Interval, VersionRange, make_interval
from vendors.matching.versions import InvalidVersion, version_key

PROPERTY = settings(max_examples=300, deadline=None, database=None)


def k(version: str) -> str:
    key = version_key(version)
    assert key is not None
    return key


def between(lo: str | None, hi: str | None, lo_inc: bool = True, hi_inc: bool = False) -> Interval:
    return Interval(k(lo) if lo else None, lo_inc, k(hi) if hi else None, hi_inc)


@pytest.mark.parametrize(
    ("interval", "version", "inside"),
    [
        (between("1.0", "2.0"), "1.0", True),
        (between("1.0", "2.0"), "1.9.9", True),
        (between("1.0", "2.0"), "2.0", False),
        (between("1.0", "2.0"), "2.0rc1", True),
        (between("1.0", "2.0"), "0.9", False),
        (between("1.0", "2.0", lo_inc=False), "1.0", False),
        (between("1.0", "2.0", lo_inc=False), "1.0.0.1", True),
        (between("1.0", "2.0", hi_inc=True), "2.0.0", True),
        (between(None, "2.0"), "0.0.1", True),
        (between("1.0", None), "999", True),
        (between(None, None), "1", True),
        (Interval.point(k("1.2")), "1.2.0", True),
        (Interval.point(k("1.2")), "1.2.1", False),
    ],
    ids=[
        "lower_inclusive_bound_is_inside",
        "middle_is_inside",
        "upper_exclusive_bound_is_outside",
        "prerelease_of_exclusive_upper_is_inside",
        "below_lower_is_outside",
        "exclusive_lower_bound_is_outside",
        "just_above_exclusive_lower_is_inside",
        "inclusive_upper_matches_equivalent_spelling",
        "unbounded_below",
        "unbounded_above",
        "unbounded_both",
        "point_matches_equivalent_spelling",
        "point_excludes_neighbour",
    ],
)
def test_interval_contains_key(interval: Interval, version: str, inside: bool) -> None:
    assert interval.contains_key(k(version)) is inside


def test_unbounded_side_is_stored_exclusive() -> None:
    assert Interval(None, True, None, True) == Interval(None, False, None, False)


@pytest.mark.parametrize(
    ("lo", "lo_inc", "hi", "hi_inc"),
    [("2.0", True, "1.0", True), ("1.0", False, "1.0", True), ("1.0", True, "1.0", False)],
    ids=["reversed_bounds", "open_point_left", "open_point_right"],
)
def test_empty_interval_is_rejected(lo: str, lo_inc: bool, hi: str, hi_inc: bool) -> None:
    with pytest.raises(ValueError, match="empty interval"):
        Interval(k(lo), lo_inc, k(hi), hi_inc)
    assert make_interval(k(lo), lo_inc, k(hi), hi_inc) is None


def test_overlapping_intervals_merge() -> None:
    merged = VersionRange((between("1.0", "3.0"), between("2.0", "4.0")))
    assert merged.intervals == (between("1.0", "4.0"),)


def test_adjacent_half_open_intervals_merge() -> None:
    merged = VersionRange((between("2.0", "3.0"), between("1.0", "2.0")))
    assert merged.intervals == (between("1.0", "3.0"),)


def test_intervals_open_at_the_same_point_keep_the_hole() -> None:
    split = VersionRange((between("1.0", "2.0", hi_inc=False), between("2.0", "3.0", lo_inc=False)))
    assert len(split.intervals) == 2
    assert split.contains("2.0") is False
    assert split.contains("1.5") is True


def test_unsorted_input_is_sorted() -> None:
    shuffled = VersionRange((between("5.0", "6.0"), between("1.0", "2.0")))
    assert [i.lower for i in shuffled.intervals] == [k("1.0"), k("5.0")]


def test_contained_interval_is_absorbed() -> None:
    assert VersionRange((between(None, None), between("1.0", "2.0"))).is_all


def test_all_and_empty_flags() -> None:
    assert ALL.is_all and not ALL.is_empty
    assert EMPTY.is_empty and not EMPTY.is_all
    assert VersionRange.ALL is ALL


def test_contains_is_none_for_unusable_version() -> None:
    assert VersionRange.exact("1.0").contains("unknown") is None
    assert ALL.contains("") is None


def test_exact_rejects_unusable_version() -> None:
    with pytest.raises(InvalidVersion):
        VersionRange.exact("n/a")


def test_between_builds_half_open_range_by_default() -> None:
    rng = VersionRange.between("1.0", "2.0")
    assert rng.contains("1.0") is True
    assert rng.contains("2.0") is False
    assert VersionRange.between("2.0", "1.0").is_empty


def test_complement_of_point_has_two_open_pieces() -> None:
    holes = VersionRange.exact("1.0").complement()
    assert holes.contains("1.0") is False
    assert holes.contains("0.9") is True
    assert holes.contains("1.0.1") is True
    assert holes.complement() == VersionRange.exact("1.0")


def test_complement_of_all_is_empty_and_back() -> None:
    assert ALL.complement().is_empty
    assert EMPTY.complement().is_all


def test_difference_punches_hole() -> None:
    rng = VersionRange.between("1.0", "2.0").difference(VersionRange.exact("1.5"))
    assert rng.contains("1.5") is False
    assert rng.contains("1.4") is True
    assert rng.contains("1.6") is True


# --- properties against a brute-force oracle ----------------------------------

PROBES = [f"{major}.{minor}" for major in range(6) for minor in (0, 5)] + ["2.0rc1", "9"]
_bounds = st.sampled_from([None, "0.5", "1.0", "1.5", "2.0", "3.0", "4.5"])


@st.composite
def ranges(draw: st.DrawFn) -> VersionRange:
    pieces = []
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        lo, hi = draw(_bounds), draw(_bounds)
        interval = make_interval(
            k(lo) if lo else None, draw(st.booleans()), k(hi) if hi else None, draw(st.booleans())
        )
        if interval is not None:
            pieces.append(interval)
    return VersionRange(tuple(pieces))


def _members(rng: VersionRange) -> set[str]:
    return {p for p in PROBES if rng.contains(p)}


@PROPERTY
@given(ranges(), ranges())
def test_set_operations_match_oracle(a: VersionRange, b: VersionRange) -> None:
    assert _members(a.union(b)) == _members(a) | _members(b)
    assert _members(a.intersection(b)) == _members(a) & _members(b)
    assert _members(a.difference(b)) == _members(a) - _members(b)
    assert _members(a.complement()) == set(PROBES) - _members(a)


@PROPERTY
@given(ranges())
def test_normal_form_is_sorted_disjoint_and_stable(rng: VersionRange) -> None:
    assert VersionRange(rng.intervals) == rng
    assert rng.complement().complement() == rng
    for left, right in zip(rng.intervals, rng.intervals[1:], strict=False):
        assert left.upper is not None and right.lower is not None
        assert left.upper <= right.lower
        if left.upper == right.lower:
            assert not left.upper_inclusive and not right.lower_inclusive
