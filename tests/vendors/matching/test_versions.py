"""Ordering and key-encoding tests for the universal version scheme."""

from __future__ import annotations

import functools
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vendors.matching.versions import (
    KEY_MAX_LENGTH,
    InvalidVersion,
    Version,
    compare_versions,
    describe_key,
    parse_version,
    version_key,
)

PROPERTY = settings(max_examples=300, deadline=None, database=None)


def _key(version: str) -> str:
    key = version_key(version)
    assert key is not None, f"{version!r} should have a key"
    return key


# (lower, higher, id): every pair must order strictly, by compare_versions and
# by plain bytewise comparison of the keys.
ORDERED_PAIRS = [
    ("1.9", "1.10", "ten_sorts_after_nine"),
    ("1.2", "1.10", "two_digit_minor_after_one_digit"),
    ("1.10", "1.10.1", "extra_component_sorts_after"),
    ("1.99.99", "2.0", "major_beats_minor"),
    ("0.9", "1.0", "zero_major_before_one"),
    ("21.3.9.999", "21.3.10.391", "four_part_numeric"),
    ("21.3.10.391", "21.3.10.392", "four_part_last_component"),
    ("6.0.326", "6.00.327", "leading_zero_component"),
    ("V1.2.3", "1.2.4", "v_prefix_compares_numerically"),
    ("V05.00.01.00", "5.0.2", "capital_v_with_leading_zeros"),
    ("R1.29.9", "R1.30.0", "r_prefix_compares_numerically"),
    ("R1.30.0", "1.30.1", "r_prefix_against_a_plain_version"),
    ("1", "1.0.0.0.1", "nonzero_after_zeros_counts"),
    ("2014", "2014 R2", "vendor_release_after_base"),
    ("2014 R2", "2014 R2 SP1", "service_pack_after_release"),
    ("2014 R2 SP1", "2015", "next_year_after_service_pack"),
    ("2014 SP1", "2014 SP2", "service_pack_numbers"),
    ("2014 R2 SP1", "2014 R2 SP2", "service_pack_after_same_release"),
    ("1.0.0-alpha", "1.0.0-alpha.1", "semver_alpha_before_alpha_1"),
    ("1.0.0-alpha.1", "1.0.0-beta", "semver_alpha_before_beta"),
    ("1.0.0-beta", "1.0.0-beta.2", "semver_beta_before_beta_2"),
    ("1.0.0-beta.2", "1.0.0-beta.11", "semver_numeric_prerelease_identifier"),
    ("1.0.0-beta.11", "1.0.0-rc.1", "semver_beta_before_rc"),
    ("1.0.0-rc.1", "1.0.0", "semver_rc_before_release"),
    ("1.0.0", "1.0.1-alpha", "semver_next_patch_prerelease_after_release"),
    ("1.0.dev1", "1.0a1", "pep440_dev_before_alpha"),
    ("1.0a1", "1.0b2", "pep440_alpha_before_beta"),
    ("1.0b2", "1.0rc1", "pep440_beta_before_rc"),
    ("1.0rc1", "1.0", "pep440_rc_before_final"),
    ("1.0", "1.0.post1", "pep440_post_after_final"),
    ("1.0.post1", "1.0.1", "pep440_post_before_next_micro"),
    ("1.0a1.dev1", "1.0a1", "pep440_dev_of_prerelease_first"),
    ("1.0a1", "1.0a2", "pep440_prerelease_numbers"),
    ("3.0", "1!2.0", "pep440_epoch_wins"),
    ("1!2.0", "1!2.1", "pep440_same_epoch_compares_release"),
    ("3.0", "1:2.0", "debian_epoch_wins"),
    ("1.0-beta", "1.0-preview", "beta_before_preview"),
    ("1.0-preview", "1.0-rc1", "preview_before_rc"),
    ("1.0-SNAPSHOT", "1.0", "snapshot_before_release"),
    ("2.3", "2.3x", "debian_letter_suffix_after_release"),
    ("2.3x", "2.3y", "letter_suffixes_alphabetical"),
    ("2.3x", "2.4", "letter_suffix_before_next_minor"),
    ("2.3x", "2.3.1", "letter_suffix_before_further_number"),
    ("1.0.2", "1.0.2a", "openssl_letter_patch_after_release"),
    ("1.0.2a", "1.0.2b", "openssl_letter_patches_in_order"),
    ("1.0.2z", "1.0.3", "openssl_letter_patch_before_next"),
    ("2022-03-15", "2022-03-16", "date_day"),
    ("2022-03-16", "2022-04-01", "date_month"),
    ("2022-12-31", "2023-01-01", "date_year"),
    ("1.0 sp1", "1.0 sp2", "sp_numbers"),
    ("1.0 sp2", "1.1", "sp_before_next_minor"),
    ("1.0", "1.0 update 3", "update_after_release"),
    ("8u201", "8u211", "java_update_numbers"),
    ("8u211", "9", "java_update_before_next_major"),
    ("10.0", "10.0 build 5", "build_after_release"),
    ("10.0 build 5", "10.0.1", "build_before_next_patch"),
    ("1.0-hotfix1", "1.0-hotfix2", "hotfix_numbers"),
    ("4.2", "4.2-patch1", "patch_after_release"),
    ("9.9.9", "10", "single_component_major"),
    ("1.0", "1.0-1", "debian_revision_after_upstream"),
    ("1.2.3-1", "1.2.3-2", "debian_revisions_in_order"),
]

