"""Our own advisories as CSAF 2.0 documents, checked before anyone is given one.

:func:`advisory_csaf` builds the document of one published (or withdrawn) advisory of one of
our own sources (kind ``internal``); :func:`advisory_csaf_checked` also runs the ``csaf``
package's schema and every mandatory test (the profile tests of 6.1.27 included) and raises
:class:`CsafExportRefused` with the reasons when the document fails any, so that nothing
invalid is served. The decisions, in one place:

* category: ``csaf_security_advisory`` for a vulnerability, ``csaf_informational_advisory``
  for every other kind (a vendor warning, a prohibition, information): they state no
  vulnerability, and an informational document covers every product of its tree, so its
  exclusions are stated in a note only;
* product tree from the targets: vendor → product name → version or range (the range text as
  given, a ``vers:`` string where the editor wrote one), with the product's CPE and purl as
  helpers; a vendor target names each product the catalogue has of it (and of its
  subsidiaries when it takes them in); a CPE or purl target is a full product name with its
  helper, a CPE with NVD-style bounds a range under the CPE's vendor and product. A
  jurisdiction target cannot be stated in CSAF and refuses the export;
* one vulnerability per CVE (one without an id when there is none): inclusions are
  ``known_affected``; an exclusion that names versions is ``fixed``, one that names none
  ``known_not_affected``; the recommended action is the remediation (update ``vendor_fix``,
  mitigate ``mitigation``, replace ``no_fix_planned``, assess ``none_available``), the
  action's details and deadline its text; a CVSS 3 vector becomes the score;
* revision history: the advisory's revisions since it was published, numbered from 1; the
  document's version is the last of them, so a new revision supersedes the old document;
* TLP: CSAF 2.0 carries TLP 1.0 labels, so CLEAR is written WHITE, and AMBER+STRICT is
  written AMBER with the restriction stated in ``distribution.text``
  (``advisories.feeds.csaf`` reads it back).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cvss import CVSS3
from cvss.exceptions import CVSSError
from django.conf import settings

from advisories.choices import (
    AdvisoryKind,
    AdvisoryStatus,
    RecommendedAction,
    ReferenceCategory,
    SourceKind,
    TargetKind,
    Tlp,
)
from advisories.feeds.csaf import AMBER_STRICT_TEXT, TLP_TO_CSAF, WITHDRAWN_NOTE_TITLE
from advisories.feeds.errors import Problem
from advisories.feeds.validation import csaf_check, csaf_profile_problems
from advisories.models import Advisory, AffectedTarget
from vendors.models import Product, Vendor

SECURITY_ADVISORY = "csaf_security_advisory"
INFORMATIONAL_ADVISORY = "csaf_informational_advisory"
TLP_URL = "https://www.first.org/tlp/"
REMEDIATIONS = {
    RecommendedAction.UPDATE: "vendor_fix",
    RecommendedAction.MITIGATE: "mitigation",
    RecommendedAction.REPLACE: "no_fix_planned",
    RecommendedAction.ASSESS: "none_available",
}
EXPORTED_STATUSES = (AdvisoryStatus.PUBLISHED, AdvisoryStatus.WITHDRAWN)


class CsafExportRefused(Exception):
    """The advisory cannot be published as CSAF; ``reasons`` say why, for its editor."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def exportable_advisories() -> Any:
    """The advisories our provider publishes: published or withdrawn, of our own sources."""
    return Advisory.objects.filter(
        source__kind=SourceKind.INTERNAL, status__in=EXPORTED_STATUSES
    ).select_related("source")


def advisory_csaf_checked(advisory: Advisory) -> dict[str, Any]:
    """The advisory's CSAF document, once it passes the schema and every mandatory test."""
    document = advisory_csaf(advisory)
    check = csaf_check(document)
    problems: list[Problem] = [
        *check.refusals,
        *check.violations,
        *csaf_profile_problems(document),
    ]
    if problems:
        raise CsafExportRefused(
            [f"{problem.path or '/'}: {problem.message}" for problem in problems]
        )
    return document


