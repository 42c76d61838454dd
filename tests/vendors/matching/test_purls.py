"""Tests for purl parsing, normalisation and matching."""

from __future__ import annotations

import pytest

from vendors.matching.purls import (
    ParsedPurl,
    PurlError,
    parse_product_purl,
    parse_purl,
    product_purl,
    purl_identity,
    purl_matches,
)
from vendors.matching.vers import VersRangeError, parse_vers

IDENTITIES = [
    ("pkg:pypi/Django_Rest_Framework@3.14", ("pypi", "", "django-rest-framework"), "pypi"),
    ("pkg:npm/%40Angular/Core@12.3.1", ("npm", "@angular", "core"), "npm_scope"),
    ("pkg:npm/Lodash@4.17.21", ("npm", "", "lodash"), "npm_name"),
    ("pkg:github/Package-URL/Purl-Spec@244fd47", ("github", "package-url", "purl-spec"), "github"),
    ("pkg:deb/Debian/Curl@7.50.3-1?arch=i386", ("deb", "debian", "curl"), "deb"),
    (
        "pkg:golang/github.com/Gorilla/Context",
        ("golang", "github.com/gorilla", "context"),
        "golang",
    ),
    (
        "pkg:maven/org.Apache/Log4j-Core@2.14.1",
        ("maven", "org.Apache", "Log4j-Core"),
        "maven_keeps_case",
    ),
    (
        "pkg:nuget/EnterpriseLibrary.Common@6.0",
        ("nuget", "", "enterpriselibrary.common"),
        "nuget_folded",
    ),
    ("pkg:generic/OpenSSL@1.1.1k", ("generic", "", "OpenSSL"), "generic_keeps_case"),
    ("PKG:PyPI/requests", ("pypi", "", "requests"), "uppercase_scheme_and_type"),
    ("  pkg:pypi/requests@2.0  ", ("pypi", "", "requests"), "surrounding_whitespace"),
]


@pytest.mark.parametrize(
    ("text", "identity"), [i[:2] for i in IDENTITIES], ids=[i[2] for i in IDENTITIES]
)
def test_purl_identity_is_normalised(text: str, identity: tuple[str, str, str]) -> None:
    assert purl_identity(text) == identity


def test_parse_keeps_version_qualifiers_and_subpath() -> None:
    parsed = parse_purl("pkg:deb/debian/attr@1:2.4.47-2%2Bb1?distro=buster&arch=amd64#sub/dir")
    assert parsed == ParsedPurl(
        type="deb",
        namespace="debian",
        name="attr",
        version="1:2.4.47-2+b1",
        qualifiers=(("arch", "amd64"), ("distro", "buster")),
        subpath="sub/dir",
    )
    assert parsed.qualifier("distro") == "buster"
    assert parsed.qualifier("missing") is None


def test_spec_name_normalisation_is_kept_in_parsed_purl() -> None:
    assert parse_purl("pkg:pypi/Django_Rest").name == "django-rest"
    assert parse_purl("pkg:nuget/EnterpriseLibrary.Common").name == "EnterpriseLibrary.Common"


def test_to_string_is_canonical() -> None:
    parsed = parse_purl("pkg:npm/%40Angular/Core@12.3.1")
    assert parsed.to_string() == "pkg:npm/%40angular/core@12.3.1"
    assert str(parsed) == parsed.to_string()
    assert parse_purl(parsed.to_string()) == parsed


@pytest.mark.parametrize(
    "text",
    ["", "npm/lodash", "pkg:", "pkg:npm", "pkg:npm/", "pkg:1npm/lodash", "pkg:n%pm/x"],
    ids=["empty", "no_scheme", "scheme_only", "no_name", "empty_name", "digit_type", "bad_type"],
)
def test_invalid_purl_is_rejected(text: str) -> None:
    with pytest.raises(PurlError, match="is not a valid package URL"):
        parse_purl(text)


def test_purl_error_is_a_value_error() -> None:
    assert issubclass(PurlError, ValueError)


LODASH_RANGE = "vers:npm/<4.17.21"

