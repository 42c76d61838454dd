"""Tests for parsing vers range specifiers."""

from __future__ import annotations

import pytest

from vendors.matching.vers import (
    Constraint,
    VersRangeError,
    build_range,
    parse_vers,
    parse_vers_full,
)

# (vers, versions inside, versions outside, id)
GOOD = [
    (
        "vers:generic/>=21.0|<21.3.10",
        ["21.0", "21.3.9", "21.3.10rc1"],
        ["20.9", "21.3.10", "22"],
        "half_open_interval",
    ),
    (
        "vers:npm/>=1.0.0|<1.2.0|!=1.1.5",
        ["1.0.0", "1.1.4", "1.1.6"],
        ["1.1.5", "1.2.0", "0.9.0"],
        "not_equal_punches_hole_even_when_listed_last",
    ),
    ("vers:semver/1.2.3", ["1.2.3", "1.2.3.0"], ["1.2.4", "1.2.2"], "bare_version_is_exact"),
    ("vers:semver/=1.2.3", ["1.2.3"], ["1.2.4"], "explicit_equals_is_exact"),
    ("vers:generic/*", ["0.0.1", "99"], [], "star_is_all"),
    (
        "vers:pypi/<1.0|>=2.0|<3.0|>=4.0",
        ["0.5", "2.5", "4.0", "10"],
        ["1.0", "3.0", "3.9"],
        "pairwise_unbounded_ends",
    ),
    (
        "vers:pypi/>=1.0|<1.5|>=2.0|<2.5",
        ["1.0", "1.4", "2.0", "2.4"],
        ["1.5", "1.9", "2.5"],
        "two_intervals_from_pairs",
    ),
    ("vers:npm/1.0.0|1.0.1|1.0.3", ["1.0.1"], ["1.0.2"], "list_of_exact_versions"),
    ("vers:npm/1.0|>=2.0", ["1.0", "2.0", "3"], ["1.5"], "exact_then_lower_bound"),
    ("vers:npm/<1.0|1.5", ["0.9", "1.5"], ["1.0", "1.4"], "upper_bound_then_exact"),
    ("vers:npm/>1.0|<=2.0", ["1.0.1", "2.0"], ["1.0", "2.0.1"], "exclusive_and_inclusive"),
    ("vers:npm/!=1.0", ["0.9", "1.1"], ["1.0"], "only_holes_means_all_but"),
    ("vers:npm/<=1.0|!=0.5", ["0.4", "1.0"], ["0.5", "1.1"], "hole_inside_upper_bound"),
    (" vers:Generic/ >= 21.0 | < 22 ", ["21.5"], ["22"], "spaces_and_case_tolerated"),
    ("VERS:generic/>=1.0", ["1.5"], ["0.5"], "uppercase_scheme_tolerated"),
    ("vers:generic/<=2014 R2 SP1", ["2014", "2014 R2"], ["2014 R2 SP2"], "spaces_in_version"),
    ("vers:generic/<1.0%2Bbuild", ["0.9"], ["1.0"], "percent_decoding"),
    ("vers:all/>=2.3x|<=6.00.327", ["2.3x", "6.0.327", "4"], ["2.3", "6.0.328"], "cisa_type"),
]

BAD = [
    ("npm/>=1.0", "must start with 'vers:'", "missing_scheme"),
    ("vers:>=1.0", "no versioning type", "missing_type"),
    ("vers:/>=1.0", "no versioning type", "empty_type"),
    ("vers:np m/1.0", "invalid versioning type", "space_in_type"),
    ("vers:npm/", "no constraints", "empty_constraints"),
    ("vers:npm/*|>=1.0", "'*' must be the only constraint", "star_with_others"),
    ("vers:npm/|>=1.0", "leading or trailing '|'", "leading_pipe"),
    ("vers:npm/>=1.0|", "leading or trailing '|'", "trailing_pipe"),
    ("vers:npm/>=1.0||<2.0", "empty constraint", "double_pipe"),
    ("vers:npm/>=", "has no version", "comparator_without_version"),
    ("vers:npm/>=1.0%2", "invalid percent-encoding", "bad_percent"),
    ("vers:npm/>=unknown", "not a comparable version", "unusable_version"),
    ("vers:npm/>=2.0|<1.0", "must be sorted", "unsorted"),
    ("vers:npm/1.0|1.0.0", "must be unique", "duplicate_equivalent_versions"),
    ("vers:npm/<1.0|!=1.0", "must be unique", "hole_duplicates_bound"),
    ("vers:npm/>=1.0|>=2.0", "must be followed by an upper bound", "two_lower_bounds"),
    ("vers:npm/>=1.0|2.0", "must be followed by an upper bound", "lower_then_exact"),
    ("vers:npm/<1.0|<2.0", "redundant", "two_upper_bounds"),
    ("vers:npm/1.0|<2.0", "redundant", "exact_then_upper_bound"),
]


@pytest.mark.parametrize(
    ("text", "inside", "outside"), [g[:3] for g in GOOD], ids=[g[3] for g in GOOD]
)
def test_valid_vers_contains_expected_versions(
    text: str, inside: list[str], outside: list[str]
) -> None:
    rng = parse_vers(text)
    for version in inside:
        assert rng.contains(version) is True, version
    for version in outside:
        assert rng.contains(version) is False, version


@pytest.mark.parametrize(("text", "message"), [b[:2] for b in BAD], ids=[b[2] for b in BAD])
def test_invalid_vers_is_rejected_with_clear_message(text: str, message: str) -> None:
    with pytest.raises(VersRangeError, match=message.replace("*", r"\*").replace("|", r"\|")):
        parse_vers(text)


def test_vers_range_error_is_a_value_error() -> None:
    assert issubclass(VersRangeError, ValueError)


def test_star_is_exactly_all() -> None:
    assert parse_vers("vers:generic/*").is_all


def test_full_parse_keeps_type_and_constraints() -> None:
    parsed = parse_vers_full("vers:NPM/>=1.0.0|<1.2.0|!=1.1.5")
    assert parsed.versioning_type == "npm"
    assert parsed.constraints == (
        Constraint(">=", "1.0.0"),
        Constraint("<", "1.2.0"),
        Constraint("!=", "1.1.5"),
    )
    assert parsed.range == parse_vers("vers:npm/>=1.0.0|!=1.1.5|<1.2.0")


def test_build_range_rejects_unknown_comparator() -> None:
    with pytest.raises(VersRangeError, match="unknown comparator '~>'"):
        build_range([Constraint("~>", "1.0")])


def test_build_range_rejects_empty_list() -> None:
    with pytest.raises(VersRangeError, match="no constraints"):
        build_range([])


def test_vers_type_selects_version_scheme() -> None:
    fixed_in_security_update = parse_vers("vers:deb/<2.4.47-2+deb10u1")
    assert fixed_in_security_update.contains("2.4.47-2", scheme="deb") is True
    assert fixed_in_security_update.contains("2.4.47-2+deb10u1", scheme="deb") is False
