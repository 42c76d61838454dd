"""A CSAF 2.0 document mapped onto our advisory model, without touching the database.

:func:`csaf_map` reads a *validated* document (see :mod:`advisories.feeds.validation`) and
returns a :class:`CsafAdvisory`: the advisory's fields, its CVEs, references and revision
history, and one :class:`TargetSpec` per product it covers. The decisions, in one place:

* ``csaf_informational_advisory`` (no vulnerabilities; a vendor warning such as the BSI's on
  Kaspersky would be one) is kind ``informational`` and covers every product in its tree;
  every other category is kind ``vulnerability``.
* Product status: ``known_affected``, ``first_affected`` and ``last_affected`` include a
  product; ``fixed``, ``first_fixed`` and ``known_not_affected`` exclude it, but only when no
  vulnerability of the document includes it - an exclusion wins over every inclusion of the
  advisory, and a product fixed for one CVE may be affected by another.
  ``under_investigation`` and ``recommended`` say nothing final and are left out.
* A product named by the branches (vendor, product name or family) becomes a product target:
  all versions, one ``product_version``, or the ``product_version_range`` text as given (a
  ``vers:`` string or free text, which target compilation parses or marks ``needs_review``).
  A product without those names becomes a purl target when it has a purl, else a CPE target
  when it has a CPE 2.3 name, else it is reported and skipped.
* A product that one vulnerability lists in two contradicting groups (affected and fixed,
  say: CSAF test 6.1.6) still becomes its target, held for review with what contradicts.
* A document that names nothing to match - no product tree, no vulnerabilities (unless it is
  informational), or no product listed as affected that a target can stand for - says so in
  ``nothing_to_match``; it is kept, not published.
* Relationships (``default_component_of``, ``installed_on`` ...) stand for their
  ``product_reference``: that component is what is affected wherever it runs.
* Severity and CVSS come from the highest base score of any vulnerability (CVSS v3 preferred
  over v2 at equal scores); without scores, from ``aggregate_severity`` when it uses a known
  word; otherwise the model's default.
* Recommended action: ``vendor_fix`` means update; else ``mitigation`` or ``workaround`` means
  mitigate; else ``no_fix_planned`` means replace (the vendor will not fix it); else
  (``none_available``, or no remediation) assess. The advisory-level action is the best one
  any product has, so a fix for most products is not drowned by one end-of-life model.
* TLP: CSAF 2.0 carries TLP 1.0 labels (``document.distribution.tlp.label``). WHITE reads as
  CLEAR; AMBER reads as AMBER+STRICT when ``distribution.text`` says so (as our own export
  writes it, ``csaf_tlp``); a document without a label is GREEN, the model's default.
* Withdrawal: CSAF 2.0 has no status for it; a document-level note titled "Withdrawn" (of
  category ``general``, as our own export writes it) withdraws the advisory, its text the
  reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from advisories.choices import AdvisoryKind, RecommendedAction, ReferenceCategory, Severity, Tlp

INFORMATIONAL_CATEGORY = "csaf_informational_advisory"
INCLUDING_STATUSES = ("known_affected", "first_affected", "last_affected")
EXCLUDING_STATUSES = ("fixed", "first_fixed", "known_not_affected")
# The groups of CSAF test 6.1.6: a product in two of them for one vulnerability contradicts.
_STATUS_GROUPS = {
    "first_affected": "affected",
    "known_affected": "affected",
    "last_affected": "affected",
    "known_not_affected": "not affected",
    "first_fixed": "fixed",
    "fixed": "fixed",
    "under_investigation": "under investigation",
}
RAW_FORMAT = "csaf-2.0"
# TLP 1.0 labels of CSAF 2.0 and the TLP 2.0 levels they read as, and back.
TLP_FROM_CSAF = {"WHITE": Tlp.CLEAR, "GREEN": Tlp.GREEN, "AMBER": Tlp.AMBER, "RED": Tlp.RED}
TLP_TO_CSAF = {
    Tlp.CLEAR: "WHITE",
    Tlp.GREEN: "GREEN",
    Tlp.AMBER: "AMBER",
    Tlp.AMBER_STRICT: "AMBER",
    Tlp.RED: "RED",
}
# What ``distribution.text`` says of an AMBER document that is really TLP:AMBER+STRICT.
AMBER_STRICT_TEXT = "TLP:AMBER+STRICT"

_CVE_RE = re.compile(r"^CVE-\d{4}-\d{4,}$")
_SUMMARY_NOTE_CATEGORIES = ("summary", "description", "general")
# Words publishers use in aggregate_severity.text (Red Hat: Critical/Important/Moderate/Low).
_AGGREGATE_SEVERITY = {
    "critical": Severity.CRITICAL,
    "important": Severity.HIGH,
    "high": Severity.HIGH,
    "moderate": Severity.MEDIUM,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
    "none": Severity.NONE,
}
_REMEDIATION_ACTIONS = (
    ("vendor_fix", RecommendedAction.UPDATE),
    ("mitigation", RecommendedAction.MITIGATE),
    ("workaround", RecommendedAction.MITIGATE),
    ("no_fix_planned", RecommendedAction.REPLACE),
    ("none_available", RecommendedAction.ASSESS),
)
_REMEDIATION_LABELS = {
    "vendor_fix": "Vendor fix",
    "mitigation": "Mitigation",
    "workaround": "Workaround",
    "no_fix_planned": "No fix planned",
    "none_available": "No fix available yet",
}


@dataclass(frozen=True)
class ProductRef:
    """What one CSAF product id stands for, gathered from the branches above it."""

    product_id: str
    full_name: str
    vendor: str = ""
    product: str = ""
    version: str = ""
    version_range: str = ""
    cpe: str = ""
    purl: str = ""


@dataclass(frozen=True)
class TargetSpec:
    """One target to create: a named product (with its range), a purl, or a CPE."""

    is_exclusion: bool
    vendor: str = ""
    product: str = ""
    version_range: str = ""
    purl: str = ""
    cpe: str = ""
    note: str = ""
    conflict: str = ""

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """What makes two specs the same target, whatever their note."""
        return (self.vendor, self.product, self.version_range, self.purl, self.cpe)


@dataclass(frozen=True)
class RevisionSpec:
    number: str
    date: datetime
    summary: str


@dataclass(frozen=True)
class ReferenceSpec:
    url: str
    summary: str
    category: str


@dataclass(frozen=True)
class CsafAdvisory:
    """Everything we take from one CSAF document."""

    identifier: str
    version: str
    tracking_status: str
    category: str
    title: str
    summary: str
    kind: str
    severity: str | None
    cvss_score: Decimal | None
    cvss_vector: str
    recommended_action: str
    action_details: str
    issued_on: date | None
    current_release: datetime
    publisher_name: str
    publisher_namespace: str
    publisher_category: str
    cves: tuple[str, ...]
    references: tuple[ReferenceSpec, ...]
    revisions: tuple[RevisionSpec, ...]
    targets: tuple[TargetSpec, ...]
    warnings: tuple[str, ...] = field(default=())
    nothing_to_match: str = ""
    tlp: str = Tlp.GREEN
    withdrawn_reason: str = ""

    @property
    def is_draft(self) -> bool:
        return self.tracking_status == "draft"


def parse_datetime(text: str) -> datetime:
    """A CSAF date-time (RFC 3339; a trailing ``Z`` is UTC)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def csaf_map(document: dict[str, Any]) -> CsafAdvisory:
    """Map a validated CSAF 2.0 document; see the module docstring for the decisions."""
    meta = document["document"]
    tracking = meta["tracking"]
    vulnerabilities: list[dict[str, Any]] = document.get("vulnerabilities", [])
    severity, score, vector = _severity(vulnerabilities, meta.get("aggregate_severity"))
    action, details = _action(vulnerabilities)
    warnings: list[str] = []
    targets = _targets(document, warnings)
    initial = tracking.get("initial_release_date")
    return CsafAdvisory(
        identifier=tracking["id"].strip(),
        version=tracking["version"],
        tracking_status=tracking["status"],
        category=meta["category"],
        title=meta["title"].strip()[:300],
        summary=_summary(meta.get("notes", []), vulnerabilities),
        kind=AdvisoryKind.INFORMATIONAL
        if meta["category"] == INFORMATIONAL_CATEGORY
        else AdvisoryKind.VULNERABILITY,
        severity=severity,
        cvss_score=score,
        cvss_vector=vector,
        recommended_action=action,
        action_details=details,
        issued_on=parse_datetime(initial).date() if initial else None,
        current_release=parse_datetime(tracking["current_release_date"]),
        publisher_name=meta["publisher"]["name"].strip(),
        publisher_namespace=meta["publisher"]["namespace"].strip(),
        publisher_category=meta["publisher"]["category"],
        cves=tuple(sorted({v["cve"].upper() for v in vulnerabilities if _is_cve(v.get("cve"))})),
        references=_references(meta.get("references", []), vulnerabilities),
        revisions=tuple(
            RevisionSpec(str(r["number"]), parse_datetime(r["date"]), r["summary"].strip())
            for r in tracking.get("revision_history", [])
        ),
        targets=tuple(targets),
        warnings=tuple(warnings),
        nothing_to_match=_nothing_to_match(document, targets),
        tlp=csaf_tlp(meta.get("distribution")),
        withdrawn_reason=_withdrawn_reason(meta.get("notes", [])),
    )


