"""Applying a CSAF document or the KEV catalog to the database, each in one transaction.

A document either lands whole - advisory, targets, CVEs, references, revisions, vendors and
products it named - or not at all. Applying the same thing again writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from advisories.choices import (
    AdvisoryKind,
    AdvisoryStatus,
    ReferenceCategory,
    Severity,
    SourceKind,
    TargetKind,
)
from advisories.feeds import kev as kev_mapping
from advisories.feeds.catalogue import products_resolve
from advisories.feeds.csaf import RAW_FORMAT as CSAF_RAW_FORMAT
from advisories.feeds.csaf import CsafAdvisory, TargetSpec, csaf_map
from advisories.feeds.errors import DocumentInvalid, Problem
from advisories.feeds.kev import KevEntry, kev_parse
from advisories.feeds.validation import csaf_validate, parse_json
from advisories.models import (
    Advisory,
    AdvisoryCve,
    AdvisoryReference,
    AdvisoryRevision,
    AffectedTarget,
    Source,
)
from advisories.services import (
    advisory_create,
    advisory_publish,
    advisory_revision_add,
    target_compile,
    target_read_as,
)
from audit.services import audit_record
from vendors.match_requests import MATCH_ADVISORIES, matching_request_on_commit
from vendors.matching.versions import InvalidVersion, compare_versions
from vendors.models import Product

Outcome = Literal["imported", "updated", "unchanged", "ignored"]

# CSAF publisher categories; a coordinator is typically a national CERT such as the BSI.
_PUBLISHER_KINDS = {
    "vendor": SourceKind.VENDOR_PSIRT,
    "coordinator": SourceKind.NATIONAL_CERT,
}
_url_valid = URLValidator()


@dataclass(frozen=True)
class ImportResult:
    """What applying one document did, and what the editor should know about it."""

    outcome: Outcome
    advisory: Advisory
    message: str
    warnings: tuple[str, ...] = ()


def csaf_import(
    *,
    content: bytes,
    name: str = "the document",
    source: Source | None = None,
    user: Any = None,
    request: Any = None,
) -> ImportResult:
    """Parse, validate and apply one CSAF 2.0 document; raises ``DocumentInvalid`` if it is not.

    ``source`` is the feed's source when the document came from one; otherwise the source is
    found from the document's publisher (namespace, then name), or created.
    """
    document = parse_json(content, name=name)
    csaf_validate(document, name=name)
    try:
        return csaf_document_apply(document=document, source=source, user=user, request=request)
    except ValidationError as error:
        # Valid CSAF our model cannot hold (an id over 100 characters, say); the transaction
        # has rolled back everything this document wrote.
        raise DocumentInvalid(
            f"{name} is valid CSAF but cannot be stored.",
            [Problem("", f"{field}: {' '.join(messages)}") for field, messages in _messages(error)],
        ) from error


def _messages(error: ValidationError) -> list[tuple[str, list[str]]]:
    if hasattr(error, "error_dict"):
        return list(error.message_dict.items())
    return [("document", list(error.messages))]


@transaction.atomic
def csaf_document_apply(
    *,
    document: dict[str, Any],
    source: Source | None = None,
    user: Any = None,
    request: Any = None,
) -> ImportResult:
    """Apply a validated CSAF document: create, move to a newer version, or leave alone."""
    mapped = csaf_map(document)
    source = source or _publisher_source(mapped)
    existing = (
        Advisory.objects.select_for_update()
        .filter(source=source, identifier=mapped.identifier)
        .first()
    )
    if existing is None:
        return _csaf_create(mapped, document, source, user, request)
    label = f"{mapped.identifier} version {mapped.version}"
    if existing.raw_format != CSAF_RAW_FORMAT:
        return ImportResult(
            "ignored",
            existing,
            f"{label} was not applied: {source} already has an advisory {mapped.identifier} "
            "that was not imported from CSAF.",
        )
    order = _version_order(mapped.version, existing.source_version)
    if order == 0:
        return ImportResult("unchanged", existing, f"{label} is already imported.")
    if order < 0:
        return ImportResult(
            "ignored",
            existing,
            f"{label} is older than the imported version {existing.source_version}; ignored.",
        )
    return _csaf_update(existing, mapped, document, user, request)


def _version_order(new: str, old: str) -> int:
    if new == old:
        return 0
    try:
        return compare_versions(new, old)
    except InvalidVersion:
        return (new > old) - (new < old)


def _publisher_source(mapped: CsafAdvisory) -> Source:
    namespace = mapped.publisher_namespace.rstrip("/")
    source = (
        Source.objects.filter(Q(website=namespace) | Q(website=f"{namespace}/")).first()
        or Source.objects.filter(name=mapped.publisher_name[:200]).first()
    )
    if source is not None:
        return source
    slug_base = _slug(mapped.publisher_name)
    slug, n = slug_base, 1
    while Source.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{slug_base}-{n}"
    return Source.objects.create(
        name=mapped.publisher_name[:200],
        slug=slug,
        kind=_PUBLISHER_KINDS.get(mapped.publisher_category, SourceKind.OTHER),
        website=namespace[:200],
    )


def _slug(name: str) -> str:
    return slugify(name)[:90] or "source"


def _advisory_fields(mapped: CsafAdvisory, document: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "identifier": mapped.identifier,
        "title": mapped.title,
        "summary": mapped.summary,
        "kind": mapped.kind,
        "cvss_score": mapped.cvss_score,
        "cvss_vector": mapped.cvss_vector,
        "recommended_action": mapped.recommended_action,
        "action_details": mapped.action_details,
        "issued_on": mapped.issued_on,
        "source_version": mapped.version,
        "raw_document": document,
        "raw_format": CSAF_RAW_FORMAT,
    }
    if mapped.severity is not None:
        fields["severity"] = mapped.severity
    return fields


def _target_fields(specs: tuple[TargetSpec, ...]) -> list[dict[str, Any]]:
    products = products_resolve((s.vendor, s.product) for s in specs if s.vendor and s.product)
    targets: list[dict[str, Any]] = []
    for spec in specs:
        common = {"is_exclusion": spec.is_exclusion, "note": spec.note}
        if spec.vendor and spec.product:
            product = products[(spec.vendor, spec.product)]
            kind = TargetKind.PRODUCT_RANGE if spec.version_range else TargetKind.PRODUCT
            targets.append(
                {**common, "kind": kind, "product": product, "version_range": spec.version_range}
            )
        elif spec.purl:
            targets.append({**common, "kind": TargetKind.PURL, "purl": spec.purl})
        else:
            targets.append({**common, "kind": TargetKind.CPE, "cpe": spec.cpe})
    return targets


def _valid_references(mapped: CsafAdvisory, warnings: list[str]) -> list[dict[str, Any]]:
    references = []
    for reference in mapped.references:
        try:
            _url_valid(reference.url)
        except ValidationError:
            warnings.append(f"The reference {reference.url!r} is not a valid URL; left out.")
            continue
        references.append(
            {"url": reference.url, "summary": reference.summary, "category": reference.category}
        )
    return references


def _history_add(advisory: Advisory, mapped: CsafAdvisory, known: set[str]) -> None:
    """Append the document's revision history entries that the advisory does not have yet."""
    last = advisory.revisions.order_by("-number").values_list("number", flat=True).first() or 0
    new = [r for r in mapped.revisions if r.number not in known]
    AdvisoryRevision.objects.bulk_create(
        AdvisoryRevision(
            advisory=advisory,
            number=last + offset,
            source_version=revision.number[:50],
            summary=f"{mapped.publisher_name} revision {revision.number}: {revision.summary}",
            created_at=revision.date,
        )
        for offset, revision in enumerate(new, start=1)
    )