EQUAL_PAIRS = [
    ("1.0", "1.0.0", "trailing_zero_equivalence"),
    ("1", "1.0", "single_component_equals_two"),
    ("V05.00.01.00", "5.0.1.0", "v_prefix_and_leading_zeros"),
    ("v1.2", "1.2", "lowercase_v_prefix"),
    ("version 1.2", "1.2", "word_version_prefix"),
    ("R1.30.0", "1.30", "r_prefix_of_a_release"),
    ("r 2.1", "2.1", "lowercase_r_prefix_with_space"),
    ("Release 3.0", "3", "word_release_prefix"),
    ("01.02", "1.2", "leading_zeros"),
    ("6.00.327", "6.0.327", "double_zero_component"),
    ("1.0.0+build.1", "1.0.0", "build_metadata_ignored"),
    ("1.0.0+build.1", "1.0.0+build.2", "different_build_metadata"),
    ("1.0.0-rc.1+exp.sha.5114f85", "1.0.0-rc.1", "prerelease_build_metadata"),
    ("1.0.0-alpha", "1.0-alpha", "trailing_zeros_before_prerelease"),
    ("1.0c1", "1.0rc1", "pep440_c_alias"),
    ("1.0-alpha.0", "1.0-alpha", "zero_prerelease_number"),
    ("1.0-RC1", "1.0-rc1", "case_insensitive_tag"),
    ("2014 R2 SP1", "2014 r2 sp1", "case_insensitive_vendor"),
    ("1.0-Beta", "1.0.BETA", "separators_and_case"),
    ("1.0-1", "1.0.1", "separators_are_insignificant"),
    ("1.0.Final", "1.0", "maven_final_ignored"),
    ("5.0 GA", "5.0", "ga_ignored"),
    ("\uff11.\uff12", "1.2", "fullwidth_digits_nfkc"),
    ("0!1.0", "1.0", "explicit_zero_epoch"),
    ("  1.2  ", "1.2", "surrounding_whitespace"),
    ("2017 Upd 2", "2017 Update 2", "upd_is_update"),
]

UNUSABLE = [
    ("", "empty"),
    ("   ", "blank"),
    ("-", "dash"),
    ("unknown", "unknown"),
    ("n/a", "not_applicable"),
    ("N/A", "not_applicable_upper"),
    ("*", "star"),
    ("1.2.*", "star_wildcard"),
    ("1.?", "question_wildcard"),
    ("7.x", "x_wildcard"),
    ("V2.X.5", "x_wildcard_inside"),
    ("latest", "latest"),
    ("beta", "tag_without_number"),
    ("+build", "only_build_metadata"),
    ("1" * 100, "number_too_long"),
    ("1." * 150, "input_too_long"),
]