# The title of the note by which a document says that the advisory is withdrawn.
WITHDRAWN_NOTE_TITLE = "Withdrawn"


def _withdrawn_reason(notes: list[dict[str, Any]]) -> str:
    for note in notes:
        if note.get("category") == "general" and note.get("title") == WITHDRAWN_NOTE_TITLE:
            return str(note.get("text", "")).strip() or "Withdrawn by its publisher."
    return ""


def csaf_tlp(distribution: Any) -> str:
    """The TLP 2.0 level a document's ``distribution`` gives (GREEN without a label)."""
    if not isinstance(distribution, dict):
        return Tlp.GREEN
    label = (distribution.get("tlp") or {}).get("label")
    tlp = TLP_FROM_CSAF.get(str(label).upper(), Tlp.GREEN)
    if tlp is Tlp.AMBER and AMBER_STRICT_TEXT in str(distribution.get("text") or ""):
        return Tlp.AMBER_STRICT
    return tlp


def _nothing_to_match(document: dict[str, Any], targets: list[TargetSpec]) -> str:
    if not product_index(document.get("product_tree") or {}):
        return "The document has no product tree: it names no product."
    informational = document["document"]["category"] == INFORMATIONAL_CATEGORY
    if not informational and not document.get("vulnerabilities"):
        return "The document lists no vulnerabilities: it says of no product that it is affected."
    if not any(not target.is_exclusion for target in targets):
        return (
            "No product of the document is listed as affected in a way a target can stand for "
            "(named vendor and product, a purl or a CPE 2.3 name)."
        )
    return ""


