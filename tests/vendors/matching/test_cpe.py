"""Tests for CPE 2.3 parsing, NISTIR 7696 matching and NVD version bounds."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vendors.matching.cpe import (
    ANY,
    NA,
    Cpe,
    CpeError,
    CpeValue,
    Fit,
    Relation,
    ValueKind,
    attribute_fit,
    compare_cpes,
    compare_values,
    cpe_applicability,
    cpe_applies,
    cpe_name_matches,
    cpe_part,
    cpe_vendor_product,
    nvd_version_range,
    parse_cpe23,
    parse_product_cpe,
    part_code,
    part_fit,
    part_value,
    product_cpe_name,
)

PROPERTY = settings(max_examples=300, deadline=None, database=None)


def product(raw: str) -> CpeValue:
    """Parse ``raw`` as the product attribute of an otherwise fixed name."""
    return parse_cpe23(f"cpe:2.3:a:vendor:{raw}:1.0:*:*:*:*:*:*:*").product


def cpe(text: str) -> Cpe:
    return parse_cpe23(text)


# --- parsing ----------------------------------------------------------------


def test_parses_all_eleven_attributes() -> None:
    parsed = cpe("cpe:2.3:a:microsoft:sql_server:2014:sp1:*:*:*:*:x64:*")
    assert parsed.part == CpeValue(ValueKind.VALUE, "a")
    assert parsed.vendor.literal == "microsoft"
    assert parsed.product.literal == "sql_server"
    assert parsed.version.literal == "2014"
    assert parsed.update.literal == "sp1"
    assert parsed.edition is ANY
    assert parsed.target_hw.literal == "x64"
    assert parsed.other.is_any
    assert len(parsed.values()) == 11


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("*", ANY),
        ("-", NA),
        ("\\-", CpeValue(ValueKind.VALUE, "-")),
        ("\\*", CpeValue(ValueKind.VALUE, "*")),
        ("foo\\:bar", CpeValue(ValueKind.VALUE, "foo:bar")),
        ("c\\+\\+", CpeValue(ValueKind.VALUE, "c++")),
        ("c++", CpeValue(ValueKind.VALUE, "c++")),
        ("back\\\\slash", CpeValue(ValueKind.VALUE, "back\\slash")),
        ("SQL_Server", CpeValue(ValueKind.VALUE, "sql_server")),
        ("foo*", CpeValue(ValueKind.VALUE, "foo", suffix="*")),
        ("*foo", CpeValue(ValueKind.VALUE, "foo", prefix="*")),
        ("*foo*", CpeValue(ValueKind.VALUE, "foo", prefix="*", suffix="*")),
        ("??foo?", CpeValue(ValueKind.VALUE, "foo", prefix="??", suffix="?")),
        ("foo\\*", CpeValue(ValueKind.VALUE, "foo*")),
        ("\\?foo", CpeValue(ValueKind.VALUE, "?foo")),
        ("-foo", CpeValue(ValueKind.VALUE, "-foo")),
    ],
    ids=[
        "star_is_any",
        "dash_is_na",
        "quoted_dash_is_literal",
        "quoted_star_is_literal",
        "quoted_colon",
        "quoted_plus",
        "unquoted_plus_tolerated",
        "quoted_backslash",
        "lowercased",
        "trailing_star_wildcard",
        "leading_star_wildcard",
        "both_star_wildcards",
        "question_mark_runs",
        "quoted_star_at_end_is_literal",
        "quoted_question_mark_is_literal",
        "dash_inside_value",
    ],
)
def test_attribute_value_parsing(raw: str, expected: CpeValue) -> None:
    assert product(raw) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cpe:/a:microsoft:sql_server:2014", "must start with 'cpe:2.3:'"),
        ("microsoft sql server", "must start with 'cpe:2.3:'"),
        ("cpe:2.3:a:v:p:1:*:*:*:*:*:*", "has 10 attributes"),
        ("cpe:2.3:a:v:p:1:*:*:*:*:*:*:*:*", "has 12 attributes"),
        ("cpe:2.3:a::p:1:*:*:*:*:*:*:*", "vendor is empty"),
        ("cpe:2.3:a:v:p:1:*:*:*:*:*:*:*\\", "dangling"),
        ("cpe:2.3:a:v:p*x:1:*:*:*:*:*:*:*", "wildcard in the middle"),
        ("cpe:2.3:a:v:p?x:1:*:*:*:*:*:*:*", "wildcard in the middle"),
        ("cpe:2.3:a:v:**:1:*:*:*:*:*:*:*", "invalid wildcard sequence"),
        ("cpe:2.3:a:v:*?p:1:*:*:*:*:*:*:*", "invalid wildcard sequence"),
        ("cpe:2.3:a:v:p?*:1:*:*:*:*:*:*:*", "invalid wildcard sequence"),
        ("cpe:2.3:a:v:??:1:*:*:*:*:*:*:*", "no literal text"),
        ("cpe:2.3:a:v:my product:1:*:*:*:*:*:*:*", "invalid character ' '"),
        ("cpe:2.3:a:v:caf\u00e9:1:*:*:*:*:*:*:*", "invalid character"),
        ("cpe:2.3:x:v:p:1:*:*:*:*:*:*:*", "part must be"),
        ("cpe:2.3:a*:v:p:1:*:*:*:*:*:*:*", "part must be"),
    ],
    ids=[
        "cpe22_uri",
        "not_a_cpe",
        "too_few_attributes",
        "too_many_attributes",
        "empty_attribute",
        "dangling_escape",
        "embedded_star",
        "embedded_question_mark",
        "double_star",
        "star_then_question",
        "question_then_star",
        "only_wildcards",
        "whitespace",
        "non_ascii",
        "unknown_part",
        "wildcard_part",
    ],
)
def test_invalid_cpe_is_rejected(text: str, message: str) -> None:
    with pytest.raises(CpeError, match=message.replace("*", r"\*").replace("?", r"\?")):
        parse_cpe23(text)


def test_prefix_is_case_insensitive_and_output_is_canonical() -> None:
    parsed = cpe("  CPE:2.3:A:Microsoft:SQL_Server:2014:*:*:*:*:*:*:*  ")
    assert parsed.to_fs() == "cpe:2.3:a:microsoft:sql_server:2014:*:*:*:*:*:*:*"
    assert str(parsed) == parsed.to_fs()


def test_prefix_helpers() -> None:
    parsed = cpe("cpe:2.3:a:foo\\!bar:c\\+\\+:1.0:*:*:*:*:*:*:*")
    assert parsed.to_fs_prefix() == "cpe:2.3:a:foo\\!bar:c\\+\\+:"
    assert parsed.to_uri_prefix() == "cpe:/a:foo%21bar:c%2b%2b"
    wild = cpe("cpe:2.3:*:-:prod*:1.0:*:*:*:*:*:*:*")
    assert wild.to_uri_prefix() == "cpe:/:-:prod%02"


def test_cpe_error_is_a_value_error() -> None:
    assert issubclass(CpeError, ValueError)


_literal = st.text(alphabet=string.ascii_lowercase + string.digits + "_.-+!:\\*?~", min_size=1)
_value = st.one_of(
    st.just(ANY),
    st.just(NA),
    st.builds(lambda lit: CpeValue(ValueKind.VALUE, lit), _literal),
    st.builds(
        lambda lit, pre, suf: CpeValue(ValueKind.VALUE, lit, pre, suf),
        _literal,
        st.sampled_from(["", "*", "?", "??"]),
        st.sampled_from(["", "*", "?"]),
    ),
)


@PROPERTY
@given(st.lists(_value, min_size=10, max_size=10), st.sampled_from(["a", "o", "h"]))
def test_formatted_string_round_trips(values: list[CpeValue], part: str) -> None:
    original = Cpe(CpeValue(ValueKind.VALUE, part), *values)
    assert parse_cpe23(original.to_fs()) == original


# --- NISTIR 7696 attribute comparison (Table 6-2) ---------------------------

TABLE_6_2 = [
    ("*", "*", Relation.EQUAL, "1_any_vs_any"),
    ("*", "-", Relation.SUPERSET, "2_any_vs_na"),
    ("*", "foo", Relation.SUPERSET, "3_any_vs_value"),
    ("*", "foo*", Relation.UNDEFINED, "4_any_vs_wildcard_target"),
    ("-", "*", Relation.SUBSET, "5_na_vs_any"),
    ("-", "-", Relation.EQUAL, "6_na_vs_na"),
    ("-", "foo", Relation.DISJOINT, "7_na_vs_value"),
    ("-", "foo*", Relation.UNDEFINED, "8_na_vs_wildcard_target"),
    ("foo", "*", Relation.SUBSET, "9_value_vs_any"),
    ("foo", "-", Relation.DISJOINT, "10_value_vs_na"),
    ("foo", "foo", Relation.EQUAL, "11_same_value"),
    ("foo", "bar", Relation.DISJOINT, "11_different_value"),
    ("foo", "f*", Relation.UNDEFINED, "12_value_vs_wildcard_target"),
    ("foo*", "*", Relation.SUBSET, "13_wildcard_vs_any"),
    ("foo*", "-", Relation.DISJOINT, "14_wildcard_vs_na"),
    ("foo*", "foobar", Relation.SUPERSET, "15_wildcard_matches"),
    ("foo*", "barfoo", Relation.DISJOINT, "15_wildcard_does_not_match"),
    ("foo*", "fo*", Relation.UNDEFINED, "16_wildcard_vs_wildcard"),
    ("Foo", "fOO", Relation.EQUAL, "case_insensitive"),
    ("*bar", "foobar", Relation.SUPERSET, "leading_star"),
    ("*oba*", "foobar", Relation.SUPERSET, "star_both_ends"),
    ("foo*", "foo", Relation.SUPERSET, "star_matches_nothing"),
    ("foo?", "foo1", Relation.SUPERSET, "question_matches_one"),
    ("foo?", "foo", Relation.SUPERSET, "question_may_match_none"),
    ("foo?", "foo12", Relation.DISJOINT, "question_not_two"),
    ("???bar", "foobar", Relation.SUPERSET, "three_questions_three_chars"),
    ("??bar", "foobar", Relation.DISJOINT, "two_questions_not_three_chars"),
    ("*ab?", "abab", Relation.SUPERSET, "later_occurrence_used"),
    ("?ab", "xxab", Relation.DISJOINT, "first_occurrence_too_far"),
    ("foo\\*", "foo\\*", Relation.EQUAL, "quoted_star_is_literal"),
    ("foo\\?", "foox", Relation.DISJOINT, "quoted_question_is_literal"),
]


@pytest.mark.parametrize(
    ("source", "target", "relation"),
    [row[:3] for row in TABLE_6_2],
    ids=[row[3] for row in TABLE_6_2],
)
def test_attribute_comparison(source: str, target: str, relation: Relation) -> None:
    assert compare_values(product(source), product(target)) is relation


MS_2014 = "cpe:2.3:a:microsoft:sql_server:2014:*:*:*:*:*:*:*"
MS_2014_SP1_X64 = "cpe:2.3:a:microsoft:sql_server:2014:sp1:*:*:*:*:x64:*"

NAMES = [
    (MS_2014, MS_2014, Relation.EQUAL, True, "identical"),
    (MS_2014, MS_2014_SP1_X64, Relation.SUPERSET, True, "any_update_covers_sp1"),
    (MS_2014_SP1_X64, MS_2014, Relation.SUBSET, False, "specific_source_is_subset"),
    (MS_2014, MS_2014.replace("2014", "2016"), Relation.DISJOINT, False, "other_version"),
    (MS_2014, MS_2014.replace("microsoft", "oracle"), Relation.DISJOINT, False, "other_vendor"),
    (MS_2014, MS_2014.replace("sql_server", "sql*"), Relation.UNDEFINED, False, "wild_target"),
    (
        "cpe:2.3:a:microsoft:sql_*:2014:*:*:*:*:*:*:*",
        MS_2014_SP1_X64,
        Relation.SUPERSET,
        True,
        "wildcard_source",
    ),
    (
        "cpe:2.3:a:microsoft:sql_server:2014:-:*:*:*:*:*:*",
        MS_2014_SP1_X64,
        Relation.DISJOINT,
        False,
        "na_update_excludes_sp1",
    ),
    (
        "cpe:2.3:a:microsoft:sql_server:2014:-:*:*:*:*:*:*",
        "cpe:2.3:a:microsoft:sql_server:2014:-:*:*:*:*:*:*",
        Relation.EQUAL,
        True,
        "na_update_matches_na",
    ),
    (
        "cpe:2.3:a:microsoft:sql_server:2014:-:*:*:*:*:*:*",
        MS_2014,
        Relation.SUBSET,
        False,
        "na_source_vs_any_target",
    ),
    (
        "cpe:2.3:*:microsoft:sql_server:*:*:*:*:*:*:*:*",
        "cpe:2.3:a:Microsoft:SQL_Server:2014:*:*:*:*:*:*:*",
        Relation.SUPERSET,
        True,
        "case_insensitive_any_part",
    ),
    (
        "cpe:2.3:a:microsoft:sql_server:2014:*:*:*:*:*:x64:*",
        "cpe:2.3:a:microsoft:sql_server:2014:sp1:*:*:*:*:x86:*",
        Relation.DISJOINT,
        False,
        "target_hw_differs",
    ),
]


@pytest.mark.parametrize(
    ("source", "target", "relation", "matches"),
    [row[:4] for row in NAMES],
    ids=[row[4] for row in NAMES],
)
def test_name_matching(source: str, target: str, relation: Relation, matches: bool) -> None:
    assert compare_cpes(cpe(source), cpe(target)) is relation
    assert cpe_name_matches(cpe(source), cpe(target)) is matches


# --- NVD configurations with version bounds ---------------------------------

LOG4J = "cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*"


def log4j(version: str) -> Cpe:
    return cpe(f"cpe:2.3:a:apache:log4j:{version}:*:*:*:*:*:*:*")


BOUNDS = [
    ({"version_start_including": "2.0", "version_end_excluding": "2.15.0"}, "2.0", True),
    ({"version_start_including": "2.0", "version_end_excluding": "2.15.0"}, "2.14.1", True),
    ({"version_start_including": "2.0", "version_end_excluding": "2.15.0"}, "2.15.0", False),
    ({"version_start_including": "2.0", "version_end_excluding": "2.15.0"}, "1.2.17", False),
    ({"version_start_including": "2.0", "version_end_excluding": "2.15.0"}, "2.15.0-rc1", True),
    ({"version_start_excluding": "1.0"}, "1.0", False),
    ({"version_start_excluding": "1.0"}, "1.0.1", True),
    ({"version_end_including": "3.0"}, "3.0.0", True),
    ({"version_end_including": "3.0"}, "3.0.1", False),
    ({"version_end_excluding": "3.0"}, "2.99", True),
    ({"version_start_including": "2.0-beta9", "version_end_including": "2.12.1"}, "2.0", True),
]


@pytest.mark.parametrize(
    ("bounds", "version", "applies"),
    BOUNDS,
    ids=[
        "start_including_bound_is_in",
        "inside",
        "end_excluding_bound_is_out",
        "below_start",
        "prerelease_of_excluded_end_is_in",
        "start_excluding_bound_is_out",
        "just_above_start_excluding",
        "end_including_equivalent_spelling",
        "above_end_including",
        "only_end_excluding",
        "prerelease_start",
    ],
)
def test_nvd_bounds(bounds: dict[str, str], version: str, applies: bool) -> None:
    assert cpe_applies(cpe(LOG4J), log4j(version), **bounds) is applies
    assert cpe_applicability(cpe(LOG4J), log4j(version), **bounds) is applies


@pytest.mark.parametrize("version", ["*", "-", "unknown"], ids=["any", "na", "unusable"])
def test_unknown_candidate_version_is_undecided(version: str) -> None:
    bounds = {"version_end_excluding": "2.15.0"}
    assert cpe_applicability(cpe(LOG4J), log4j(version), **bounds) is None
    assert cpe_applies(cpe(LOG4J), log4j(version), **bounds) is False


def test_bounds_still_require_the_rest_of_the_name() -> None:
    other = cpe("cpe:2.3:a:apache:tomcat:2.1:*:*:*:*:*:*:*")
    assert cpe_applicability(cpe(LOG4J), other, version_end_excluding="2.15.0") is False


def test_without_bounds_applies_is_name_matching() -> None:
    assert cpe_applies(cpe(MS_2014), cpe(MS_2014_SP1_X64))
    assert not cpe_applies(cpe(MS_2014_SP1_X64), cpe(MS_2014))


def test_bounds_need_any_version_in_match_string() -> None:
    with pytest.raises(CpeError, match="must have version ANY"):
        cpe_applies(cpe(MS_2014), cpe(MS_2014), version_end_excluding="2016")


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        (
            {"version_start_including": "1.0", "version_start_excluding": "1.1"},
            "mutually exclusive",
        ),
        ({"version_end_including": "1.0", "version_end_excluding": "1.1"}, "mutually exclusive"),
        ({"version_start_including": "2.0", "version_end_excluding": "1.0"}, "exclude every"),
        ({"version_start_excluding": "1.0", "version_end_including": "1.0"}, "exclude every"),
        ({"version_end_excluding": "n/a"}, "not a comparable version"),
    ],
    ids=["two_starts", "two_ends", "reversed", "open_point", "unusable_bound"],
)
def test_bad_bounds_are_rejected(bounds: dict[str, str], message: str) -> None:
    with pytest.raises(CpeError, match=message):
        nvd_version_range(**bounds)


def test_no_bounds_is_all_versions() -> None:
    assert nvd_version_range().is_all


def test_equal_inclusive_bounds_are_a_single_version() -> None:
    rng = nvd_version_range(version_start_including="1.0", version_end_including="1.0.0")
    assert rng.contains("1.0") is True
    assert rng.contains("1.0.1") is False


# --- vendor/product pre-filter ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (MS_2014, ("microsoft", "sql_server")),
        ("cpe:2.3:a:Microsoft:SQL_Server:*:*:*:*:*:*:*:*", ("microsoft", "sql_server")),
        ("cpe:2.3:a:foo\\!bar:c\\+\\+:1:*:*:*:*:*:*:*", ("foo!bar", "c++")),
        ("cpe:2.3:a:*:sql_server:*:*:*:*:*:*:*:*", None),
        ("cpe:2.3:a:microsoft:-:*:*:*:*:*:*:*:*", None),
        ("cpe:2.3:a:microsoft:sql*:*:*:*:*:*:*:*:*", None),
        ("not a cpe", None),
    ],
    ids=["plain", "lowercased", "unquoted", "any_vendor", "na_product", "wildcard", "invalid"],
)
def test_cpe_vendor_product(text: str, expected: tuple[str, str] | None) -> None:
    assert cpe_vendor_product(text) == expected


# --- the part (application, operating system, hardware) -------------------------

# Every pair of a match string's part and a candidate's. A candidate's part is "*" when its
# own CPE name leaves it open, "unknown" when nothing says it (a catalogue product whose part
# is not known, an item without a CPE name): both are stored as "". In each row, one letter
# per candidate part in PARTS order: C a confirmed match, P a possible one, - none.
# tests/exposure/test_cpe_parts.py holds the engine, SQL and Python alike, to the same grid.
PARTS = ("a", "o", "h", "*", "unknown")
PART_GRID = {
    "a": "C--PP",
    "o": "-C-PP",
    "h": "--CPP",
    "*": "CCCCC",
}
GRID_FIT = {"C": Fit.FITS, "P": Fit.UNDECIDED, "-": Fit.FAILS}


def stored_part(part: str) -> str:
    """The part as a row stores it: read from a CPE name, or "" when nothing says it."""
    return "" if part == "unknown" else cpe_part(f"cpe:2.3:{part}:acme:widget:1.0:*:*:*:*:*:*:*")


@pytest.mark.parametrize(
    ("source", "target"),
    [(source, target) for source in PART_GRID for target in PARTS],
    ids=[f"{source}_vs_{target}" for source in PART_GRID for target in PARTS],
)
def test_part_comparison_covers_every_pair(source: str, target: str) -> None:
    expected = GRID_FIT[PART_GRID[source][PARTS.index(target)]]
    assert part_fit(stored_part(source), stored_part(target)) is expected


def test_part_comparison_is_nistir_attribute_comparison() -> None:
    # NA is a part too, if an odd one: it only fits NA, and leaves an open part undecided.
    assert part_fit("-", "-") is Fit.FITS
    assert part_fit("-", "a") is Fit.FAILS
    assert part_fit("a", "-") is Fit.FAILS
    assert part_fit("-", "") is Fit.UNDECIDED
    assert part_fit("", "-") is Fit.FITS
    for source in ("a", "o", "h", "-", ""):
        for target in ("a", "o", "h", "-", ""):
            relation = compare_values(part_value(source), part_value(target))
            assert part_fit(source, target) is attribute_fit(part_value(source), part_value(target))
            assert (part_fit(source, target) is Fit.FITS) is (
                relation in (Relation.EQUAL, Relation.SUPERSET)
            )


def test_an_application_name_never_matches_an_os_or_hardware_name() -> None:
    application = cpe("cpe:2.3:a:linux:linux_kernel:*:*:*:*:*:*:*:*")
    for part in ("o", "h"):
        candidate = cpe(f"cpe:2.3:{part}:linux:linux_kernel:6.1:*:*:*:*:*:*:*")
        assert compare_cpes(application, candidate) is Relation.DISJOINT
        assert not cpe_name_matches(application, candidate)
    assert cpe_name_matches(application, cpe("cpe:2.3:a:linux:linux_kernel:6.1:*:*:*:*:*:*:*"))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("cpe:2.3:a:x:y:*:*:*:*:*:*:*:*", "a"),
        ("cpe:2.3:O:x:y:*:*:*:*:*:*:*:*", "o"),
        ("cpe:2.3:h:x:y:*:*:*:*:*:*:*:*", "h"),
        ("cpe:2.3:-:x:y:*:*:*:*:*:*:*:*", "-"),
        ("cpe:2.3:*:x:y:*:*:*:*:*:*:*:*", ""),
        ("cpe:2.3:a:x", ""),
        ("", ""),
    ],
    ids=["application", "os_uppercase", "hardware", "na", "any", "not_a_cpe", "empty"],
)
def test_the_stored_part_of_a_name(text: str, code: str) -> None:
    assert cpe_part(text) == code
    if text.count(":") == 12:
        assert part_value(code) == cpe(text).part
        assert part_code(cpe(text).part) == code


def test_a_stored_part_must_be_a_part() -> None:
    with pytest.raises(CpeError, match="is not a CPE part"):
        part_value("x")


# --- a catalogue product's CPE name ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "parts", "canonical"),
    [
        (
            "cpe:2.3:a:Kaspersky:Endpoint_Security:*:*:*:*:*:*:*:*",
            ("a", "kaspersky", "endpoint_security"),
            "cpe:2.3:a:kaspersky:endpoint_security:*:*:*:*:*:*:*:*",
        ),
        (
            "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*",
            ("o", "fortinet", "fortios"),
            "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*",
        ),
        (
            "cpe:2.3:*:sap:s\\/4hana:*:*:*:*:*:*:*:*",
            ("", "sap", "s/4hana"),
            "cpe:2.3:*:sap:s\\/4hana:*:*:*:*:*:*:*:*",
        ),
        ("  ", ("", "", ""), ""),
    ],
    ids=["application", "operating_system", "part_not_known_and_quoting", "none"],
)
def test_a_products_cpe_name_is_parsed_into_its_parts_and_made_again_from_them(
    text: str, parts: tuple[str, str, str], canonical: str
) -> None:
    assert parse_product_cpe(text) == parts
    assert product_cpe_name(*parts) == canonical
    if canonical:
        assert parse_product_cpe(canonical) == parts


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cpe:2.3:a:kaspersky:endpoint_security", "expected 11"),
        ("cpe:/a:kaspersky:endpoint_security", "must start with"),
        ("cpe:2.3:-:kaspersky:endpoint_security:*:*:*:*:*:*:*:*", "not '-'"),
        ("cpe:2.3:a:*:endpoint_security:*:*:*:*:*:*:*:*", "gives its vendor"),
        ("cpe:2.3:a:kaspersky:-:*:*:*:*:*:*:*:*", "gives its product"),
        ("cpe:2.3:a:kaspersky:endpoint_*:*:*:*:*:*:*:*:*", "gives its product"),
        ("cpe:2.3:a:kaspersky:endpoint_security:11.1:*:*:*:*:*:*:*", "so version must be '*'"),
        (
            "cpe:2.3:a:kaspersky:endpoint_security:*:*:*:*:*:windows:x64:*",
            "so target_sw, target_hw must be '*'",
        ),
    ],
    ids=[
        "short",
        "uri_binding",
        "na_part",
        "any_vendor",
        "na_product",
        "wildcard",
        "version",
        "targets",
    ],
)
def test_a_name_that_is_not_a_products_is_refused_saying_why(text: str, message: str) -> None:
    with pytest.raises(CpeError, match=re.escape(message)):
        parse_product_cpe(text)


def test_a_products_name_without_a_cpe_vendor_is_empty() -> None:
    assert product_cpe_name("a", "", "") == ""
