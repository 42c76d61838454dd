"""Which items an advisory flags, and how sure it is: one row per case, through the real path.

Each case creates inventory items with the inventory service (so they are resolved to the
catalogue the way users' items are), publishes an advisory with the targets through the
advisory service, lets the after-commit matching task run, and compares the advisory's open
flags with the expected ``{item: confidence}`` — items not listed must not be flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.exposure.conftest import open_flags

pytestmark = pytest.mark.django_db

C, P = "confirmed", "possible"
ANY11 = ":*:*:*:*:*:*:*"  # the seven attributes after the version, all ANY


@dataclass(frozen=True)
class Case:
    id: str
    targets: list[dict[str, Any]]
    items: dict[str, dict[str, Any]]
    expected: dict[str, str]


def range_(product: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "product_range", "product": product, "version_range": text, **extra}


def cpe(text: str, **bounds: str) -> dict[str, Any]:
    return {"kind": "cpe", "cpe": text, **bounds}


def purl(text: str, versions: str = "", **extra: Any) -> dict[str, Any]:
    return {"kind": "purl", "purl": text, "version_range": versions, **extra}


VENDOR_KASPERSKY = {"kind": "vendor", "vendor": "kaspersky"}
RU = {"kind": "jurisdiction", "country": "RU"}

CASES = [
    # --- vendor ---------------------------------------------------------------------------
    Case(
        "vendor-flags-every-product-of-the-vendor",
        [VENDOR_KASPERSKY],
        {
            "kes": {"p": "endpoint_security", "v": "11.0"},
            "kav": {"p": "anti_virus", "v": "21"},
            "sql": {"p": "sql_server", "v": "2019"},
        },
        {"kes": C, "kav": C},
    ),
    Case(
        "vendor-without-subsidiaries-leaves-the-subsidiary-alone",
        [VENDOR_KASPERSKY],
        {"kes": {"p": "endpoint_security"}, "gateway": {"p": "mail_gateway"}},
        {"kes": C},
    ),
    Case(
        "vendor-with-subsidiaries-reaches-child-and-grandchild",
        [{**VENDOR_KASPERSKY, "include_subsidiaries": True}],
        {
            "kes": {"p": "endpoint_security"},
            "gateway": {"p": "mail_gateway"},
            "mdr": {"p": "mdr"},
            "camera": {"p": "camera"},
        },
        {"kes": C, "gateway": C, "mdr": C},
    ),
    Case(
        "vendor-subsidiary-target-does-not-reach-its-parent",
        [{"kind": "vendor", "vendor": "kaspersky_uk", "include_subsidiaries": True}],
        {"kes": {"p": "endpoint_security"}, "gateway": {"p": "mail_gateway"}, "mdr": {"p": "mdr"}},
        {"gateway": C, "mdr": C},
    ),
    Case(
        "vendor-flags-an-unresolved-item-named-by-a-vendor-alias",
        [VENDOR_KASPERSKY],
        {"odd": {"vendor": "Laboratoriya Kasperskogo", "product": "Some Uncatalogued Tool"}},
        {"odd": C},
    ),
    Case(
        "vendor-flags-an-unresolved-item-named-by-the-vendor-name-with-a-legal-form",
        [VENDOR_KASPERSKY],
        {"odd": {"vendor": "AO Kaspersky Lab", "product": "Kaspersky Thing 9"}},
        {"odd": C},
    ),
    Case(
        "vendor-flags-an-unresolved-item-by-its-cpe-vendor",
        [VENDOR_KASPERSKY],
        {"odd": {"cpe": "cpe:2.3:a:kaspersky:unknown_tool:1.0" + ANY11}},
        {"odd": C},
    ),
    Case(
        "vendor-ignores-an-unresolved-item-of-another-vendor",
        [VENDOR_KASPERSKY],
        {"other": {"vendor": "Kasper Pizza GmbH", "product": "Ovens"}},
        {},
    ),
    Case(
        "vendor-flags-items-without-version-as-confirmed",
        [VENDOR_KASPERSKY],
        {"kes": {"p": "endpoint_security"}},
        {"kes": C},
    ),
    # --- jurisdiction ---------------------------------------------------------------------
    Case(
        "jurisdiction-flags-vendors-headquartered-there",
        [RU],
        {"kes": {"p": "endpoint_security"}, "sql": {"p": "sql_server"}},
        {"kes": C},
    ),
    Case(
        "jurisdiction-flags-a-uk-subsidiary-of-a-russian-parent",
        [RU],
        {"gateway": {"p": "mail_gateway"}},
        {"gateway": C},
    ),
    Case(
        "jurisdiction-flags-a-grandchild-of-a-russian-parent",
        [RU],
        {"mdr": {"p": "mdr"}},
        {"mdr": C},
    ),
    Case(
        "jurisdiction-of-the-subsidiary-does-not-climb-to-the-parent",
        [{"kind": "jurisdiction", "country": "GB"}],
        {"kes": {"p": "endpoint_security"}, "gateway": {"p": "mail_gateway"}, "mdr": {"p": "mdr"}},
        {"gateway": C, "mdr": C},
    ),
    Case(
        "jurisdiction-china-flags-only-chinese-vendors",
        [{"kind": "jurisdiction", "country": "CN"}],
        {
            "camera": {"p": "camera", "v": "V5.5.0"},
            "kes": {"p": "endpoint_security"},
            "scalance": {"p": "scalance"},
        },
        {"camera": C},
    ),
    Case(
        "jurisdiction-flags-an-unresolved-item-named-by-a-russian-vendor-alias",
        [RU],
        {"odd": {"vendor": "Laboratoriya Kasperskogo", "product": "Uncatalogued"}},
        {"odd": C},
    ),
    Case(
        "jurisdiction-ignores-vendors-without-a-country",
        [RU],
        {"ssl": {"purl": "pkg:deb/debian/openssl@3.0.11-1"}},
        {},
    ),
    # --- product --------------------------------------------------------------------------
    Case(
        "product-flags-every-version-and-no-version",
        [{"kind": "product", "product": "fortios"}],
        {
            "old": {"p": "fortios", "v": "6.0.1"},
            "new": {"p": "fortios", "v": "7.4.3"},
            "unknown": {"p": "fortios"},
        },
        {"old": C, "new": C, "unknown": C},
    ),
    Case(
        "product-leaves-the-vendors-other-products-alone",
        [{"kind": "product", "product": "anti_virus"}],
        {"kes": {"p": "endpoint_security"}, "kav": {"p": "anti_virus"}},
        {"kav": C},
    ),
    Case(
        "product-does-not-flag-an-unresolved-item-with-a-similar-name",
        [{"kind": "product", "product": "fortios"}],
        {"odd": {"vendor": "Fortynet", "product": "FortiOS"}},
        {},
    ),
    Case(
        "product-flags-an-item-resolved-by-a-bare-product-name",
        [{"kind": "product", "product": "scalance"}],
        {"bare": {"product": "Scalance X200", "v": "4.0"}},
        {"bare": C},
    ),
    # --- product + range: dotted vendor versions -------------------------------------------
    Case(
        "range-vers-half-open-interval",
        [range_("endpoint_security", "vers:generic/>=21.0|<21.3.10")],
        {
            "in": {"p": "endpoint_security", "v": "21.3.9.391"},
            "edge": {"p": "endpoint_security", "v": "21.3.10"},
            "below": {"p": "endpoint_security", "v": "20.9"},
        },
        {"in": C},
    ),
    Case(
        "range-compares-1.10-above-1.9",
        [range_("fortios", "vers:generic/<1.10")],
        {"nine": {"p": "fortios", "v": "1.9"}, "ten": {"p": "fortios", "v": "1.10"}},
        {"nine": C},
    ),
    Case(
        "range-lower-bound-1.9-includes-1.10",
        [range_("fortios", "vers:generic/>=1.9")],
        {"ten": {"p": "fortios", "v": "1.10"}, "eight": {"p": "fortios", "v": "1.8.99"}},
        {"ten": C},
    ),
    Case(
        "range-inclusive-upper-bound-and-trailing-zeros",
        [range_("fortios", "<= 2.0")],
        {"two": {"p": "fortios", "v": "2.0.0"}, "bit_more": {"p": "fortios", "v": "2.0.1"}},
        {"two": C},
    ),
    Case(
        "range-exclusive-lower-bound",
        [range_("fortios", "vers:generic/>2.0")],
        {"two": {"p": "fortios", "v": "2"}, "more": {"p": "fortios", "v": "2.0.0.1"}},
        {"more": C},
    ),
    Case(
        "range-vendor-style-v05-versions",
        [range_("scalance", "< V05.00.01.00")],
        {
            "older": {"p": "scalance", "v": "V05.00.00.12"},
            "fixed": {"p": "scalance", "v": "V05.00.01.00"},
            "newer": {"p": "scalance", "v": "V5.1"},
        },
        {"older": C},
    ),
    Case(
        "range-service-pack-versions",
        [range_("sql_server", "<= 2014 R2 SP1")],
        {
            "r2": {"p": "sql_server", "v": "2014 R2"},
            "sp1": {"p": "sql_server", "v": "2014 R2 SP1"},
            "sp2": {"p": "sql_server", "v": "2014 R2 SP2"},
            "2016": {"p": "sql_server", "v": "2016"},
        },
        {"r2": C, "sp1": C},
    ),
    Case(
        "range-free-text-pair-with-a-letter-suffix",
        [range_("camera", ">= 2.3x | <= 6.00.327")],
        {
            "low": {"p": "camera", "v": "2.3"},
            "in": {"p": "camera", "v": "4.1"},
            "top": {"p": "camera", "v": "6.00.327"},
            "out": {"p": "camera", "v": "6.00.328"},
        },
        {"in": C, "top": C},
    ),
    Case(
        "range-all-versions-is-confirmed-even-without-a-version",
        [range_("fortios", "all versions")],
        {"any": {"p": "fortios", "v": "7.0"}, "unknown": {"p": "fortios"}},
        {"any": C, "unknown": C},
    ),
    Case(
        "range-item-without-version-is-possible",
        [range_("fortios", "vers:generic/<7.2.5")],
        {"unknown": {"p": "fortios"}, "known": {"p": "fortios", "v": "7.2.4"}},
        {"unknown": P, "known": C},
    ),
    Case(
        "range-item-with-unusable-version-is-possible",
        [range_("fortios", "vers:generic/<7.2.5")],
        {"garbled": {"p": "fortios", "v": "unknown"}},
        {"garbled": P},
    ),
    Case(
        "range-union-of-intervals",
        [range_("fortios", "vers:generic/<1.0|>=2.0|<2.5")],
        {
            "a": {"p": "fortios", "v": "0.9"},
            "b": {"p": "fortios", "v": "1.5"},
            "c": {"p": "fortios", "v": "2.1"},
            "d": {"p": "fortios", "v": "2.5"},
        },
        {"a": C, "c": C},
    ),
    Case(
        "range-union-of-intervals-leaves-an-item-without-version-possible-once",
        [range_("fortios", "vers:generic/<1.0|>=2.0|<2.5")],
        {"unknown": {"p": "fortios"}, "in": {"p": "fortios", "v": "2.1"}},
        {"unknown": P, "in": C},
    ),
    Case(
        "range-not-equal-punches-a-hole",
        [range_("fortios", "vers:generic/>=1.0|<2.0|!=1.5")],
        {"hole": {"p": "fortios", "v": "1.5"}, "in": {"p": "fortios", "v": "1.4"}},
        {"in": C},
    ),
    # --- semver, PEP 440, Debian ------------------------------------------------------------
    Case(
        "semver-pre-release-is-below-its-release",
        [range_("lodash", "vers:npm/<4.17.21")],
        {"beta": {"p": "lodash", "v": "4.17.21-beta.1"}, "final": {"p": "lodash", "v": "4.17.21"}},
        {"beta": C},
    ),
    Case(
        "semver-pre-release-lower-bound",
        [range_("lodash", "vers:npm/>=2.0.0-rc.1")],
        {
            "beta": {"p": "lodash", "v": "2.0.0-beta.3"},
            "rc2": {"p": "lodash", "v": "2.0.0-rc.2"},
            "final": {"p": "lodash", "v": "2.0.0"},
        },
        {"rc2": C, "final": C},
    ),
    Case(
        "pep440-release-candidates-and-post-releases",
        [range_("django", "vers:pypi/<4.2")],
        {
            "rc": {"p": "django", "v": "4.2rc1"},
            "old": {"p": "django", "v": "4.1.9"},
            "final": {"p": "django", "v": "4.2"},
            "post": {"p": "django", "v": "4.2.post1"},
        },
        {"rc": C, "old": C},
    ),
    Case(
        "pep440-dev-sorts-before-alpha",
        [range_("django", "vers:pypi/>=4.2a1")],
        {"dev": {"p": "django", "v": "4.2.dev20230101"}, "alpha": {"p": "django", "v": "4.2a2"}},
        {"alpha": C},
    ),
    Case(
        "debian-security-update-suffix",
        [purl("pkg:deb/debian/openssl", "vers:deb/<1.1.1n-0+deb11u5")],
        {
            "vulnerable": {"purl": "pkg:deb/debian/openssl@1.1.1n-0+deb11u4"},
            "fixed": {"purl": "pkg:deb/debian/openssl@1.1.1n-0+deb11u5"},
        },
        {"vulnerable": C},
    ),
    Case(
        "debian-tilde-pre-release",
        [purl("pkg:deb/debian/openssl", "vers:deb/<3.0.0")],
        {
            "alpha": {"purl": "pkg:deb/debian/openssl@3.0.0~alpha1"},
            "final": {"purl": "pkg:deb/debian/openssl@3.0.0"},
        },
        {"alpha": C},
    ),
    Case(
        "debian-epoch-wins",
        [purl("pkg:deb/debian/openssl", "vers:deb/<1:1.0")],
        {
            "no_epoch": {"purl": "pkg:deb/debian/openssl@2.0"},
            "epoch": {"purl": "pkg:deb/debian/openssl@1:1.0"},
        },
        {"no_epoch": C},
    ),
    # --- exclusions --------------------------------------------------------------------------
    Case(
        "exclusion-of-a-product-wins-over-the-vendor",
        [VENDOR_KASPERSKY, {"kind": "product", "product": "anti_virus", "is_exclusion": True}],
        {"kes": {"p": "endpoint_security"}, "kav": {"p": "anti_virus"}},
        {"kes": C},
    ),
    Case(
        "exclusion-of-fixed-versions",
        [
            {"kind": "product", "product": "fortios"},
            range_("fortios", "vers:generic/>=7.2.5", is_exclusion=True),
        ],
        {"old": {"p": "fortios", "v": "7.2.4"}, "fixed": {"p": "fortios", "v": "7.2.5"}},
        {"old": C},
    ),
    Case(
        "exclusion-undecidable-without-version-leaves-a-possible-match",
        [
            {"kind": "product", "product": "fortios"},
            range_("fortios", "vers:generic/>=7.2.5", is_exclusion=True),
        ],
        {"unknown": {"p": "fortios"}},
        {"unknown": P},
    ),
    Case(
        "exclusion-of-a-subsidiary-from-a-jurisdiction",
        [
            RU,
            {
                "kind": "vendor",
                "vendor": "kaspersky_uk",
                "include_subsidiaries": True,
                "is_exclusion": True,
            },
        ],
        {"kes": {"p": "endpoint_security"}, "gateway": {"p": "mail_gateway"}, "mdr": {"p": "mdr"}},
        {"kes": C},
    ),
    Case(
        "exclusion-by-cpe",
        [VENDOR_KASPERSKY, cpe("cpe:2.3:a:kaspersky:anti_virus:*" + ANY11, is_exclusion=True)],
        {"kes": {"p": "endpoint_security"}, "kav": {"p": "anti_virus", "v": "21"}},
        {"kes": C},
    ),
    Case(
        "exclusion-alone-flags-nothing",
        [{"kind": "product", "product": "fortios", "is_exclusion": True}],
        {"fortios": {"p": "fortios"}},
        {},
    ),
    Case(
        "exclusion-in-another-advisory-does-not-count",
        [{"kind": "product", "product": "fortios"}],
        {"fortios": {"p": "fortios", "v": "7.0"}},
        {"fortios": C},
    ),
    # --- needs review ----------------------------------------------------------------------
    Case(
        "needs-review-range-matches-nothing",
        [range_("fortios", "see the vendor's advisory")],
        {"fortios": {"p": "fortios", "v": "7.0"}, "unknown": {"p": "fortios"}},
        {},
    ),
    Case(
        "needs-review-target-beside-a-valid-one",
        [range_("fortios", "all supported releases"), {"kind": "product", "product": "anti_virus"}],
        {"fortios": {"p": "fortios", "v": "7.0"}, "kav": {"p": "anti_virus"}},
        {"kav": C},
    ),
    Case(
        "needs-review-exclusion-excludes-nothing",
        [
            {"kind": "product", "product": "fortios"},
            range_("fortios", "fixed in a later firmware", is_exclusion=True),
        ],
        {"fortios": {"p": "fortios", "v": "7.0"}},
        {"fortios": C},
    ),
    Case(
        "wildcard-version-covers-its-family",
        [range_("fortios", "7.x")],
        {
            "fortios": {"p": "fortios", "v": "7.0"},
            "fortios_7_4": {"p": "fortios", "v": "7.4.3"},
            "fortios_8": {"p": "fortios", "v": "8.0"},
        },
        {"fortios": C, "fortios_7_4": C},
    ),
    # --- resolution of what people typed -------------------------------------------------------
    Case(
        "unresolved-item-is-not-flagged-by-a-product-target",
        [{"kind": "product", "product": "endpoint_security"}],
        {"odd": {"vendor": "Somebody", "product": "Endpoint Security"}},
        {},
    ),
    Case(
        "item-named-by-vendor-alias-resolves-and-is-flagged",
        [range_("endpoint_security", "vers:generic/<12")],
        {
            "alias": {
                "vendor": "Laboratoriya Kasperskogo",
                "product": "Endpoint Security",
                "v": "11.1",
            }
        },
        {"alias": C},
    ),
    Case(
        "names-are-compared-normalized",
        [{"kind": "product", "product": "anti_virus"}],
        {"shouty": {"vendor": "KASPERSKY LAB, INC.", "product": "anti virus"}},
        {"shouty": C},
    ),
    # --- CPE -----------------------------------------------------------------------------
    Case(
        "cpe-end-excluding-bound-on-the-items-own-cpe",
        [cpe("cpe:2.3:a:kaspersky:endpoint_security:*" + ANY11, version_end_excluding="11.0")],
        {
            "old": {"cpe": "cpe:2.3:a:kaspersky:endpoint_security:10.1" + ANY11},
            "fixed": {"cpe": "cpe:2.3:a:kaspersky:endpoint_security:11.0" + ANY11},
        },
        {"old": C},
    ),
    Case(
        "cpe-reaches-items-through-their-products-cpe",
        [cpe("cpe:2.3:a:kaspersky:endpoint_security:*" + ANY11, version_end_excluding="11.0")],
        {
            "named": {"p": "endpoint_security", "v": "10.0"},
            "newer": {"p": "endpoint_security", "v": "11.2"},
        },
        {"named": C},
    ),
    Case(
        "cpe-inclusive-start-and-end",
        [
            cpe(
                "cpe:2.3:o:fortinet:fortios:*" + ANY11,
                version_start_including="7.2.0",
                version_end_including="7.2.4",
            )
        ],
        {
            "start": {"p": "fortios", "v": "7.2.0"},
            "end": {"p": "fortios", "v": "7.2.4"},
            "after": {"p": "fortios", "v": "7.2.5"},
            "before": {"p": "fortios", "v": "7.0.12"},
        },
        {"start": C, "end": C},
    ),
    Case(
        "cpe-exclusive-start",
        [cpe("cpe:2.3:o:fortinet:fortios:*" + ANY11, version_start_excluding="7.2.0")],
        {"start": {"p": "fortios", "v": "7.2.0"}, "later": {"p": "fortios", "v": "7.2.1"}},
        {"later": C},
    ),
    Case(
        "cpe-with-a-fixed-version",
        [cpe("cpe:2.3:a:microsoft:sql_server:2014" + ANY11)],
        {"2014": {"p": "sql_server", "v": "2014"}, "2016": {"p": "sql_server", "v": "2016"}},
        {"2014": C},
    ),
    Case(
        "cpe-without-bounds-flags-every-version-for-sure",
        [cpe("cpe:2.3:o:fortinet:fortios:*" + ANY11)],
        {"any": {"p": "fortios", "v": "5.0"}, "unknown": {"p": "fortios"}},
        {"any": C, "unknown": C},
    ),
    Case(
        "cpe-bounds-and-no-version-is-possible",
        [cpe("cpe:2.3:o:fortinet:fortios:*" + ANY11, version_end_excluding="7.2.5")],
        {"unknown": {"p": "fortios"}},
        {"unknown": P},
    ),
    Case(
        "cpe-version-taken-from-the-items-cpe-when-none-given",
        [cpe("cpe:2.3:o:fortinet:fortios:*" + ANY11, version_end_excluding="7.2.5")],
        {"cpe_only": {"cpe": "cpe:2.3:o:fortinet:fortios:7.2.3" + ANY11}},
        {"cpe_only": C},
    ),
    Case(
        "cpe-product-wildcard",
        [cpe("cpe:2.3:a:kaspersky:endpoint*:*" + ANY11)],
        {"kes": {"p": "endpoint_security", "v": "11"}, "kav": {"p": "anti_virus", "v": "21"}},
        {"kes": C},
    ),
    Case(
        "cpe-any-vendor",
        [cpe("cpe:2.3:a:*:sql_server:*" + ANY11, version_end_excluding="2016")],
        {"sql": {"p": "sql_server", "v": "2014 R2 SP1"}, "new": {"p": "sql_server", "v": "2019"}},
        {"sql": C},
    ),
    Case(
        "cpe-constrained-target-hardware",
        [cpe("cpe:2.3:a:microsoft:sql_server:*:*:*:*:*:*:x64:*")],
        {
            "x64": {"cpe": "cpe:2.3:a:microsoft:sql_server:2019:*:*:*:*:*:x64:*"},
            "x86": {"cpe": "cpe:2.3:a:microsoft:sql_server:2019:*:*:*:*:*:x86:*"},
            "open": {"cpe": "cpe:2.3:a:microsoft:sql_server:2019" + ANY11},
            "by_name": {"p": "sql_server", "v": "2019"},
        },
        {"x64": C, "open": P, "by_name": P},
    ),
    Case(
        "cpe-same-product-name-of-another-vendor",
        [cpe("cpe:2.3:a:microsoft:sql_server:*" + ANY11)],
        {"other": {"cpe": "cpe:2.3:a:acme:sql_server:1.0" + ANY11}},
        {},
    ),
    # --- purl --------------------------------------------------------------------------------
    Case(
        "purl-with-a-vers-range",
        [purl("pkg:pypi/django", "vers:pypi/>=4.0|<4.2.2")],
        {
            "vulnerable": {"purl": "pkg:pypi/django@4.2.1"},
            "fixed": {"purl": "pkg:pypi/django@4.2.2"},
            "older": {"purl": "pkg:pypi/django@3.2.19"},
        },
        {"vulnerable": C},
    ),
    Case(
        "purl-names-are-normalized-per-type",
        [purl("pkg:pypi/Django", "vers:pypi/<5")],
        {"lower": {"purl": "pkg:pypi/django@4.1"}, "upper": {"purl": "pkg:pypi/DJANGO@4.0"}},
        {"lower": C, "upper": C},
    ),
    Case(
        "purl-reaches-items-through-their-products-purl",
        [purl("pkg:pypi/django", "vers:pypi/<4.2")],
        {"named": {"p": "django", "v": "4.1"}},
        {"named": C},
    ),
    Case(
        "purl-qualifier-must-not-contradict",
        [purl("pkg:deb/debian/openssl?distro=debian-11", "vers:deb/<3.0.12")],
        {
            "same": {"purl": "pkg:deb/debian/openssl@3.0.11?distro=debian-11"},
            "other": {"purl": "pkg:deb/debian/openssl@3.0.11?distro=debian-12"},
            "silent": {"purl": "pkg:deb/debian/openssl@3.0.11"},
        },
        {"same": C, "silent": C},
    ),
    Case(
        "purl-nuget-ids-are-case-insensitive",
        [purl("pkg:nuget/Newtonsoft.Json", "vers:nuget/<13.0.1")],
        {
            "old": {"purl": "pkg:nuget/newtonsoft.json@12.0.3"},
            "fixed": {"purl": "pkg:nuget/Newtonsoft.Json@13.0.1"},
        },
        {"old": C},
    ),
    Case(
        "purl-with-its-version-in-the-purl",
        [purl("pkg:npm/lodash@4.17.20")],
        {"that": {"purl": "pkg:npm/lodash@4.17.20"}, "next": {"purl": "pkg:npm/lodash@4.17.21"}},
        {"that": C},
    ),
    Case(
        "purl-without-range-is-every-version",
        [purl("pkg:npm/lodash")],
        {"any": {"purl": "pkg:npm/lodash@1.0.0"}, "unknown": {"purl": "pkg:npm/lodash"}},
        {"any": C, "unknown": C},
    ),
    Case(
        "purl-range-and-no-version-is-possible",
        [purl("pkg:npm/lodash", "vers:npm/<4.17.21")],
        {"unknown": {"purl": "pkg:npm/lodash"}},
        {"unknown": P},
    ),
    # --- several targets --------------------------------------------------------------------
    Case(
        "confirmed-target-wins-over-a-possible-one",
        [range_("fortios", "vers:generic/<7.2.5"), {"kind": "product", "product": "fortios"}],
        {"unknown": {"p": "fortios"}},
        {"unknown": C},
    ),
    Case(
        "overlapping-targets-give-one-flag",
        [VENDOR_KASPERSKY, RU, {"kind": "product", "product": "endpoint_security"}],
        {"kes": {"p": "endpoint_security"}},
        {"kes": C},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_advisory_flags_exactly_the_expected_items(case: Case, make_item, publish):
    items = {name: make_item(spec) for name, spec in case.items.items()}
    advisory = publish(*case.targets)
    flagged = open_flags(advisory)
    names = {item.pk: name for name, item in items.items()}
    assert {names[pk]: confidence for pk, confidence in flagged.items()} == case.expected


def test_the_table_covers_every_target_kind():
    kinds = {target["kind"] for case in CASES for target in case.targets}
    assert kinds == {"vendor", "jurisdiction", "product", "product_range", "cpe", "purl"}
    assert len(CASES) >= 60


def test_flags_land_in_each_items_own_organization(make_item, publish, org, other_org):
    mine = make_item({"p": "endpoint_security"})
    theirs = make_item({"p": "endpoint_security"}, organization=other_org)
    advisory = publish(VENDOR_KASPERSKY)
    owners = dict(advisory.flags.values_list("item_id", "organization_id"))
    assert owners == {mine.pk: org.pk, theirs.pk: other_org.pk}