def _is_cve(value: object) -> bool:
    return isinstance(value, str) and bool(_CVE_RE.match(value.upper()))


def _summary(notes: list[dict[str, Any]], vulnerabilities: list[dict[str, Any]]) -> str:
    # The document's own summary if it has one; else its description or general notes; else
    # the first vulnerability's, so that a one-CVE advisory still says what it is about.
    for candidates in (notes, *(v.get("notes", []) for v in vulnerabilities[:1])):
        for category in _SUMMARY_NOTE_CATEGORIES:
            texts = [n["text"].strip() for n in candidates if n.get("category") == category]
            if texts:
                return "\n\n".join(texts)
    return ""


def _severity(
    vulnerabilities: list[dict[str, Any]], aggregate: dict[str, Any] | None
) -> tuple[str | None, Decimal | None, str]:
    best: tuple[Decimal, int, str, str] | None = None  # (score, v3 preferred, severity, vector)
    for vulnerability in vulnerabilities:
        for score in vulnerability.get("scores", []):
            for key, is_v3 in (("cvss_v3", 1), ("cvss_v2", 0)):
                cvss = score.get(key)
                if not cvss:
                    continue
                base = Decimal(str(cvss["baseScore"])).quantize(Decimal("0.1"))
                candidate = (base, is_v3, _rating(base, v3=bool(is_v3)), cvss["vectorString"])
                if best is None or candidate[:2] > best[:2]:
                    best = candidate
    if best is not None:
        return best[2], best[0], best[3][:200]
    word = str((aggregate or {}).get("text", "")).strip().lower()
    return _AGGREGATE_SEVERITY.get(word), None, ""


