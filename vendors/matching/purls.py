"""Package URLs: parsing with the purl spec's per-type normalisation, and matching.

packageurl-python does the syntax; on top of it the type rules of the purl
spec are applied so that spellings of the same package share one identity:
namespace and name are lowercased for case-insensitive types (deb, npm,
github, golang, pypi, ...) and pypi names use ``-`` instead of ``_``.
Maven, nuget, generic and other case-sensitive types keep their case.
"""

from __future__ import annotations

from dataclasses import dataclass

from packageurl import PackageURL

from vendors.matching.ranges import VersionRange
from vendors.matching.vers import build_range, parse_vers_full

_CASE_INSENSITIVE_TYPES = frozenset(
    {
        "alpm",
        "apk",
        "bitbucket",
        "bitnami",
        "composer",
        "deb",
        "github",
        "gitlab",
        "golang",
        "hex",
        "luarocks",
        "npm",
        "oci",
        "pub",
        "pypi",
        "qpkg",
    }
)
# NuGet ids are case-preserving in the purl spec but case-insensitive on the
# registry, so only the join key folds them.
_IDENTITY_CASE_INSENSITIVE_TYPES = _CASE_INSENSITIVE_TYPES | {"nuget"}


class PurlError(ValueError):
    """A string that is not a valid package URL, or a purl unfit for its role."""


@dataclass(frozen=True)
class ParsedPurl:
    """A normalised package URL; qualifiers are sorted ``(key, value)`` pairs."""

    type: str
    namespace: str | None
    name: str
    version: str | None
    qualifiers: tuple[tuple[str, str], ...] = ()
    subpath: str | None = None

    @property
    def identity(self) -> tuple[str, str, str]:
        """``(type, namespace or "", name)``: the package regardless of version."""
        namespace = self.namespace or ""
        name = self.name
        if self.type in _IDENTITY_CASE_INSENSITIVE_TYPES:
            namespace, name = namespace.lower(), name.lower()
        return self.type, namespace, name

    def qualifier(self, key: str) -> str | None:
        """The value of qualifier ``key``, if present."""
        return dict(self.qualifiers).get(key)

    def to_string(self) -> str:
        """The canonical purl string."""
        return PackageURL(
            type=self.type,
            namespace=self.namespace,
            name=self.name,
            version=self.version,
            qualifiers=dict(self.qualifiers),
            subpath=self.subpath,
        ).to_string()

    def __str__(self) -> str:
        return self.to_string()


def parse_purl(text: str) -> ParsedPurl:
    """Parse and normalise a purl, raising PurlError with the reason if invalid."""
    stripped = text.strip()
    if stripped[:4].lower() == "pkg:":
        stripped = "pkg:" + stripped[4:]
    try:
        purl = PackageURL.from_string(stripped)
    except ValueError as error:
        raise PurlError(f"{text!r} is not a valid package URL: {error}") from error
    purl_type = purl.type.lower()
    namespace = purl.namespace or None
    name = purl.name
    if purl_type in _CASE_INSENSITIVE_TYPES:
        namespace = namespace.lower() if namespace else None
        name = name.lower()
    if purl_type == "pypi":
        name = name.replace("_", "-")
    raw_qualifiers = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
    return ParsedPurl(
        type=purl_type,
        namespace=namespace,
        name=name,
        version=purl.version or None,
        qualifiers=tuple(sorted(raw_qualifiers.items())),
        subpath=purl.subpath or None,
    )


def purl_identity(text: str) -> tuple[str, str, str]:
    """``(type, namespace or "", name)`` of a purl string: the SQL join key.

    Raises PurlError if ``text`` is not a valid purl.
    """
    return parse_purl(text).identity


def parse_product_purl(text: str) -> tuple[str, str, str]:
    """``(type, namespace, name)`` of a catalogue product's package URL, as the product stores
    them (its identity, see ``ParsedPurl.identity``).

    A product is every version of a package, so a version, qualifiers or a subpath are refused.
    ``""`` (no purl) gives three empty parts. Raises PurlError saying what is wrong.
    """
    if not text.strip():
        return "", "", ""
    purl = parse_purl(text)
    extras = [
        label
        for label, present in (
            ("a version", purl.version),
            ("qualifiers", purl.qualifiers),
            ("a subpath", purl.subpath),
        )
        if present
    ]
    if extras:
        raise PurlError(
            f"{text!r}: a product's package URL names the package, every version:"
            f" leave out {' and '.join(extras)}"
        )
    return purl.identity


def product_purl(purl_type: str, namespace: str, name: str) -> str:
    """The package URL of a catalogue product's stored purl parts; ``""`` without a name."""
    if not (purl_type and name):
        return ""
    return PackageURL(type=purl_type, namespace=namespace or None, name=name).to_string()


def purl_matches(
    target_purl_without_version: str | ParsedPurl,
    vers_range: VersionRange | str,
    candidate_purl: str | ParsedPurl,
) -> bool | None:
    """Whether the candidate package is the target package at an affected version.

    ``vers_range`` is a vers string, or a VersionRange whose keys were
    computed with the purl type as scheme (as :func:`parse_vers` does for a
    vers of the same type).  Target
    qualifiers (e.g. ``distro``) must agree when the candidate has them too; a
    candidate that lacks one is not excluded by it.  Returns None when the
    package matches but its version is missing or not comparable: the caller
    decides how to treat "possibly affected".  Raises PurlError for invalid
    purls or a target that carries a version, and VersRangeError for a bad
    vers string.
    """
    target = _as_parsed(target_purl_without_version)
    candidate = _as_parsed(candidate_purl)
    if target.version is not None:
        raise PurlError(
            f"target purl {target.to_string()!r} must not carry a version;"
            " put affected versions in the range"
        )
    if target.identity != candidate.identity:
        return False
    for key, value in target.qualifiers:
        candidate_value = candidate.qualifier(key)
        if candidate_value is not None and candidate_value != value:
            return False
    if candidate.version is None:
        return None
    if isinstance(vers_range, str):
        vers_range = _range_for_scheme(vers_range, candidate.type)
    return vers_range.contains(candidate.version, scheme=candidate.type)


def _range_for_scheme(vers: str, scheme: str) -> VersionRange:
    # Keys from different schemes do not mix, so build the range's keys with
    # the candidate's scheme even if the vers type says something else.
    parsed = parse_vers_full(vers)
    if not parsed.constraints:
        return parsed.range
    return build_range(parsed.constraints, scheme=scheme)


def _as_parsed(purl: str | ParsedPurl) -> ParsedPurl:
    return purl if isinstance(purl, ParsedPurl) else parse_purl(purl)
