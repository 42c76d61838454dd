"""The front door for range and version texts: every shape real advisories use, read exactly or
sent to review with a reason, and properties that hold for any text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vendors.matching.freetext import VERSION_WORDS
from vendors.matching.ranges import Interval, VersionRange
from vendors.matching.reading import (
    Reading,
    Unparseable,
    describe_range,
    describe_reading,
    read_range,
)
from vendors.matching.versions import describe_key, parse_version, version_key

PROPERTY = settings(max_examples=400, deadline=None, database=None)

# (text, versions just inside, versions just outside, the caveat or "", id): the shapes of
# issue 17, each with examples of our own.
SHAPES = [
    # vers strings that left out the "|" between their constraints
    (
        "vers:generic/>=V4.10<V5.30",
        ["4.10", "V5.29.9", "5.30-rc1"],
        ["4.9.9", "5.30", "4.10-rc1"],
        "",
        "vers_without_bar",
    ),
    ("vers:all/>V1.0<=V1.8", ["1.0.1", "1.8"], ["1.0", "1.8.1"], "", "vers_without_bar_all"),
    (
        "vers:generic/>=2.0<2.5|>=3.0<3.2",
        ["2.0", "2.4.9", "3.1.9"],
        ["1.9", "2.5", "2.9", "3.2"],
        "",
        "vers_bar_left_out_in_one_pair",
    ),
    # prose glued to the version with underscores: the version, and the rest as the caveat
    (
        "<V7.15_installed_on_AB300_controllers",
        ["7.14.9", "V7.14", "1.0"],
        ["7.15", "7.15.1"],
        "installed on AB300 controllers",
        "condition_after_underscores",
    ),
    (
        ">=V3.2.1_<V3.4.0_only_when_produced_before_2019",
        ["3.2.1", "3.3.9"],
        ["3.2.0", "3.4.0"],
        "only when produced before 2019",
        "two_constraints_then_a_date_condition",
    ),
    (
        "<V6.2_in_combination_with_Editor_<=V1.4",
        ["6.1.9"],
        ["6.2", "6.3"],
        "in combination with Editor <= V1.4",
        "condition_naming_another_products_version",
    ),
    (
        "< 8.1 when the web server is enabled",
        ["8.0.5"],
        ["8.1"],
        "when the web server is enabled",
        "condition_after_spaces",
    ),
    (
        "vers:generic/<V2.3_with_the_option_module",
        ["2.2"],
        ["2.3"],
        "with the option module",
        "condition_inside_a_vers_string",
    ),
    (
        "All versions on XM-5 gateways",
        ["0.1", "99"],
        [],
        "on XM-5 gateways",
        "all_versions_with_a_condition",
    ),
    # one fixed version per branch in one bound
    (
        "<v9.040_v8.052_v7.061",
        ["6.5", "7.060", "8.0", "8.051", "9.0", "9.039", "8.0-rc1"],
        ["7.061", "7.070", "8.052", "8.060", "9.040", "10.0"],
        "",
        "fix_per_branch_major",
    ),
    (
        "<=2.4.7 2.3.12 2.2.20",
        ["1.9", "2.2.20", "2.3.0", "2.3.12", "2.4.7"],
        ["2.2.21", "2.3.13", "2.4.8", "2.5"],
        "",
        "fix_per_branch_minor_inclusive",
    ),
    # alternate names of one release: a year name and a version number
    (
        "< 2021 (5.3.0)",
        ["5.2.9", "0.9", "2020", "2020 SP1"],
        ["5.3.0", "6.0", "2021", "2022"],
        "",
        "year_name_and_number",
    ),
    (
        "< V7.1b (2022 R1)",
        ["7.1", "7.1a", "2021 R3", "2022"],
        ["7.1b", "7.2", "2022 R1", "2023"],
        "",
        "revision_letter_and_year_name",
    ),
    # ... and two names that sort differently within one scheme: possible between them
    (
        "< V4.2 SP3 (4.2.870)",
        ["4.2 SP2", "4.2.860", "4.1"],
        ["4.2.870", "4.3"],
        "V4.2 SP3 and 4.2.870 name one release: a version between the two may or may not be"
        " affected",
        "two_names_one_scheme",
    ),
    (">= 2019 (4.0)", ["2019", "2020", "4.0", "4.5"], ["2018", "3.9"], "", "year_name_lower"),
    # a letter after the number is a vendor revision, not a pre-release
    ("< V6.4c", ["6.4", "6.4b", "6.3z"], ["6.4c", "6.4d", "6.5"], "", "revision_letter_upper"),
    ("<= 5.0a", ["5.0", "5.0a"], ["5.0b", "5.0.1"], "", "revision_letter_inclusive"),
    # wildcards
    (
        "< V3.X.7",
        ["3.0.6", "3.9.9", "2.1"],
        ["4.0", "4.0-rc1"],
        "only versions < V3.X.7 within their own branch",
        "wildcard_inside_a_bound",
    ),
    ("<= 9.x", ["9.99", "9.0", "8", "9.0-rc1"], ["10.0", "10.0-rc1"], "", "wildcard_upper"),
    ("< 9.x", ["8.9"], ["9.0", "9.0-rc1"], "", "wildcard_exclusive_upper"),
    ("> 5.x", ["6.0", "6.0-rc1"], ["5.9", "5.0"], "", "wildcard_exclusive_lower"),
    ("4.7.X", ["4.7", "4.7.0-rc1", "4.7.15"], ["4.6.99", "4.8", "4.8.0-rc1"], "", "wildcard_exact"),
    ("2.4.*", ["2.4.3"], ["2.5"], "", "star_wildcard"),
    ("21XXXXXX", ["21000000", "21999999"], ["20999999", "22000000"], "", "digit_wildcard"),
    # labels before the version
    ("FW20", ["20", "20.0"], ["20.1", "19"], "", "glued_firmware_label"),
    ("SW3.1", ["3.1"], ["3.1.1"], "", "glued_software_label"),
    ("firmware_07", ["7"], ["7.1", "8"], "", "firmware_label_with_underscore"),
    ("Firmware version 2.1", ["2.1"], ["2.2"], "", "firmware_version_words"),
    ("XC4 <= 3.2.5", ["3.2.5", "1.0"], ["3.2.6"], "applies to XC4", "model_label"),
    ("XC4 versions < 3.2.5", ["3.2.4"], ["3.2.5"], "applies to XC4", "model_label_versions"),
    # an update written "Upd" with a space
    (
        "< 2018 Upd 3",
        ["2018 Update 2", "2018 Upd 2", "2018"],
        ["2018 Update 3", "2018 Upd 4", "2019"],
        "",
        "upd_with_a_space",
    ),
    # bounds marked (including) / (excluding)
    (
        "between V4.0 (including) and V4.0.5 (excluding)",
        ["4.0", "4.0.4"],
        ["3.9", "4.0.5"],
        "",
        "between_marked_bounds",
    ),
    (
        "from 2.1 (excluding) to 2.4 (including)",
        ["2.1.1", "2.4"],
        ["2.1", "2.4.1"],
        "",
        "from_to_marked_bounds",
    ),
    # product_version names that are ranges in disguise
    ("3.1.X", ["3.1.0", "3.1.99"], ["3.2", "3.0.9"], "", "product_version_wildcard"),
    ("V210-V214", ["210", "212.5", "214"], ["209", "214.1"], "", "product_version_v_dash"),
]

# (text, a fragment of the reason, id): what cannot be read, and why.
REVIEW = [
    ("<= D", "letter-only revision", "letter_only"),
    ("< Rev. C", "not a recognisable version", "letter_only_with_label"),
    ("No version", "names no version", "no_version"),
    ("Serial number < 1934", "serial-number or date", "serial_number"),
    ("units produced before 2020-06", "serial-number or date", "production_date"),
    ("< 2021-03-15", "serial-number or date", "date_as_version"),
    ("3.2-3.6", "could be a range or a single version", "unspaced_dash"),
    ("< 4.2 on Windows and >= 5.0", "more versions follow the condition", "condition_then_more"),
    ("(x64) and >= 5.0", "not a recognisable version or range", "condition_first"),
    ("!= V2.X.1", "excludes versions in every branch", "hole_with_inner_wildcard"),
    ("<1.5 1.5.1", "cannot tell which branch", "fixes_in_one_branch"),
    (">= 1.2 1.3.4", "only understood after '<'", "fixes_after_lower_bound"),
    ("vers:generic/<2.x", "invalid vers string", "vers_with_wildcard"),
    ("vers:generic/<1.0 on X|<2.0", "more versions follow the condition", "vers_condition"),
    ("2.*beta", "wildcard is only understood after a version number", "wildcard_glued"),
]

# Forms the reader understood before this round and still reads the same way.
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
    ("vers:generic/>=21.0|<21.3.10", ["21.1"], ["21.3.10"], "vers"),
    ("vers:npm/>=1.0.0|<1.2.0|!=1.1.5", ["1.1.4"], ["1.1.5", "1.2.0"], "vers_with_hole"),
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
    ("< V0209_0105", ["208.9", "209.104"], ["209.105"], "underscore_between_digits"),
]

UNPARSEABLE = [
    ("see vendor site", "not a recognisable version", "prose"),
    ("latest", "not a recognisable version", "latest"),
    ("versions with firmware from 2019", "not a recognisable version", "firmware_prose"),
    ("2019 firmware", "not a recognisable version ('firmware')", "trailing_label_word"),
    ("", "empty", "empty"),
    ("   ", "empty", "blank"),
    ("n/a", "names no version", "not_applicable"),
    ("none", "names no version", "none_is_not_empty_range"),
    ("up to 3.0", "'up to' does not say whether", "ambiguous_up_to"),
    ("3.4 through 3.0", "after its end", "reversed_range"),
    (">=2.0 <1.0", "excludes every version", "contradictory_and"),
    ("vers:npm/>=2|>=3", "invalid vers string", "bad_vers"),
    (">= 2.0 | >= 3.0", "must be followed by an upper bound", "bad_pipe_sequence"),
    (">= 1.0 <2.0 | >= 3.0", "exactly one constraint", "mixed_pipe_and_space"),
    ("1.0 < 2.0", "unexpected text before the first comparator", "text_before_comparator"),
    (">=", "missing its version", "comparator_only"),
    (">= latest", "not a recognisable version", "comparator_with_prose"),
    ("1.0 ||", "empty alternative", "empty_alternative"),
    ("Versions", "not a recognisable version", "bare_versions_word"),
    ("all supported releases", "not a recognisable version", "all_narrowed_by_prose"),
]


def _read(text: str) -> Reading:
    reading = read_range(text)
    assert isinstance(reading, Reading), reading
    return reading


def _assert_inside_and_outside(reading: Reading, inside: list[str], outside: list[str]) -> None:
    for version in inside:
        assert reading.range.contains(version) is True, f"{version} should be inside"
    for version in outside:
        assert reading.range.contains(version) is False, f"{version} should be outside"


@pytest.mark.parametrize(
    ("text", "inside", "outside", "caveat"),
    [shape[:4] for shape in SHAPES],
    ids=[shape[4] for shape in SHAPES],
)
def test_each_shape_is_read_as_it_means(
    text: str, inside: list[str], outside: list[str], caveat: str
) -> None:
    reading = _read(text)
    _assert_inside_and_outside(reading, inside, outside)
    assert reading.caveat == caveat


@pytest.mark.parametrize(("text", "reason"), [r[:2] for r in REVIEW], ids=[r[2] for r in REVIEW])
def test_what_cannot_be_read_goes_to_review_with_its_reason(text: str, reason: str) -> None:
    result = read_range(text)
    assert isinstance(result, Unparseable), result
    assert reason in result.reason


@pytest.mark.parametrize(
    ("text", "inside", "outside"), [p[:3] for p in PARSED], ids=[p[3] for p in PARSED]
)
def test_earlier_forms_are_still_understood(
    text: str, inside: list[str], outside: list[str]
) -> None:
    reading = _read(text)
    _assert_inside_and_outside(reading, inside, outside)
    assert reading.caveat == ""


@pytest.mark.parametrize(
    ("text", "reason"), [u[:2] for u in UNPARSEABLE], ids=[u[2] for u in UNPARSEABLE]
)
def test_unclear_text_is_unparseable_with_reason(text: str, reason: str) -> None:
    result = read_range(text)
    assert isinstance(result, Unparseable), result
    assert reason in result.reason


def test_the_version_before_a_condition_keeps_no_word_of_it() -> None:
    reading = _read("<V4.12_installed_on_XY200_devices")
    (interval,) = reading.range.intervals
    assert interval.upper == version_key("4.12")
    # Read as a version, the whole text would have put 4.12 itself inside the range.
    assert reading.range.contains("4.12") is False


def test_a_vers_string_and_the_same_constraints_in_words_agree() -> None:
    assert _read("vers:npm/>=1.0.0|<1.2.0|!=1.1.5") == _read(">=1.0.0 <1.2.0 !=1.1.5")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("all versions", "all versions"),
        (">= 7.80 <9.40", "≥ 7.80 and < 9.40"),
        ("3.0 through 3.4", "≥ 3 and ≤ 3.4"),
        ("1.2.3", "= 1.2.3"),
        ("!= 1.5", "< 1.5 or > 1.5"),
        ("before 2014 R2 SP1", "< 2014-r2-sp1"),
        ("<= 7.x", "< 8.x"),
        ("2.4.X", "≥ 2.4.x and < 2.5.x"),
        ("<v12.011_v11.013", "< 11.13 or ≥ 12.x and < 12.11"),
        (
            "<V4.12_installed_on_XY200_devices",
            "< 4.12 — condition: installed on XY200 devices",
        ),
    ],
    ids=[
        "all",
        "half_open",
        "inclusive",
        "exact",
        "hole",
        "vendor",
        "family_upper",
        "family",
        "branches",
        "caveat",
    ],
)
def test_a_reading_is_shown_as_people_check_it(text: str, shown: str) -> None:
    assert describe_reading(_read(text)) == shown


def test_describe_empty_range() -> None:
    assert describe_range(VersionRange.EMPTY) == "no versions"


# Property tests: texts built from versions, comparators, range words and prose.

PROSE_WORDS = (
    "installed",
    "devices",
    "only",
    "when",
    "connection",
    "tool",
    "controllers",
    "enabled",
    "configured",
    "running",
    "windows",
    "option",
    "module",
    "gateway",
)
assert not set(PROSE_WORDS) & VERSION_WORDS

_numbers = st.lists(st.integers(0, 40), min_size=1, max_size=4).map(
    lambda parts: ".".join(map(str, parts))
)
_versions = st.builds(
    lambda prefix, number, suffix: f"{prefix}{number}{suffix}",
    st.sampled_from(["", "V", "v", "R"]),
    _numbers,
    st.sampled_from(["", "a", "b", "rc1", " SP2", " Update 3", " Upd 1", ".x", "-beta2"]),
)
_comparators = st.sampled_from(["<", "<=", ">", ">=", "=", "", "!="])
_prose = st.lists(st.sampled_from(PROSE_WORDS), min_size=1, max_size=4)
_separators = st.sampled_from(["_", " "])


@st.composite
def _texts(draw: st.DrawFn) -> str:
    separator = draw(_separators)
    constraints = [f"{draw(_comparators)}{draw(_versions)}" for _ in range(draw(st.integers(1, 3)))]
    joiner = draw(st.sampled_from([separator, " | ", ", ", " and ", " || "]))
    text = joiner.join(constraints)
    if draw(st.booleans()):
        text += separator + separator.join(draw(_prose))
    if draw(st.booleans()):
        # A vers string has no spaces; its words are joined by underscores.
        text = "vers:generic/" + text.replace(" ", "_")
    return text


def _words_in_key(key: str) -> set[str]:
    return set(re.findall(r"[a-z]+", describe_key(key)))


def _to_vers(version_range: VersionRange) -> str:
    """A range written as a vers string: canonical versions for the bounds; two intervals that
    meet at an excluded version are one pair with a '!=' hole."""
    if version_range.is_all:
        return "vers:generic/*"
    groups: list[list[Interval]] = []
    for interval in version_range.intervals:
        if groups and groups[-1][-1].upper == interval.lower:
            groups[-1].append(interval)
        else:
            groups.append([interval])
    constraints: list[str] = []
    holes: list[str] = []
    for group in groups:
        first, last = group[0], group[-1]
        holes += [f"!={describe_key(i.lower)}" for i in group[1:] if i.lower is not None]
        if first.is_point and first.lower is not None:
            constraints.append(f"={describe_key(first.lower)}")
            continue
        if first.lower is not None:
            constraints.append(
                f"{'>=' if first.lower_inclusive else '>'}{describe_key(first.lower)}"
            )
        if last.upper is not None:
            constraints.append(f"{'<=' if last.upper_inclusive else '<'}{describe_key(last.upper)}")
    return "vers:generic/" + "|".join([*constraints, *holes])


@PROPERTY
@given(_texts())
def test_a_reading_written_back_as_vers_reads_the_same(text: str) -> None:
    reading = read_range(text)
    if isinstance(reading, Unparseable):
        assert reading.reason
        return
    assert not reading.range.is_empty
    again = read_range(_to_vers(reading.range))
    assert isinstance(again, Reading), (_to_vers(reading.range), again)
    assert again.range == reading.range


@PROPERTY
@given(_texts())
def test_no_version_key_ever_holds_a_word_of_prose(text: str) -> None:
    reading = read_range(text)
    if isinstance(reading, Unparseable):
        return
    for interval in reading.range.intervals:
        for key in (interval.lower, interval.upper):
            if key is not None:
                assert not _words_in_key(key) & set(PROSE_WORDS), (text, key)


@PROPERTY
@given(_texts(), _versions)
def test_a_version_is_never_both_inside_and_outside_a_reading(text: str, version: str) -> None:
    reading = read_range(text)
    key = version_key(version)
    if isinstance(reading, Unparseable) or key is None:
        return
    holding = [interval for interval in reading.range.intervals if interval.contains_key(key)]
    assert len(holding) <= 1
    assert reading.range.contains_key(key) is not reading.range.complement().contains_key(key)


@PROPERTY
@given(_versions, _versions, _versions, st.booleans(), st.booleans())
def test_keys_and_the_version_order_agree_on_every_interval(
    low: str, high: str, version: str, low_inclusive: bool, high_inclusive: bool
) -> None:
    parsed = [parse_version(text) for text in (low, high, version)]
    if any(p is None for p in parsed) or parsed[0] > parsed[1]:  # type: ignore[operator]
        return
    first, last, middle = parsed
    assert first is not None and last is not None and middle is not None
    if first == last and not (low_inclusive and high_inclusive):
        return
    interval = Interval(first.key, low_inclusive, last.key, high_inclusive)
    by_order = (first < middle or (low_inclusive and first == middle)) and (
        middle < last or (high_inclusive and middle == last)
    )
    assert interval.contains_key(middle.key) is by_order


_pieces = st.sampled_from(
    ["1.0", "2.3x", "<", ">=", "<=", "!=", "|", "||", " ", ",", "and", "to", "-", "all", "x", "v"]
)


@PROPERTY
@given(st.one_of(st.text(max_size=30), st.lists(_pieces, max_size=8).map("".join)))
def test_never_raises_and_never_silently_matches_nothing(text: str) -> None:
    result = read_range(text)
    if isinstance(result, Reading):
        assert not result.range.is_empty
    else:
        assert result.reason