def _rating(score: Decimal, *, v3: bool) -> str:
    """The qualitative rating of a base score (CVSS v3.x table; v2 has no 'critical')."""
    if score == 0:
        return Severity.NONE
    if score < 4:
        return Severity.LOW
    if score < 7:
        return Severity.MEDIUM
    if score < 9 or not v3:
        return Severity.HIGH
    return Severity.CRITICAL


def _action(vulnerabilities: list[dict[str, Any]]) -> tuple[str, str]:
    categories: set[str] = set()
    details: list[str] = []
    for vulnerability in vulnerabilities:
        for remediation in vulnerability.get("remediations", []):
            category = remediation["category"]
            categories.add(category)
            line = (
                f"{_REMEDIATION_LABELS.get(category, category)}: {remediation['details'].strip()}"
            )
            if remediation.get("url"):
                line += f" ({remediation['url']})"
            if line not in details:
                details.append(line)
    action = next(
        (action for category, action in _REMEDIATION_ACTIONS if category in categories),
        RecommendedAction.ASSESS,
    )
    return action, "\n".join(details)


def _references(
    document_references: list[dict[str, Any]], vulnerabilities: list[dict[str, Any]]
) -> tuple[ReferenceSpec, ...]:
    seen: dict[str, ReferenceSpec] = {}
    everything = [
        *document_references,
        *(r for v in vulnerabilities for r in v.get("references", [])),
    ]
    for reference in everything:
        url = reference["url"].strip()
        if url in seen or len(url) > 1000:
            continue
        category = (
            ReferenceCategory.SELF
            if reference.get("category") == "self"
            else ReferenceCategory.EXTERNAL
        )
        seen[url] = ReferenceSpec(url, reference.get("summary", "").strip()[:300], category)
    return tuple(seen.values())


def product_index(product_tree: dict[str, Any]) -> dict[str, ProductRef]:
    """Every product id the tree defines, with the names and helpers that describe it."""
    index: dict[str, ProductRef] = {}
    for product in _branch_products(product_tree.get("branches", []), {}):
        index[product.product_id] = product
    for full in product_tree.get("full_product_names", []):
        index[full["product_id"]] = _with_helpers(
            ProductRef(full["product_id"], full["name"]), full
        )
    for relationship in product_tree.get("relationships", []):
        full = relationship["full_product_name"]
        component = index.get(relationship["product_reference"])
        ref = ProductRef(full["product_id"], full["name"])
        if component is not None:
            ref = replace(component, product_id=full["product_id"], full_name=full["name"])
        index[full["product_id"]] = _with_helpers(ref, full)
    return index


def _branch_products(
    branches: list[dict[str, Any]], context: dict[str, str]
) -> Iterator[ProductRef]:
    for branch in branches:
        here = {**context, branch["category"]: branch["name"].strip()}
        if "product" in branch:
            product = branch["product"]
            yield _with_helpers(
                ProductRef(
                    product_id=product["product_id"],
                    full_name=product["name"],
                    vendor=here.get("vendor", ""),
                    product=here.get("product_name") or here.get("product_family", ""),
                    version=here.get("product_version", ""),
                    version_range=here.get("product_version_range", ""),
                ),
                product,
            )
        yield from _branch_products(branch.get("branches", []), here)