def advisory_csaf(advisory: Advisory) -> dict[str, Any]:
    """The advisory as a CSAF 2.0 document (see the module docstring); unchecked."""
    if advisory.source.kind != SourceKind.INTERNAL:
        raise CsafExportRefused(["Only advisories of our own sources are published as CSAF."])
    if advisory.status not in EXPORTED_STATUSES:
        raise CsafExportRefused(["A draft is not published as CSAF."])
    targets = list(
        advisory.targets.select_related("vendor", "product__vendor").order_by("is_exclusion", "pk")
    )
    tree = _ProductTree()
    included: list[str] = []
    excluded: dict[str, list[str]] = {"fixed": [], "known_not_affected": []}
    reasons: list[str] = []
    for target in targets:
        try:
            ids = tree.add(target)
        except CsafExportRefused as refused:
            reasons.extend(refused.reasons)
            continue
        if target.is_exclusion:
            excluded["fixed" if _names_versions(target) else "known_not_affected"].extend(ids)
        else:
            included.extend(ids)
    if not included:
        reasons.append("It covers no product that CSAF can name.")
    if reasons:
        raise CsafExportRefused(reasons)
    informational = advisory.kind != AdvisoryKind.VULNERABILITY
    document: dict[str, Any] = {
        "document": _document_meta(advisory, informational=informational, targets=targets),
        "product_tree": tree.as_csaf(informational=informational, excluded=excluded),
    }
    if not informational:
        document["vulnerabilities"] = _vulnerabilities(advisory, included, excluded)
    return document


def _names_versions(target: AffectedTarget) -> bool:
    return bool(
        target.version_range
        or target.version_start_including
        or target.version_start_excluding
        or target.version_end_including
        or target.version_end_excluding
        or (target.kind == TargetKind.PURL and "@" in target.purl)
        or (target.kind == TargetKind.CPE and target.cpe.split(":")[5:6] not in (["*"], ["-"]))
    )


@dataclass
class _Leaf:
    """One product id of the tree: where it hangs (vendor, product, version branch) or, for
    a bare CPE or purl, its full product name."""

    product_id: str
    name: str
    vendor: str = ""
    product: str = ""
    version_category: str = ""
    version: str = ""
    helper: dict[str, str] | None = None
    is_exclusion: bool = False


class _ProductTree:
    def __init__(self) -> None:
        self.leaves: list[_Leaf] = []

    def _leaf(self, target: AffectedTarget, name: str, **fields: Any) -> str:
        product_id = f"VW-{target.pk}-{sum(1 for _ in self.leaves) + 1}"
        self.leaves.append(
            _Leaf(product_id=product_id, name=name, is_exclusion=target.is_exclusion, **fields)
        )
        return product_id

    def _product(self, target: AffectedTarget, product: Product, version: str = "") -> str:
        helper = {
            name: value for name, value in (("cpe", product.cpe), ("purl", product.purl)) if value
        }
        return self._leaf(
            target,
            f"{product.vendor.name} {product.name} {version}".strip(),
            vendor=product.vendor.name,
            product=product.name,
            version_category="product_version_range" if version else "",
            version=version,
            helper=helper or None,
        )

    def add(self, target: AffectedTarget) -> list[str]:
        kind = TargetKind(target.kind)
        if kind is TargetKind.JURISDICTION:
            raise CsafExportRefused(
                [
                    f"The target '{target}' names a jurisdiction, which CSAF cannot state; "
                    "name the vendors instead."
                ]
            )
        if kind is TargetKind.VENDOR:
            assert target.vendor is not None
            products = list(_vendor_products(target.vendor, target.include_subsidiaries))
            if not products:
                raise CsafExportRefused(
                    [f"The vendor {target.vendor} has no product in the catalogue to name."]
                )
            return [self._product(target, product) for product in products]
        if kind is TargetKind.PRODUCT:
            assert target.product is not None
            return [self._product(target, target.product)]
        if kind is TargetKind.PRODUCT_RANGE:
            assert target.product is not None
            return [self._product(target, target.product, target.version_range.strip())]
        if kind is TargetKind.PURL:
            return [self._leaf(target, target.purl, helper={"purl": target.purl})]
        # A CPE match string: with NVD-style bounds, a range under its vendor and product.
        bounds = _vers_bounds(target)
        if bounds and target.cpe_vendor and target.cpe_product:
            return [
                self._leaf(
                    target,
                    f"{target.cpe_vendor} {target.cpe_product} {bounds}",
                    vendor=target.cpe_vendor,
                    product=target.cpe_product,
                    version_category="product_version_range",
                    version=bounds,
                    helper={"cpe": target.cpe},
                )
            ]
        return [self._leaf(target, target.cpe, helper={"cpe": target.cpe})]

    def as_csaf(self, *, informational: bool, excluded: dict[str, list[str]]) -> dict[str, Any]:
        # An informational document covers every product of its tree: its exclusions are
        # stated in a note instead (see _document_meta).
        leaves = [leaf for leaf in self.leaves if not (informational and leaf.is_exclusion)]
        vendors: dict[str, dict[str, list[_Leaf]]] = {}
        full_names: list[dict[str, Any]] = []
        for leaf in leaves:
            if leaf.vendor:
                vendors.setdefault(leaf.vendor, {}).setdefault(leaf.product, []).append(leaf)
            else:
                full_names.append(_full_product_name(leaf))
        tree: dict[str, Any] = {}
        if vendors:
            tree["branches"] = [
                {
                    "category": "vendor",
                    "name": vendor,
                    "branches": [
                        _product_branch(product, product_leaves)
                        for product, product_leaves in products.items()
                    ],
                }
                for vendor, products in vendors.items()
            ]
        if full_names:
            tree["full_product_names"] = full_names
        return tree