def _csaf_create(
    mapped: CsafAdvisory, document: dict[str, Any], source: Source, user: Any, request: Any
) -> ImportResult:
    warnings = list(mapped.warnings)
    advisory = advisory_create(
        user=user,
        request=request,
        targets=_target_fields(mapped.targets),
        cve_ids=mapped.cves,
        references=_valid_references(mapped, warnings),
        source=source,
        **_advisory_fields(mapped, document),
    )
    _history_add(advisory, mapped, known=set())
    if not mapped.is_draft:
        advisory = advisory_publish(advisory=advisory, user=user, request=request)
    _audit_import(advisory, mapped, "imported", user, request)
    review = advisory.targets.filter(needs_review=True).count()
    if review:
        warnings.append(f"{review} target(s) have a version range that needs review.")
    return ImportResult(
        "imported",
        advisory,
        f"{mapped.identifier} version {mapped.version} imported"
        f"{' as a draft' if mapped.is_draft else ' and published'}.",
        tuple(warnings),
    )


def _csaf_update(
    advisory: Advisory, mapped: CsafAdvisory, document: dict[str, Any], user: Any, request: Any
) -> ImportResult:
    warnings = list(mapped.warnings)
    previous = advisory.source_version
    known = set(advisory.revisions.values_list("source_version", flat=True))
    for name, value in _advisory_fields(mapped, document).items():
        setattr(advisory, name, value)
    advisory.full_clean(validate_unique=False)
    # The matcher re-reads the advisory: the durable marker is set in this same transaction.
    advisory.match_requested_at = timezone.now()
    advisory.save()
    advisory.cves.all().delete()
    AdvisoryCve.objects.bulk_create(AdvisoryCve(advisory=advisory, cve_id=c) for c in mapped.cves)
    advisory.references.all().delete()
    AdvisoryReference.objects.bulk_create(
        AdvisoryReference(advisory=advisory, **r) for r in _valid_references(mapped, warnings)
    )
    advisory.targets.all().delete()
    for target_fields in _target_fields(mapped.targets):
        target_compile(target=AffectedTarget(advisory=advisory, **target_fields))
    _history_add(advisory, mapped, known=known)
    advisory_revision_add(
        advisory=advisory,
        summary=f"Updated from CSAF version {previous} to {mapped.version}.",
        user=user,
    )
    if advisory.status == AdvisoryStatus.DRAFT and not mapped.is_draft:
        advisory = advisory_publish(advisory=advisory, user=user, request=request)
    elif advisory.status != AdvisoryStatus.DRAFT:
        # Already live: its new targets must reach the inventories now, not at the next sweep.
        matching_request_on_commit(MATCH_ADVISORIES, [advisory.pk])
    _audit_import(advisory, mapped, "updated", user, request)
    return ImportResult(
        "updated",
        advisory,
        f"{mapped.identifier} updated from version {previous} to {mapped.version}.",
        tuple(warnings),
    )