def _with_helpers(ref: ProductRef, full_product_name: dict[str, Any]) -> ProductRef:
    helper = full_product_name.get("product_identification_helper", {})
    return replace(ref, cpe=helper.get("cpe", ref.cpe), purl=helper.get("purl", ref.purl))


def _targets(document: dict[str, Any], warnings: list[str]) -> list[TargetSpec]:
    index = product_index(document.get("product_tree", {}))
    if document["document"]["category"] == INFORMATIONAL_CATEGORY:
        included = list(index)
        excluded: list[str] = []
    else:
        included = _status_ids(document, INCLUDING_STATUSES)
        included_set = set(included)
        excluded = [
            pid for pid in _status_ids(document, EXCLUDING_STATUSES) if pid not in included_set
        ]
    conflicts = _contradictions(document)
    specs: dict[tuple[bool, tuple[str, ...]], TargetSpec] = {}
    left_out: dict[str, None] = {}
    for is_exclusion, product_ids in ((False, included), (True, excluded)):
        for product_id in product_ids:
            spec = _target_for(index[product_id], is_exclusion=is_exclusion)
            if spec is None:
                left_out[product_id] = None
                continue
            spec = replace(spec, conflict=conflicts.get(product_id, ""))
            kept = specs.setdefault((is_exclusion, spec.key), spec)
            if spec.conflict and not kept.conflict:
                specs[(is_exclusion, spec.key)] = replace(kept, conflict=spec.conflict)
    if left_out:
        # Typically a package build inside a platform (Red Hat's RPMs without a purl): a
        # product target cannot say "this package on that platform", so it is not guessed.
        shown = ", ".join(list(left_out)[:5]) + (" ..." if len(left_out) > 5 else "")
        warnings.append(
            f"{len(left_out)} product(s) name no vendor and product and have no purl or CPE 2.3 "
            f"name, so they were left out: {shown}"
        )
    included_keys = {key for (is_exclusion, key) in specs if not is_exclusion}
    return [
        spec
        for (is_exclusion, key), spec in specs.items()
        if not is_exclusion or key not in included_keys
    ]


def _contradictions(document: dict[str, Any]) -> dict[str, str]:
    """What contradicts, by product id, where a vulnerability puts a product in two groups."""
    conflicts: dict[str, str] = {}
    for number, vulnerability in enumerate(document.get("vulnerabilities", []), start=1):
        groups: dict[str, list[str]] = {}
        for status, product_ids in vulnerability.get("product_status", {}).items():
            group = _STATUS_GROUPS.get(status)
            if group is None:
                continue
            for product_id in product_ids:
                if group not in groups.setdefault(product_id, []):
                    groups[product_id].append(group)
        name = vulnerability.get("cve") or f"vulnerability {number}"
        for product_id, named in groups.items():
            if len(named) > 1 and product_id not in conflicts:
                conflicts[product_id] = (
                    f"The source lists it as {' and as '.join(named)} for {name} "
                    "(CSAF test 6.1.6); say which holds."
                )
    return conflicts


def _status_ids(document: dict[str, Any], statuses: Iterable[str]) -> list[str]:
    ids: dict[str, None] = {}  # ordered set: targets keep the document's order
    for vulnerability in document.get("vulnerabilities", []):
        product_status = vulnerability.get("product_status", {})
        for status in statuses:
            ids.update(dict.fromkeys(product_status.get(status, [])))
    return list(ids)


def _target_for(ref: ProductRef, *, is_exclusion: bool) -> TargetSpec | None:
    note = f"CSAF {ref.product_id}: {ref.full_name}"[:300]
    if ref.vendor and ref.product:
        return TargetSpec(
            is_exclusion=is_exclusion,
            vendor=ref.vendor[:200],
            product=ref.product[:200],
            version_range=(ref.version_range or ref.version)[:500],
            note=note,
        )
    if ref.purl:
        return TargetSpec(is_exclusion=is_exclusion, purl=ref.purl[:500], note=note)
    if ref.cpe.startswith("cpe:2.3:"):
        return TargetSpec(is_exclusion=is_exclusion, cpe=ref.cpe[:500], note=note)
    return None