def _product_branch(product: str, leaves: list[_Leaf]) -> dict[str, Any]:
    branch: dict[str, Any] = {"category": "product_name", "name": product}
    whole = [leaf for leaf in leaves if not leaf.version]
    if whole:
        # A product named more than once for all its versions is one product id.
        branch["product"] = _full_product_name(whole[0])
        for duplicate in whole[1:]:
            duplicate.product_id = whole[0].product_id
    versions = [leaf for leaf in leaves if leaf.version]
    if versions:
        branch["branches"] = [
            {
                "category": leaf.version_category,
                "name": leaf.version,
                "product": _full_product_name(leaf),
            }
            for leaf in versions
        ]
    return branch


def _full_product_name(leaf: _Leaf) -> dict[str, Any]:
    product: dict[str, Any] = {"name": leaf.name, "product_id": leaf.product_id}
    if leaf.helper:
        product["product_identification_helper"] = dict(leaf.helper)
    return product


def _vendor_products(vendor: Vendor, subsidiaries: bool) -> list[Product]:
    vendors, frontier = [vendor], [vendor]
    while subsidiaries and frontier:
        frontier = list(
            Vendor.objects.filter(parent__in=frontier).exclude(pk__in=[v.pk for v in vendors])
        )
        vendors.extend(frontier)
    return list(
        Product.objects.filter(vendor__in=vendors)
        .select_related("vendor")
        .order_by("vendor__name", "name")
    )


def _vers_bounds(target: AffectedTarget) -> str:
    """A CPE target's NVD-style bounds as a ``vers`` range; empty without bounds."""
    parts = [
        f"{op}{value.strip()}"
        for op, value in (
            (">=", target.version_start_including),
            (">", target.version_start_excluding),
            ("<=", target.version_end_including),
            ("<", target.version_end_excluding),
        )
        if value.strip()
    ]
    return f"vers:generic/{'|'.join(parts)}" if parts else ""


def _distribution(tlp: str) -> dict[str, Any]:
    distribution: dict[str, Any] = {"tlp": {"label": TLP_TO_CSAF[Tlp(tlp)], "url": TLP_URL}}
    if tlp == Tlp.AMBER_STRICT:
        distribution["text"] = (
            f"{AMBER_STRICT_TEXT}: for the members of the recipient organizations only; "
            "not to be shared beyond them."
        )
    return distribution


def _released_revisions(advisory: Advisory) -> list[dict[str, Any]]:
    revisions = [
        revision
        for revision in advisory.revisions.order_by("number")
        if revision.snapshot.get("status") in EXPORTED_STATUSES
    ]
    if not revisions:
        return [{"number": "1", "date": _timestamp(advisory.published_at), "summary": "Published."}]
    return [
        {
            "number": str(number),
            "date": _timestamp(revision.created_at),
            "summary": revision.summary.strip()[:1000] or "Revised.",
        }
        for number, revision in enumerate(revisions, start=1)
    ]


def _timestamp(value: Any) -> str:
    return str(value.isoformat().replace("+00:00", "Z"))