MATCHES = [
    ("pkg:npm/lodash", LODASH_RANGE, "pkg:npm/lodash@4.17.20", True, "affected"),
    ("pkg:npm/lodash", LODASH_RANGE, "pkg:npm/lodash@4.17.21", False, "fixed"),
    ("pkg:npm/lodash", LODASH_RANGE, "pkg:npm/Lodash@4.17.20", True, "case_folded"),
    ("pkg:npm/lodash", LODASH_RANGE, "pkg:npm/underscore@1.0.0", False, "other_package"),
    ("pkg:npm/lodash", LODASH_RANGE, "pkg:pypi/lodash@1.0.0", False, "other_type"),
    ("pkg:npm/lodash", LODASH_RANGE, "pkg:npm/lodash", None, "no_version"),
    ("pkg:npm/lodash", LODASH_RANGE, "pkg:npm/lodash@latest", None, "unusable_version"),
    ("pkg:pypi/django_rest", "vers:pypi/>=3.0|<3.5", "pkg:pypi/Django-Rest@3.4", True, "pypi"),
    (
        "pkg:deb/debian/curl?distro=buster",
        "vers:deb/<7.64.0-4+deb10u2",
        "pkg:deb/debian/curl@7.64.0-4+deb10u1?distro=buster",
        True,
        "debian_security_update_still_affected",
    ),
    (
        "pkg:deb/debian/curl?distro=buster",
        "vers:deb/<7.64.0-4+deb10u2",
        "pkg:deb/debian/curl@7.64.0-4+deb10u2?distro=buster",
        False,
        "debian_security_update_fixed",
    ),
    (
        "pkg:deb/debian/curl?distro=buster",
        "vers:generic/<7.64.0-4+deb10u2",
        "pkg:deb/debian/curl@7.64.0-4+deb10u2",
        False,
        "candidate_scheme_used_for_generic_vers",
    ),
    (
        "pkg:deb/debian/curl?distro=buster",
        "vers:deb/<7.64.0-4+deb10u2",
        "pkg:deb/debian/curl@7.64.0-4?distro=bullseye",
        False,
        "qualifier_disagrees",
    ),
    (
        "pkg:deb/debian/curl?distro=buster",
        "vers:deb/<7.64.0-4+deb10u2",
        "pkg:deb/debian/curl@7.64.0-4",
        True,
        "missing_candidate_qualifier_does_not_exclude",
    ),
    ("pkg:npm/lodash", "vers:npm/*", "pkg:npm/lodash@0.0.1", True, "star_range"),
]


@pytest.mark.parametrize(
    ("target", "vers", "candidate", "expected"),
    [m[:4] for m in MATCHES],
    ids=[m[4] for m in MATCHES],
)
def test_purl_matches(target: str, vers: str, candidate: str, expected: bool | None) -> None:
    assert purl_matches(target, vers, candidate) is expected


def test_purl_matches_accepts_parsed_values() -> None:
    target = parse_purl("pkg:npm/lodash")
    candidate = parse_purl("pkg:npm/lodash@4.0.0")
    assert purl_matches(target, parse_vers(LODASH_RANGE), candidate) is True


def test_target_with_version_is_rejected() -> None:
    with pytest.raises(PurlError, match="must not carry a version"):
        purl_matches("pkg:npm/lodash@4.17.20", LODASH_RANGE, "pkg:npm/lodash@4.17.20")


def test_bad_vers_is_reported() -> None:
    with pytest.raises(VersRangeError):
        purl_matches("pkg:npm/lodash", "vers:npm/>=2|>=3", "pkg:npm/lodash@4.17.20")


# --- a catalogue product's package URL ----------------------------------------


@pytest.mark.parametrize(
    ("text", "parts", "canonical"),
    [
        ("pkg:PyPI/Django_Rest_Framework", ("pypi", "", "django-rest-framework"), None),
        ("pkg:npm/%40angular/core", ("npm", "@angular", "core"), None),
        (
            "pkg:maven/org.apache.logging.log4j/log4j-core",
            ("maven", "org.apache.logging.log4j", "log4j-core"),
            None,
        ),
        (
            "pkg:golang/github.com/gorilla/context",
            ("golang", "github.com/gorilla", "context"),
            None,
        ),
        ("", ("", "", ""), ""),
    ],
    ids=["pypi", "npm_scope", "maven", "golang_nested_namespace", "none"],
)
def test_a_products_purl_is_parsed_into_its_identity_and_made_again_from_it(
    text: str, parts: tuple[str, str, str], canonical: str | None
) -> None:
    assert parse_product_purl(text) == parts
    made = product_purl(*parts)
    if canonical is not None:
        assert made == canonical
    else:
        assert parse_purl(made).identity == parts
        assert parse_product_purl(made) == parts


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pkg:pypi/django@4.2", "leave out a version"),
        ("pkg:deb/debian/openssl?distro=debian-12", "leave out qualifiers"),
        ("pkg:golang/github.com/x/y#sub/dir", "leave out a subpath"),
        ("django", "not a valid package URL"),
    ],
    ids=["version", "qualifiers", "subpath", "not_a_purl"],
)
def test_a_purl_that_is_not_a_products_is_refused_saying_why(text: str, message: str) -> None:
    with pytest.raises(PurlError, match=message):
        parse_product_purl(text)