@pytest.mark.parametrize(
    ("lower", "higher"), [p[:2] for p in ORDERED_PAIRS], ids=[p[2] for p in ORDERED_PAIRS]
)
def test_lower_version_sorts_first(lower: str, higher: str) -> None:
    assert compare_versions(lower, higher) == -1
    assert compare_versions(higher, lower) == 1
    assert _key(lower) < _key(higher)
    assert _key(lower).encode("ascii") < _key(higher).encode("ascii")


@pytest.mark.parametrize(
    ("left", "right"), [p[:2] for p in EQUAL_PAIRS], ids=[p[2] for p in EQUAL_PAIRS]
)
def test_equivalent_versions_share_a_key(left: str, right: str) -> None:
    assert compare_versions(left, right) == 0
    assert _key(left) == _key(right)


@pytest.mark.parametrize("text", [u[0] for u in UNUSABLE], ids=[u[1] for u in UNUSABLE])
def test_unusable_version_has_no_key(text: str) -> None:
    assert version_key(text) is None
    assert parse_version(text) is None


def test_compare_rejects_unusable_version() -> None:
    with pytest.raises(InvalidVersion, match="'unknown' is not a comparable version"):
        compare_versions("1.0", "unknown")


def test_semver_spec_precedence_list_sorts_in_order_except_alpha_beta() -> None:
    # "1.0.0-alpha.beta" is left out: see the documented limit in versions.py.
    expected = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
    ]
    assert sorted(reversed(expected), key=_key) == expected


def test_pep440_example_list_sorts_in_order() -> None:
    expected = ["1.0.dev1", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0.post1", "1.1", "1!0.5"]
    assert sorted(reversed(expected), key=_key) == expected


def test_key_example_from_docstring() -> None:
    assert _key("1.10.2-rc1") == "010n011n0210n012a4n011f"


def test_version_objects_order_like_keys() -> None:
    parsed = [parse_version(v) for v in ("2.0", "1.0rc1", "1.0")]
    assert all(isinstance(p, Version) for p in parsed)
    versions = [p for p in parsed if p is not None]
    assert [v.text for v in sorted(versions)] == ["1.0rc1", "1.0", "2.0"]
    assert versions[2] == parse_version("1.0.0")
    assert hash(versions[2]) == hash(parse_version("1"))


@pytest.mark.parametrize(
    ("version", "shown"),
    [
        ("1.10.2-rc1", "1.10.2-rc1"),
        ("2014 R2 SP1", "2014-r2-sp1"),
        ("V05.00.01.00", "5.0.1"),
        ("1!2.0", "1!2"),
        ("0.0", "0"),
        ("0a1", "0-alpha1"),
    ],
    ids=["semver_rc", "vendor", "leading_zeros", "epoch", "all_zero", "zero_prerelease"],
)
def test_describe_key_renders_canonical_version(version: str, shown: str) -> None:
    assert describe_key(_key(version)) == shown


@pytest.mark.parametrize(
    "garbage", ["", "xyz", "010", "010n9", "010q", "010a9f", "010lfoo", "010ff"]
)
def test_describe_key_returns_malformed_keys_unchanged(garbage: str) -> None:
    assert describe_key(garbage) == garbage


# --- properties -------------------------------------------------------------

_numbers = st.integers(min_value=0, max_value=10**12)
dotted = st.lists(_numbers, min_size=1, max_size=6).map(lambda ns: ".".join(map(str, ns)))

_tokens = st.sampled_from(
    # An "x" standing alone is a wildcard (no key); "xp" is a word like any other.
    ["alpha", "a", "beta", "b", "rc", "c", "dev", "pre", "post", "sp", "r", "u", "xp", "final"]
)
_separators = st.sampled_from([".", "-", "_", " ", "", "+", "~"])
version_like = st.builds(
    lambda first, rest: str(first) + "".join(sep + tok for sep, tok in rest),
    _numbers,
    st.lists(st.tuples(_separators, st.one_of(_tokens, _numbers.map(str))), max_size=6),
)
any_text = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), max_size=40
)


def _stripped(numbers: list[int]) -> tuple[int, ...]:
    while numbers and numbers[-1] == 0:
        numbers = numbers[:-1]
    return tuple(numbers)


