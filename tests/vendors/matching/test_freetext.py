"""Tests for the free-text range forms found in real advisories."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vendors.matching.freetext import Unparseable, describe_range, parse_free_range
from vendors.matching.ranges import VersionRange

PROPERTY = settings(max_examples=500, deadline=None, database=None)

# (text, versions inside, versions outside, id)
PARSED = [
    (
        "<= 2014 R2 SP1",
        ["2014", "2014 R2", "2014 R2 SP1", "2012"],
        ["2014 R2 SP2", "2015"],
        "le_vendor",
    ),
    (">= 2.3x | <= 6.00.327", ["2.3x", "4.1", "6.0.327"], ["2.3", "6.0.328"], "cisa_pipe_pair"),
    ("< V05.00.01.00", ["5.0.0", "V05.00.00.99"], ["5.0.1", "5.0.1.0"], "lt_capital_v"),
    ("all versions", ["0.1", "99"], [], "all_versions"),
    ("All Versions", ["1"], [], "all_versions_any_case"),
    ("*", ["1"], [], "star"),
    ("All versions prior to 4.2", ["4.1.9", "4.2rc1"], ["4.2", "4.2.0", "5"], "all_prior_to"),
    ("All BIOS versions < V1.4.0", ["1.3.9", "V1.3"], ["1.4.0", "V1.4"], "all_component_versions"),
    # CISA ICSA-22-132-05: firmware releases written with an "R".
    ("< R1.30.0", ["R1.29.9", "1.29", "R1.3"], ["R1.30.0", "1.30", "R1.30.1"], "lt_capital_r"),
    ("all firmware versions before 2.1", ["2.0.9"], ["2.1"], "all_firmware_versions"),
    ("prior to 3.1", ["3.0"], ["3.1"], "prior_to"),
    ("before 7.0", ["6.9"], ["7.0"], "before"),
    ("3.0 through 3.4", ["3.0", "3.2", "3.4"], ["2.9", "3.4.1"], "through_inclusive"),
    ("3.0 - 3.4", ["3.0", "3.4"], ["3.5"], "spaced_dash_inclusive"),
    ("3.0 \u2013 3.4", ["3.4"], ["3.5"], "en_dash"),
    ("from 3.0 to 3.4", ["3.0", "3.4"], ["3.5"], "from_to"),
    ("between 1.0 and 2.0", ["1.0", "2.0"], ["2.0.1"], "between_and"),
    ("versions 1.2 and later", ["1.2", "9"], ["1.1"], "and_later"),
    ("1.2 or later", ["1.2"], ["1.1"], "or_later"),
    ("4.2 and earlier", ["4.2", "1"], ["4.2.1"], "and_earlier"),
    ("4.2 and prior versions", ["4.2"], ["4.3"], "and_prior_versions"),
    (">=1.0 <2.0", ["1.0", "1.9"], ["0.9", "2.0"], "space_separated_and"),
    (">=1.0, <2.0", ["1.5"], ["2.0"], "comma_separated_and"),
    (">= 1.0 and < 2.0", ["1.5"], ["2.0"], "word_and"),
    ("\u2265 1.0 \u2264 2.0", ["2.0"], ["2.1"], "unicode_comparators"),
    ("=> 1.0", ["1.0"], ["0.9"], "reversed_ge"),
    (">= 1.0 != 1.5", ["1.4"], ["1.5"], "and_with_hole"),
    ("vers:generic/>=21.0|<21.3.10", ["21.1"], ["21.3.10"], "vers_delegated"),
    ("1.2.3", ["1.2.3", "v1.2.3"], ["1.2.4"], "bare_exact"),
    ("version 1.2.3", ["1.2.3"], ["1.2"], "version_word_exact"),
    ("2014 R2 SP1", ["2014 R2 SP1"], ["2014 R2"], "bare_vendor_exact"),
    ("2014 Service Pack 1", ["2014 SP1"], ["2014"], "service_pack_words"),
    ("1.0, 1.1, 1.3", ["1.0", "1.3"], ["1.2"], "comma_list_of_exacts"),
    ("1.0 | 2.0", ["1.0", "2.0"], ["1.5"], "pipe_list_of_exacts"),
    (">=1.0 <1.5 || >=2.0 <2.5", ["1.2", "2.2"], ["1.7", "2.5"], "double_pipe_alternatives"),
    ("up to and including 3.0", ["3.0"], ["3.0.1"], "up_to_and_including"),
    ("up to (excluding) 3.0", ["2.9"], ["3.0"], "nvd_up_to_excluding"),
    ("since 2.0", ["2.0"], ["1.9"], "since"),
    ("after 2.0", ["2.0.1"], ["2.0"], "after_exclusive"),
    ("prior to version 3.1", ["3.0"], ["3.1"], "prior_to_version_word"),
    ("All versions prior to 4.2.", ["4.1"], ["4.2"], "trailing_full_stop"),
    ("4.2 (build 123)", ["4.2 build 123"], ["4.2"], "parenthesised_build"),
]

# (text, fragment of the reason, id)
UNPARSEABLE = [
    ("see vendor site", "not a recognisable version", "prose"),
    ("latest", "not a recognisable version", "latest"),
    ("versions with firmware from 2019", "not a recognisable version", "firmware_prose"),
    ("2019 firmware", "not a recognisable version ('firmware')", "trailing_prose_word"),
    ("", "empty", "empty"),
    ("   ", "empty", "blank"),
    ("n/a", "not a recognisable version", "not_applicable"),
    ("none", "not a recognisable version", "none_is_not_empty_range"),
    ("up to 3.0", "'up to' does not say whether", "ambiguous_up_to"),
    ("2.x", "wildcard", "x_wildcard"),
    ("3.1.*", "wildcard", "star_wildcard"),
    ("3.0-3.4", "could be a range or a single version", "unspaced_dash"),
    ("3.4 through 3.0", "after its end", "reversed_range"),
    (">=2.0 <1.0", "excludes every version", "contradictory_and"),
    ("vers:npm/>=2|>=3", "invalid vers string", "bad_vers"),
    (">= 2.0 | >= 3.0", "must be followed by an upper bound", "bad_pipe_sequence"),
    (">= 1.0 <2.0 | >= 3.0", "exactly one constraint", "mixed_pipe_and_space"),
    ("1.0 < 2.0", "unexpected text before the first comparator", "text_before_comparator"),
    (">=", "missing its version", "comparator_only"),
    (">= latest", "not a recognisable version", "comparator_with_prose"),
    ("1.0 ||", "empty alternative", "empty_alternative"),
    ("1.0, soon", "not a recognisable version", "list_with_prose"),
    ("Versions", "not a recognisable version", "bare_versions_word"),
]


@pytest.mark.parametrize(
    ("text", "inside", "outside"), [p[:3] for p in PARSED], ids=[p[3] for p in PARSED]
)
def test_free_text_form_is_understood(text: str, inside: list[str], outside: list[str]) -> None:
    result = parse_free_range(text)
    assert isinstance(result, VersionRange), result
    for version in inside:
        assert result.contains(version) is True, version
    for version in outside:
        assert result.contains(version) is False, version


@pytest.mark.parametrize(
    ("text", "reason"), [u[:2] for u in UNPARSEABLE], ids=[u[2] for u in UNPARSEABLE]
)
def test_unclear_text_is_unparseable_with_reason(text: str, reason: str) -> None:
    result = parse_free_range(text)
    assert isinstance(result, Unparseable), result
    assert reason in result.reason


def test_all_versions_is_exactly_all() -> None:
    assert parse_free_range("all versions") == VersionRange.ALL


def test_vers_string_matches_direct_parse() -> None:
    assert parse_free_range("vers:npm/>=1.0.0|<1.2.0|!=1.1.5") == parse_free_range(
        ">=1.0.0 <1.2.0 !=1.1.5"
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("all versions", "all versions"),
        (">= 1.0.1 <2.0", ">= 1.0.1, < 2"),
        ("3.0 through 3.4", ">= 3, <= 3.4"),
        ("1.2.3", "= 1.2.3"),
        ("!= 1.5", "< 1.5 or > 1.5"),
        ("before 2014 R2 SP1", "< 2014-r2-sp1"),
    ],
    ids=["all", "half_open", "inclusive", "exact", "hole", "vendor"],
)
def test_describe_range_is_readable(text: str, shown: str) -> None:
    result = parse_free_range(text)
    assert isinstance(result, VersionRange)
    assert describe_range(result) == shown


def test_describe_empty_range() -> None:
    assert describe_range(VersionRange.EMPTY) == "no versions"


_pieces = st.sampled_from(
    ["1.0", "2.3x", "<", ">=", "<=", "!=", "|", "||", " ", ",", "and", "to", "-", "all", "x", "v"]
)


@PROPERTY
@given(st.one_of(st.text(max_size=30), st.lists(_pieces, max_size=8).map("".join)))
def test_never_raises_and_never_silently_matches_nothing(text: str) -> None:
    result = parse_free_range(text)
    if isinstance(result, VersionRange):
        assert not result.is_empty
    else:
        assert result.reason