def _audit_import(
    advisory: Advisory, mapped: CsafAdvisory, outcome: str, user: Any, request: Any
) -> None:
    audit_record(
        action="advisory.import_csaf",
        actor=user,
        obj=advisory,
        after={"outcome": outcome, "version": mapped.version, "status": mapped.tracking_status},
        request=request,
    )


@dataclass
class KevResult:
    """What applying a KEV catalog did."""

    catalog_version: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: tuple[Problem, ...] = ()
    created_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)


def kev_source() -> Source:
    """The source KEV advisories belong to when no feed source is given (e.g. a command)."""
    source = Source.objects.filter(feed_kind="cisa_kev").order_by("pk").first()
    if source is not None:
        return source
    source, _ = Source.objects.get_or_create(
        slug="cisa-kev",
        defaults={
            "name": "CISA Known Exploited Vulnerabilities catalog",
            "kind": SourceKind.NATIONAL_CERT,
            "country": "US",
            "website": "https://www.cisa.gov/known-exploited-vulnerabilities-catalog",
        },
    )
    return source


def kev_import(*, content: bytes, source: Source | None = None, user: Any = None) -> KevResult:
    """Parse and apply a KEV catalog; entries that break its rules are reported and skipped."""
    catalog = kev_parse(parse_json(content, name="the KEV catalog"))
    if not catalog.entries and catalog.problems:
        raise DocumentInvalid("The KEV catalog has no valid entry.", catalog.problems)
    result = kev_entries_apply(
        entries=catalog.entries,
        catalog_version=catalog.version,
        source=source or kev_source(),
        user=user,
    )
    result.problems = catalog.problems
    return result


@transaction.atomic
def kev_entries_apply(
    *, entries: tuple[KevEntry, ...], catalog_version: str, source: Source, user: Any = None
) -> KevResult:
    """Create or update one published advisory per entry, in bulk; unchanged entries cost no
    write.

    The catalog holds some 1,400 entries, so this does in a few bulk statements what
    ``advisory_create`` and ``advisory_publish`` do one advisory at a time: the advisory
    (published, marked for matching), its CVE, references, product target, one revision, and
    one audit entry for the whole import. A product target covers every version, so it has no
    intervals to compile; it carries the caveat that the catalog names no versions.
    """
    result = KevResult(catalog_version=catalog_version)
    existing = {
        identifier: (pk, raw)
        for identifier, pk, raw in Advisory.objects.filter(source=source).values_list(
            "identifier", "pk", "raw_document"
        )
    }
    new = [e for e in entries if e.cve_id not in existing]
    changed = [e for e in entries if e.cve_id in existing and existing[e.cve_id][1] != e.raw]
    result.unchanged = len(entries) - len(new) - len(changed)
    if not new and not changed:
        return result
    products = products_resolve((e.vendor, e.product) for e in (*new, *changed))
    now = timezone.now()
    if new:
        result.created_ids = _kev_create(new, products, source, catalog_version, now, user)
        result.created = len(new)
    if changed:
        ids = {e.cve_id: existing[e.cve_id][0] for e in changed}
        _kev_update(changed, ids, products, catalog_version, now, user)
        result.updated_ids = list(ids.values())
        result.updated = len(changed)
    # One matching task for every new or changed entry, sent once the import commits.
    matching_request_on_commit(MATCH_ADVISORIES, [*result.created_ids, *result.updated_ids])
    audit_record(
        action="advisory.import_kev",
        actor=user,
        obj=source,
        after={
            "catalog_version": catalog_version,
            "created": result.created,
            "updated": result.updated,
        },
    )
    return result