def _document_meta(
    advisory: Advisory, *, informational: bool, targets: list[AffectedTarget]
) -> dict[str, Any]:
    history = _released_revisions(advisory)
    notes = [
        {
            "category": "summary",
            "title": "Summary",
            "text": advisory.summary.strip() or advisory.title,
        }
    ]
    if advisory.action_details.strip() or advisory.action_deadline:
        notes.append({"category": "general", "title": "What to do", "text": _action_text(advisory)})
    exclusions = [str(target) for target in targets if target.is_exclusion]
    if informational and exclusions:
        notes.append(
            {"category": "general", "title": "Not concerned", "text": "; ".join(exclusions)}
        )
    if advisory.status == AdvisoryStatus.WITHDRAWN:
        notes.append(
            {
                "category": "general",
                "title": WITHDRAWN_NOTE_TITLE,
                "text": advisory.withdrawn_reason or "This advisory is withdrawn.",
            }
        )
    meta: dict[str, Any] = {
        "category": INFORMATIONAL_ADVISORY if informational else SECURITY_ADVISORY,
        "csaf_version": "2.0",
        "title": advisory.title,
        "lang": "en",
        "publisher": {
            "category": settings.CSAF_PUBLISHER_CATEGORY,
            "name": settings.CSAF_PUBLISHER_NAME,
            "namespace": settings.CSAF_PUBLISHER_NAMESPACE,
        },
        "distribution": _distribution(advisory.tlp),
        "aggregate_severity": {"text": advisory.get_severity_display()},
        "notes": notes,
        "tracking": {
            "id": advisory.identifier,
            "status": "final",
            "version": history[-1]["number"],
            "initial_release_date": _timestamp(advisory.published_at),
            "current_release_date": max(item["date"] for item in history),
            "revision_history": history,
            "generator": {"engine": {"name": "Vendorwatch"}},
        },
    }
    references = [
        {
            "category": "self" if reference.category == ReferenceCategory.SELF else "external",
            "summary": reference.summary or reference.url,
            "url": reference.url,
        }
        for reference in advisory.references.all()
    ]
    if references:
        meta["references"] = references
    return meta


def _action_text(advisory: Advisory) -> str:
    text = advisory.action_details.strip() or advisory.get_recommended_action_display()
    if advisory.action_deadline:
        text += f" Deadline: {advisory.action_deadline.isoformat()}."
    return text


def _vulnerabilities(
    advisory: Advisory, included: list[str], excluded: dict[str, list[str]]
) -> list[dict[str, Any]]:
    cves: list[str | None] = [*advisory.cves.values_list("cve_id", flat=True)] or [None]
    affected = list(dict.fromkeys(included))
    status: dict[str, list[str]] = {"known_affected": affected}
    for name, ids in excluded.items():
        kept = [pid for pid in dict.fromkeys(ids) if pid not in affected]
        if kept:
            status[name] = kept
    vulnerabilities = []
    for cve in cves:
        vulnerability: dict[str, Any] = {
            "notes": [
                {
                    "category": "description",
                    "title": "Description",
                    "text": advisory.summary.strip() or advisory.title,
                }
            ],
            "product_status": status,
            "remediations": [
                {
                    "category": REMEDIATIONS[RecommendedAction(advisory.recommended_action)],
                    "details": _action_text(advisory),
                    "product_ids": affected,
                }
            ],
        }
        if cve is not None:
            vulnerability["cve"] = cve
        score = _cvss_v3(advisory.cvss_vector)
        if score is not None:
            vulnerability["scores"] = [{"products": affected, "cvss_v3": score}]
        vulnerabilities.append(vulnerability)
    return vulnerabilities


def _cvss_v3(vector: str) -> dict[str, Any] | None:
    if not vector.startswith(("CVSS:3.0/", "CVSS:3.1/")):
        return None
    try:
        cvss = CVSS3(vector)
    except CVSSError:
        return None
    return {
        "version": vector[5:8],
        "vectorString": cvss.clean_vector(),
        "baseScore": float(cvss.scores()[0]),
        "baseSeverity": cvss.severities()[0].upper(),
    }


def csaf_bytes(document: dict[str, Any]) -> bytes:
    """The document as served: one fixed serialization, so its hash and signature hold."""
    return json.dumps(document, ensure_ascii=False, indent=2).encode() + b"\n"


def csaf_filename(identifier: str) -> str:
    """The file name CSAF gives a document: its tracking id in lower case, every character
    other than a-z, 0-9, '+' and '-' replaced by '_' (section 5.1)."""
    name = "".join(
        c if c.isascii() and (c.isalnum() or c in "+-") else "_" for c in identifier.lower()
    )
    return f"{name}.json"