def _sign(a: str, b: str) -> int:
    return (a > b) - (a < b)


@PROPERTY
@given(dotted, dotted)
def test_dotted_versions_order_like_integer_tuples(a: str, b: str) -> None:
    tuple_a = _stripped([int(n) for n in a.split(".")])
    tuple_b = _stripped([int(n) for n in b.split(".")])
    expected = (tuple_a > tuple_b) - (tuple_a < tuple_b)
    assert compare_versions(a, b) == expected


@PROPERTY
@given(version_like, version_like)
def test_key_order_matches_compare_order(a: str, b: str) -> None:
    assert _sign(_key(a), _key(b)) == compare_versions(a, b)


@PROPERTY
@given(version_like, version_like)
def test_compare_is_antisymmetric(a: str, b: str) -> None:
    assert compare_versions(a, b) == -compare_versions(b, a)


@PROPERTY
@given(st.lists(st.one_of(version_like, dotted), min_size=3, max_size=8))
def test_sorting_by_key_equals_sorting_by_compare(versions: list[str]) -> None:
    by_compare = sorted(versions, key=functools.cmp_to_key(compare_versions))
    by_key = sorted(versions, key=_key)
    assert [_key(v) for v in by_compare] == [_key(v) for v in by_key]
    # Transitivity: each adjacent pair is ordered, so the whole chain is.
    for left, right in zip(by_compare, by_compare[1:], strict=False):
        assert compare_versions(left, right) <= 0


@PROPERTY
@given(version_like, version_like, version_like)
def test_compare_is_transitive(a: str, b: str, c: str) -> None:
    if compare_versions(a, b) <= 0 and compare_versions(b, c) <= 0:
        assert compare_versions(a, c) <= 0


@PROPERTY
@given(any_text)
def test_any_text_yields_printable_bounded_key_or_none(text: str) -> None:
    key = version_key(text)
    if key is not None:
        assert len(key) <= KEY_MAX_LENGTH
        assert all(c in string.printable and c not in string.whitespace for c in key)
        assert version_key(text) == key


@PROPERTY
@given(version_like)
def test_describe_key_round_trips_to_same_key(version: str) -> None:
    assert _key(describe_key(_key(version))) == _key(version)


# --- ecosystem schemes --------------------------------------------------------

SCHEME_PAIRS = [
    ("deb", "2.4.47-2", "2.4.47-2+deb10u1", "debian_security_suffix_sorts_after"),
    ("deb", "2.4.47-2+deb10u1", "2.4.47-2+deb10u2", "debian_security_suffixes_in_order"),
    ("deb", "2.4.47-2+deb10u1", "2.4.47-3", "debian_suffix_before_next_revision"),
    ("deb", "1.0~git20200101", "1.0", "debian_tilde_before_release"),
    ("deb", "1.0~~", "1.0~", "debian_double_tilde_first"),
    ("deb", "1.0~beta2", "1.0~rc1", "debian_tilde_prereleases_in_order"),
    ("deb", "1:9.9", "2:1.0", "debian_epoch_wins"),
    ("rpm", "1.0~rc1", "1.0", "rpm_tilde_before_release"),
    ("pypi", "1.0", "1.0+local.1", "pep440_local_after_public"),
]


@pytest.mark.parametrize(
    ("scheme", "lower", "higher"),
    [p[:3] for p in SCHEME_PAIRS],
    ids=[p[3] for p in SCHEME_PAIRS],
)
def test_scheme_specific_ordering(scheme: str, lower: str, higher: str) -> None:
    assert compare_versions(lower, higher, scheme=scheme) == -1
    lower_key = version_key(lower, scheme=scheme)
    higher_key = version_key(higher, scheme=scheme)
    assert lower_key is not None and higher_key is not None
    assert lower_key < higher_key


def test_default_scheme_ignores_plus_suffix_like_semver() -> None:
    assert compare_versions("2.4.47-2+deb10u1", "2.4.47-2") == 0
    assert compare_versions("2.4.47-2+deb10u1", "2.4.47-2", scheme="npm") == 0


def test_tilde_is_only_a_separator_by_default() -> None:
    assert compare_versions("1.0~1", "1.0.1") == 0