def _kev_fields(entry: KevEntry, catalog_version: str) -> dict[str, Any]:
    return {
        "title": entry.title,
        "summary": entry.summary,
        "kind": AdvisoryKind.VULNERABILITY,
        "severity": Severity.HIGH,
        "known_exploited": True,
        "recommended_action": entry.recommended_action,
        "action_details": entry.action_details,
        "action_deadline": entry.action_deadline,
        "issued_on": entry.issued_on,
        "source_version": catalog_version[:50],
        "raw_document": entry.raw,
        "raw_format": kev_mapping.RAW_FORMAT,
    }


def _kev_create(
    entries: list[KevEntry],
    products: dict[tuple[str, str], Product],
    source: Source,
    catalog_version: str,
    now: Any,
    user: Any,
) -> list[int]:
    creator = user if getattr(user, "is_authenticated", False) else None
    advisories = Advisory.objects.bulk_create(
        Advisory(
            source=source,
            identifier=entry.cve_id,
            status=AdvisoryStatus.PUBLISHED,
            published_at=now,
            match_requested_at=now,
            created_by=creator,
            **_kev_fields(entry, catalog_version),
        )
        for entry in entries
    )
    pairs = list(zip(advisories, entries, strict=True))
    AdvisoryCve.objects.bulk_create(AdvisoryCve(advisory=a, cve_id=e.cve_id) for a, e in pairs)
    _kev_references_create(pairs)
    AffectedTarget.objects.bulk_create(
        _kev_target(AffectedTarget(advisory=a, product=products[(e.vendor, e.product)]))
        for a, e in pairs
    )
    AdvisoryRevision.objects.bulk_create(
        AdvisoryRevision(
            advisory=a,
            number=1,
            source_version=catalog_version[:50],
            summary=f"Imported from the CISA KEV catalog version {catalog_version} and published.",
            snapshot=e.raw,
            created_at=now,
            created_by=creator,
        )
        for a, e in pairs
    )
    return [a.pk for a in advisories]


def _kev_target(target: AffectedTarget) -> AffectedTarget:
    """A KEV entry's product target: every version, possible only (the catalog names none)."""
    target.kind = TargetKind.PRODUCT
    target.caveat = kev_mapping.NO_VERSIONS_CAVEAT
    target.read_as = target_read_as(target, None)
    return target


def _kev_references_create(pairs: list[tuple[Advisory, KevEntry]]) -> None:
    AdvisoryReference.objects.bulk_create(
        AdvisoryReference(advisory=a, url=url, category=ReferenceCategory.EXTERNAL)
        for a, e in pairs
        for url in e.references
    )


def _kev_update(
    entries: list[KevEntry],
    ids: dict[str, int],
    products: dict[tuple[str, str], Product],
    catalog_version: str,
    now: Any,
    user: Any,
) -> None:
    advisories = {a.identifier: a for a in Advisory.objects.filter(pk__in=ids.values())}
    changed_fields = [*_kev_fields(entries[0], catalog_version), "match_requested_at", "updated_at"]
    for entry in entries:
        advisory = advisories[entry.cve_id]
        for name, value in _kev_fields(entry, catalog_version).items():
            setattr(advisory, name, value)
        advisory.match_requested_at = now
        advisory.updated_at = now
    Advisory.objects.bulk_update(advisories.values(), changed_fields)
    kev_target = _kev_target(AffectedTarget())
    for entry in entries:
        AffectedTarget.objects.filter(
            advisory_id=ids[entry.cve_id], kind=TargetKind.PRODUCT
        ).update(
            product=products[(entry.vendor, entry.product)],
            caveat=kev_target.caveat,
            read_as=kev_target.read_as,
        )
    AdvisoryReference.objects.filter(advisory_id__in=ids.values()).delete()
    _kev_references_create([(advisories[e.cve_id], e) for e in entries])
    for entry in entries:
        advisory_revision_add(
            advisory=advisories[entry.cve_id],
            summary=f"Updated from the CISA KEV catalog version {catalog_version}.",
            user=user,
            when=now,
        )
