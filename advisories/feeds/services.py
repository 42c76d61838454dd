"""Applying CSAF documents, the KEV catalog or EPSS scores to the database.

CSAF documents are applied in batches (:func:`csaf_import_batch`): parsing, validation and
mapping per document, then one transaction per batch that writes in bulk statements and asks
for matching once. Each document still lands whole - advisory, targets, CVEs, references,
revisions, vendors and products it named - or not at all: a document the batch cannot hold is
reported and skipped, and when the database refuses a batch, its documents are applied one by
one so that only the bad one is left out. Applying the same thing again writes nothing, and an
unchanged document is recognised before it is validated.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.text import slugify

from advisories.choices import (
    AdvisoryKind,
    AdvisoryStatus,
    ReferenceCategory,
    Severity,
    SourceKind,
    TargetKind,
    Tlp,
)
from advisories.exploitation import (
    SIGNAL_FIELDS,
    advisory_signals_refresh,
    advisory_signals_set,
    cve_signals_write,
    signals_combine,
    signals_of,
)
from advisories.feeds import kev as kev_mapping
from advisories.feeds.catalogue import products_resolve
from advisories.feeds.csaf import RAW_FORMAT as CSAF_RAW_FORMAT
from advisories.feeds.csaf import CsafAdvisory, TargetSpec, csaf_map
from advisories.feeds.epss import epss_parse
from advisories.feeds.errors import DocumentInvalid, FeedError, Problem
from advisories.feeds.kev import KevEntry, kev_parse
from advisories.feeds.validation import csaf_validate, parse_json, text_check
from advisories.models import (
    Advisory,
    AdvisoryCve,
    AdvisoryReference,
    AdvisoryRevision,
    AffectedTarget,
    Source,
)
from advisories.services import (
    advisory_revision_add,
    advisory_snapshot,
    advisory_withdraw,
    target_read_as,
    targets_compile_new,
)
from audit.services import audit_record
from vendors.match_requests import MATCH_ADVISORIES, matching_request_on_commit
from vendors.matching.names import normalize_name
from vendors.matching.versions import InvalidVersion, compare_versions
from vendors.models import Product

logger = logging.getLogger(__name__)

Outcome = Literal["imported", "updated", "unchanged", "ignored"]

# Documents per transaction and per matching request: large enough that the bulk statements
# pay off, small enough that a feed run shows progress and a refused batch is cheap to redo.
BATCH_SIZE = 100
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
    violations: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class ImportFailure:
    """A document of a batch that was refused or could not be stored; nothing of it landed."""

    name: str
    error: FeedError


@dataclass
class BatchResult:
    """What applying a batch did: a result per document applied, a failure per one refused,
    each with its position in the batch."""

    results: list[tuple[int, str, ImportResult]] = field(default_factory=list)
    failures: list[tuple[int, ImportFailure]] = field(default_factory=list)


@dataclass
class _Document:
    """A document of a batch on its way in: validated, mapped, then given its source."""

    position: int
    name: str
    mapped: CsafAdvisory
    raw: dict[str, Any]
    violations: tuple[Problem, ...]
    source: Source | None = None


def csaf_import(
    *,
    content: bytes,
    name: str = "the document",
    source: Source | None = None,
    user: Any = None,
    request: Any = None,
) -> ImportResult:
    """Parse, validate and apply one CSAF 2.0 document; raises ``DocumentInvalid`` (or another
    ``FeedError``) if it is refused.

    ``source`` is the feed's source when the document came from one; otherwise the source is
    found from the document's publisher (namespace, then name), or created.
    """
    batch = csaf_import_batch(
        documents=[(name, content)], source=source, user=user, request=request
    )
    if batch.failures:
        raise batch.failures[0][1].error
    return batch.results[0][2]


def csaf_import_batch(
    *,
    documents: Sequence[tuple[str, bytes]],
    source: Source | None = None,
    user: Any = None,
    request: Any = None,
) -> BatchResult:
    """Apply ``(name, content)`` CSAF documents as one batch; see the module docstring.

    A document that is refused is reported in ``failures`` with why; the others land. The
    batch should hold at most ``BATCH_SIZE`` documents.
    """
    batch = BatchResult()
    parsed: list[tuple[int, str, dict[str, Any]]] = []
    for position, (name, content) in enumerate(documents):
        try:
            document = parse_json(content, name=name)
            text_check(document, name=name)
            parsed.append((position, name, document))
        except FeedError as error:
            batch.failures.append((position, ImportFailure(name, error)))
    unchanged = _already_imported(parsed, source)
    pending: list[_Document] = []
    for position, name, document in parsed:
        if position in unchanged:
            batch.results.append((position, name, unchanged[position]))
            continue
        try:
            violations = csaf_validate(document, name=name)
            pending.append(_Document(position, name, csaf_map(document), document, violations))
        except FeedError as error:
            batch.failures.append((position, ImportFailure(name, error)))
        except Exception as error:  # one broken document must never stop the others
            logger.exception("Mapping %s failed", name)
            batch.failures.append(
                (
                    position,
                    ImportFailure(
                        name,
                        DocumentInvalid(
                            f"{name} could not be read: {error.__class__.__name__}: {error}"
                        ),
                    ),
                )
            )
    if pending:
        _apply_isolating_failures(pending, source, user, request, batch)
    batch.results.sort(key=lambda result: result[0])
    batch.failures.sort(key=lambda failure: failure[0])
    return batch


def _peek(document: dict[str, Any]) -> tuple[str, str, str, str] | None:
    """Identifier, version, publisher namespace and name, read without validating."""
    meta = document.get("document")
    if not isinstance(meta, dict):
        return None
    tracking, publisher = meta.get("tracking"), meta.get("publisher")
    if not isinstance(tracking, dict) or not isinstance(publisher, dict):
        return None
    parts = (
        tracking.get("id"),
        tracking.get("version"),
        publisher.get("namespace"),
        publisher.get("name"),
    )
    if not all(isinstance(part, str) for part in parts):
        return None
    identifier, version, namespace, name = (str(part).strip() for part in parts)
    return identifier, version, namespace, name


def _already_imported(
    parsed: list[tuple[int, str, dict[str, Any]]], source: Source | None
) -> dict[int, ImportResult]:
    """The documents whose id and version are imported already, found in a query or two
    and before validation, so that re-reading a provider costs little."""
    wanted: dict[int, tuple[Source, str, str]] = {}
    sources: dict[tuple[str, str], Source | None] = {}
    for position, _name, document in parsed:
        peeked = _peek(document)
        if peeked is None:
            continue
        identifier, version, namespace, name = peeked
        found = source
        if found is None:
            if (namespace, name) not in sources:
                sources[(namespace, name)] = _publisher_source_find(namespace, name)
            found = sources[(namespace, name)]
        if found is not None:
            wanted[position] = (found, identifier, version)
    if not wanted:
        return {}
    condition = Q()
    for found, identifier, _version in wanted.values():
        condition |= Q(source=found, identifier=identifier)
    existing = {
        (advisory.source_id, advisory.identifier): advisory
        for advisory in Advisory.objects.filter(condition, raw_format=CSAF_RAW_FORMAT).defer(
            "raw_document"
        )
    }
    unchanged: dict[int, ImportResult] = {}
    for position, (found, identifier, version) in wanted.items():
        advisory = existing.get((found.pk, identifier))
        if advisory is not None and advisory.source_version == version:
            unchanged[position] = ImportResult(
                "unchanged", advisory, f"{identifier} version {version} is already imported."
            )
    return unchanged


def _apply_isolating_failures(
    pending: list[_Document], source: Source | None, user: Any, request: Any, batch: BatchResult
) -> None:
    try:
        with transaction.atomic():
            results, failures = _apply(pending, source, user, request)
    # psycopg2 refuses a NUL character in a text parameter with a ValueError, before the
    # database sees it; PostgreSQL refuses it in jsonb with a DataError.
    except (DatabaseError, ValueError) as error:
        if len(pending) > 1:
            # The database refused the batch without saying which document is at fault, and
            # nothing of the batch landed: each document is applied alone to find it.
            for document in pending:
                _apply_isolating_failures([document], source, user, request, batch)
            return
        document = pending[0]
        problem = Problem("", f"the database refused it: {error}".strip()[:1000])
        refusal = DocumentInvalid(f"{document.name} is valid CSAF but cannot be stored.", [problem])
        batch.failures.append((document.position, ImportFailure(document.name, refusal)))
        return
    # Recorded only once the transaction is over: the database checks some constraints (its
    # foreign keys) at the very end.
    batch.results += results
    batch.failures += failures


def _apply(
    pending: list[_Document], source: Source | None, user: Any, request: Any
) -> tuple[list[tuple[int, str, ImportResult]], list[tuple[int, ImportFailure]]]:
    """Apply validated documents in bulk statements (the caller holds the transaction)."""
    results: list[tuple[int, str, ImportResult]] = []
    failures: list[tuple[int, ImportFailure]] = []
    # A publisher not yet known as a source is created only if one of its documents lands.
    publishers: dict[tuple[str, str], Source | None] = {}
    for document in pending:
        key = _publisher(document.mapped)
        if source is None and key not in publishers:
            publishers[key] = _publisher_source_find(*key)
        document.source = source or publishers[key]
    newest, superseded = _newest_per_advisory(pending)
    existing = _existing_locked(newest)
    writes: list[_Write] = []
    for document in newest:
        advisory = existing.get(_advisory_key(document))
        outcome = _outcome_without_writing(document, advisory)
        if outcome is not None:
            results.append((document.position, document.name, outcome))
            continue
        try:
            writes.append(_write_prepare(document, advisory, user))
        except DocumentInvalid as error:
            failures.append((document.position, ImportFailure(document.name, error)))
    if writes:
        results += _writes_apply(writes, user, request)
    applied = {
        _advisory_key(document): result.advisory
        for document in newest
        for position, _name, result in results
        if position == document.position
    }
    for document, winner in superseded:
        said = f"{document.mapped.identifier} version {document.mapped.version}"
        owner = applied.get(_advisory_key(document))
        if owner is None:
            refusal = DocumentInvalid(
                f"{said} was superseded in its batch by version {winner.mapped.version}, "
                "which was refused; it is tried again next time."
            )
            failures.append((document.position, ImportFailure(document.name, refusal)))
            continue
        message = f"{said} was superseded by version {winner.mapped.version} in the same batch."
        results.append((document.position, document.name, ImportResult("ignored", owner, message)))
    return results, failures


def _outcome_without_writing(document: _Document, advisory: Advisory | None) -> ImportResult | None:
    """The outcome of a document that changes nothing (same or older version, or an advisory
    entered by hand), or ``None`` when it is to be written."""
    if advisory is None:
        return None
    mapped = document.mapped
    label = f"{mapped.identifier} version {mapped.version}"
    if advisory.raw_format != CSAF_RAW_FORMAT:
        return ImportResult(
            "ignored",
            advisory,
            f"{label} was not applied: {document.source} already has an advisory "
            f"{mapped.identifier} that was not imported from CSAF.",
        )
    order = _version_order(mapped.version, advisory.source_version)
    if order == 0:
        return ImportResult("unchanged", advisory, f"{label} is already imported.")
    if order < 0:
        return ImportResult(
            "ignored",
            advisory,
            f"{label} is older than the imported version {advisory.source_version}; ignored.",
        )
    return None


def _newest_per_advisory(
    pending: list[_Document],
) -> tuple[list[_Document], list[tuple[_Document, _Document]]]:
    """One document per advisory, its newest version; and the others, each with that one."""
    newest: dict[tuple[int, str], _Document] = {}
    for document in pending:
        key = _advisory_key(document)
        kept = newest.get(key)
        if kept is None or _version_order(document.mapped.version, kept.mapped.version) > 0:
            newest[key] = document
    chosen = {id(document) for document in newest.values()}
    superseded = [
        (document, newest[_advisory_key(document)])
        for document in pending
        if id(document) not in chosen
    ]
    return [document for document in pending if id(document) in chosen], superseded


def _publisher(mapped: CsafAdvisory) -> tuple[str, str]:
    return mapped.publisher_namespace, mapped.publisher_name


def _advisory_key(document: _Document) -> tuple[Any, str]:
    """Which advisory a document is a version of: its source (or, for a source still to be
    created, its publisher) and its identifier."""
    publisher = document.source.pk if document.source else _publisher(document.mapped)
    return publisher, document.mapped.identifier


def _existing_locked(documents: list[_Document]) -> dict[tuple[Any, str], Advisory]:
    condition = Q()
    for document in documents:
        if document.source is not None:
            condition |= Q(source=document.source, identifier=document.mapped.identifier)
    if not condition:
        return {}
    return {
        (advisory.source_id, advisory.identifier): advisory
        for advisory in Advisory.objects.select_for_update().filter(condition)
    }


def _version_order(new: str, old: str) -> int:
    if new == old:
        return 0
    try:
        return compare_versions(new, old)
    except InvalidVersion:
        return (new > old) - (new < old)


def _publisher_source_find(namespace: str, name: str) -> Source | None:
    namespace = namespace.rstrip("/")
    return (
        Source.objects.filter(Q(website=namespace) | Q(website=f"{namespace}/")).first()
        or Source.objects.filter(name=name[:200]).first()
    )


def _publisher_source_create(mapped: CsafAdvisory) -> Source:
    namespace = mapped.publisher_namespace.rstrip("/")
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


# What an import writes on the advisory; severity only when the document gives one.
_ADVISORY_FIELD_NAMES = (
    "identifier",
    "title",
    "summary",
    "kind",
    "severity",
    "cvss_score",
    "cvss_vector",
    "recommended_action",
    "action_details",
    "issued_on",
    "source_version",
    "raw_document",
    "raw_format",
    "source_violations",
    "nothing_to_match",
    "tlp",
)


def _advisory_fields(document: _Document) -> dict[str, Any]:
    mapped = document.mapped
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
        "raw_document": document.raw,
        "raw_format": CSAF_RAW_FORMAT,
        "source_violations": [
            {"path": problem.path, "message": problem.message} for problem in document.violations
        ],
        "nothing_to_match": mapped.nothing_to_match,
        "tlp": mapped.tlp,
    }
    if mapped.severity is not None:
        fields["severity"] = mapped.severity
    return fields


def _valid_references(mapped: CsafAdvisory, warnings: list[str]) -> list[AdvisoryReference]:
    references = []
    for reference in mapped.references:
        try:
            _url_valid(reference.url)
        except ValidationError:
            warnings.append(f"The reference {reference.url!r} is not a valid URL; left out.")
            continue
        references.append(
            AdvisoryReference(
                url=reference.url, summary=reference.summary, category=reference.category
            )
        )
    return references


@dataclass
class _Write:
    """What one document writes: its advisory (new or moved to a newer version) and parts."""

    document: _Document
    advisory: Advisory
    previous_version: str | None  # None for a new advisory
    publish: bool
    cves: list[AdvisoryCve]
    references: list[AdvisoryReference]
    specs: tuple[TargetSpec, ...]
    warnings: list[str]
    targets: list[AffectedTarget] = field(default_factory=list)


def _write_prepare(document: _Document, advisory: Advisory | None, user: Any) -> _Write:
    """Check in Python what the database would refuse, so that one bad document does not
    cost its batch; raises ``DocumentInvalid`` naming the field."""
    mapped = document.mapped
    something = not mapped.is_draft and not mapped.nothing_to_match
    if advisory is None:
        previous = None
        advisory = Advisory(
            source=document.source,
            status=AdvisoryStatus.DRAFT,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        publish = something
    else:
        previous = advisory.source_version
        publish = something and advisory.status == AdvisoryStatus.DRAFT
    for name, value in _advisory_fields(document).items():
        setattr(advisory, name, value)
    warnings = list(mapped.warnings)
    write = _Write(
        document=document,
        advisory=advisory,
        previous_version=previous,
        publish=publish,
        cves=[AdvisoryCve(cve_id=cve) for cve in mapped.cves],
        references=_valid_references(mapped, warnings),
        specs=mapped.targets,
        warnings=warnings,
    )
    try:
        advisory.clean_fields(exclude=["source", "created_by"])
        for part in (*write.cves, *write.references):
            part.clean_fields(exclude=["advisory"])
    except ValidationError as error:
        raise DocumentInvalid(
            f"{document.name} is valid CSAF but cannot be stored.",
            [Problem("", f"{name}: {' '.join(messages)}") for name, messages in _messages(error)],
        ) from error
    for spec in mapped.targets:
        if (
            spec.vendor
            and spec.product
            and not (
                normalize_name(spec.vendor) and normalize_name(spec.product, legal_forms=False)
            )
        ):
            raise DocumentInvalid(
                f"{document.name} is valid CSAF but cannot be stored.",
                [
                    Problem(
                        "",
                        f"the product name {spec.vendor!r} {spec.product!r} is empty once "
                        "normalized",
                    )
                ],
            )
    return write


def _messages(error: ValidationError) -> list[tuple[str, list[str]]]:
    if hasattr(error, "error_dict"):
        return list(error.message_dict.items())
    return [("document", list(error.messages))]


def _targets_build(write: _Write, products: dict[tuple[str, str], Product]) -> None:
    for spec in write.specs:
        common = {
            "advisory": write.advisory,
            "is_exclusion": spec.is_exclusion,
            "note": spec.note,
            "source_conflict": spec.conflict[:300],
        }
        if spec.vendor and spec.product:
            kind = TargetKind.PRODUCT_RANGE if spec.version_range else TargetKind.PRODUCT
            target = AffectedTarget(
                **common,
                kind=kind,
                product=products[(spec.vendor, spec.product)],
                version_range=spec.version_range,
            )
        elif spec.purl:
            target = AffectedTarget(**common, kind=TargetKind.PURL, purl=spec.purl)
        else:
            target = AffectedTarget(**common, kind=TargetKind.CPE, cpe=spec.cpe)
        write.targets.append(target)


def _writes_apply(
    writes: list[_Write], user: Any, request: Any
) -> list[tuple[int, str, ImportResult]]:
    """Write every prepared document in bulk statements and ask for matching once."""
    now = timezone.now()
    creator = user if getattr(user, "is_authenticated", False) else None
    created: dict[tuple[str, str], Source] = {}
    for write in writes:
        if write.document.source is None:
            key = _publisher(write.document.mapped)
            if key not in created:
                created[key] = _publisher_source_create(write.document.mapped)
            write.document.source = write.advisory.source = created[key]
    products = products_resolve(
        (spec.vendor, spec.product)
        for write in writes
        for spec in write.specs
        if spec.vendor and spec.product
    )
    new = [write for write in writes if write.previous_version is None]
    moved = [write for write in writes if write.previous_version is not None]
    signals = signals_of(cve.cve_id for write in writes for cve in write.cves)
    for write in writes:
        advisory = write.advisory
        advisory.updated_at = now
        advisory_signals_set(
            advisory, signals_combine(signals[c.cve_id] for c in write.cves if c.cve_id in signals)
        )
        if write.publish:
            advisory.status = AdvisoryStatus.PUBLISHED
            advisory.published_at = now
        withdrawn = write.document.mapped.withdrawn_reason
        if withdrawn and advisory.status == AdvisoryStatus.PUBLISHED:
            advisory.status = AdvisoryStatus.WITHDRAWN
            advisory.withdrawn_at = now
            advisory.withdrawn_reason = withdrawn
        if advisory.status != AdvisoryStatus.DRAFT:
            # The durable marker of pending matching, set in the transaction of the change.
            advisory.match_requested_at = now
    Advisory.objects.bulk_create([write.advisory for write in new])
    if moved:
        ids = [write.advisory.pk for write in moved]
        Advisory.objects.bulk_update(
            [write.advisory for write in moved],
            [
                *_ADVISORY_FIELD_NAMES,
                *SIGNAL_FIELDS,
                "status",
                "published_at",
                "withdrawn_at",
                "withdrawn_reason",
                "match_requested_at",
                "updated_at",
            ],
        )
        AdvisoryCve.objects.filter(advisory_id__in=ids).delete()
        AdvisoryReference.objects.filter(advisory_id__in=ids).delete()
        AffectedTarget.objects.filter(advisory_id__in=ids).delete()
    for write in writes:
        for cve in write.cves:
            cve.advisory = write.advisory
        for reference in write.references:
            reference.advisory = write.advisory
        _targets_build(write, products)
    AdvisoryCve.objects.bulk_create(cve for write in writes for cve in write.cves)
    AdvisoryReference.objects.bulk_create(ref for write in writes for ref in write.references)
    targets_compile_new(targets=[target for write in writes for target in write.targets])
    _revisions_add(writes, now, creator)
    results = []
    for write in writes:
        results.append((write.document.position, write.document.name, _result(write)))
        _audit_import(write, user, request)
    live = [write.advisory.pk for write in writes if write.advisory.status != AdvisoryStatus.DRAFT]
    if live:
        # Published advisories, new or moved to a newer version, reach the inventories now.
        matching_request_on_commit(MATCH_ADVISORIES, live)
    return results


def _revisions_add(writes: list[_Write], now: Any, creator: Any) -> None:
    """Each document's new revision-history entries, then a revision saying what was done."""
    moved_ids = [write.advisory.pk for write in writes if write.previous_version is not None]
    last = dict(
        AdvisoryRevision.objects.filter(advisory_id__in=moved_ids)
        .values("advisory_id")
        .annotate(last=Max("number"))
        .values_list("advisory_id", "last")
    )
    known: dict[int, set[str]] = {}
    for advisory_id, number in AdvisoryRevision.objects.filter(
        advisory_id__in=moved_ids
    ).values_list("advisory_id", "source_version"):
        known.setdefault(advisory_id, set()).add(number)
    revisions = []
    for write in writes:
        advisory, mapped = write.advisory, write.document.mapped
        number = last.get(advisory.pk, 0)
        seen = known.get(advisory.pk, set())
        for entry in mapped.revisions:
            if entry.number in seen:
                continue
            number += 1
            revisions.append(
                AdvisoryRevision(
                    advisory=advisory,
                    number=number,
                    source_version=entry.number[:50],
                    summary=f"{mapped.publisher_name} revision {entry.number}: {entry.summary}",
                    created_at=entry.date,
                )
            )
        revisions.append(
            AdvisoryRevision(
                advisory=advisory,
                number=number + 1,
                source_version=advisory.source_version,
                summary=_revision_summary(write),
                snapshot=advisory_snapshot(advisory, cve_ids=mapped.cves, targets=write.targets),
                created_at=now,
                created_by=creator,
            )
        )
    AdvisoryRevision.objects.bulk_create(revisions)


def _revision_summary(write: _Write) -> str:
    version = write.document.mapped.version
    if write.previous_version is None:
        done = f"Imported from CSAF version {version}"
    else:
        done = f"Updated from CSAF version {write.previous_version} to {version}"
    if write.publish:
        return f"{done} and published."
    return f"{done}."


def _result(write: _Write) -> ImportResult:
    mapped, advisory = write.document.mapped, write.advisory
    warnings = list(write.warnings)
    review = sum(1 for target in write.targets if target.needs_review)
    if review:
        warnings.append(f"{review} target(s) need review; see their reasons.")
    if write.previous_version is None:
        outcome: Outcome = "imported"
        message = f"{mapped.identifier} version {mapped.version} imported"
        if mapped.nothing_to_match:
            message += f" as a draft: {mapped.nothing_to_match}"
        else:
            message += " as a draft." if mapped.is_draft else " and published."
    else:
        outcome = "updated"
        message = (
            f"{mapped.identifier} updated from version {write.previous_version} to "
            f"{mapped.version}."
        )
        if mapped.nothing_to_match:
            message += f" {mapped.nothing_to_match}"
    if write.document.violations:
        count = len(write.document.violations)
        warnings.append(
            f"It fails {count} mandatory CSAF test{'' if count == 1 else 's'} that do not change "
            "what it says; they are recorded on the advisory."
        )
    return ImportResult(outcome, advisory, message, tuple(warnings), write.document.violations)


def _audit_import(write: _Write, user: Any, request: Any) -> None:
    mapped = write.document.mapped
    audit_record(
        action="advisory.import_csaf",
        actor=user,
        obj=write.advisory,
        after={
            "outcome": "imported" if write.previous_version is None else "updated",
            "version": mapped.version,
            "status": mapped.tracking_status,
            "advisory_status": write.advisory.status,
            "violations": len(write.document.violations),
        },
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
    """Record every entry's CVE as known exploited, and give each entry that no other
    published advisory covers an advisory of its own; unchanged entries cost no write.

    The catalog's signals (added, due date) are stored per CVE and carried by every advisory
    naming the CVE, whatever its source (``advisories.exploitation``). An entry whose CVE
    another source's published advisory names needs no advisory of its own: that advisory
    says which versions are affected, and a KEV advisory would flag every version beside it.
    Such a KEV advisory is withdrawn as superseded; one whose covering advisory is gone
    is published again.

    The catalog holds some 1,400 entries, so this does in a few bulk statements what
    ``advisory_create`` and ``advisory_publish`` do one advisory at a time: the advisory
    (published, marked for matching), its CVE, references, product target, one revision, and
    one audit entry for the whole import. A product target covers every version, so it has no
    intervals to compile; it carries the caveat that the catalog names no versions.
    """
    result = KevResult(catalog_version=catalog_version)
    signalled_new, signalled_changed = cve_signals_write(
        values={
            e.cve_id: {"kev_added_on": e.issued_on, "kev_due_date": e.action_deadline}
            for e in entries
        },
        fields=("kev_added_on", "kev_due_date"),
    )
    existing = {
        identifier: (pk, raw, status, reason)
        for identifier, pk, raw, status, reason in Advisory.objects.filter(
            source=source
        ).values_list("identifier", "pk", "raw_document", "status", "withdrawn_reason")
    }
    covered = _kev_covered({e.cve_id for e in entries}, source)
    own = [e for e in entries if e.cve_id not in covered]
    new = [e for e in own if e.cve_id not in existing]
    changed = [
        e
        for e in own
        if e.cve_id in existing
        and (existing[e.cve_id][1] != e.raw or _kev_superseded(*existing[e.cve_id][2:]))
    ]
    superseded = [
        (e, existing[e.cve_id][0])
        for e in entries
        if e.cve_id in covered
        and e.cve_id in existing
        and existing[e.cve_id][2] == AdvisoryStatus.PUBLISHED
    ]
    result.unchanged = len(entries) - len(new) - len(changed) - len(superseded)
    if new or changed:
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
    for entry, pk in superseded:
        advisory_withdraw(
            advisory=Advisory(pk=pk),
            reason=f"{KEV_SUPERSEDED} {', '.join(covered[entry.cve_id])}, which name "
            f"{entry.cve_id} with the versions affected; they are marked known exploited.",
            user=user,
        )
        result.updated_ids.append(pk)
        result.updated += 1
    signalled = [*signalled_new, *signalled_changed]
    if signalled or new or changed:
        # Every advisory naming a listed CVE, this import's own included, carries its signals.
        advisory_signals_refresh(cve_ids=[*signalled, *(e.cve_id for e in (*new, *changed))])
    if new or changed or superseded:
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


# How the reason of a KEV advisory withdrawn for another advisory naming its CVE begins.
KEV_SUPERSEDED = "Superseded by"


def _kev_superseded(status: str, reason: str) -> bool:
    """Whether a KEV advisory was withdrawn because another advisory covered its CVE."""
    return status == AdvisoryStatus.WITHDRAWN and reason.startswith(KEV_SUPERSEDED)


def _kev_covered(cve_ids: set[str], source: Source) -> dict[str, list[str]]:
    """The CVEs that another source's published advisories name, with those advisories; only
    advisories that reach every organization (TLP:CLEAR or GREEN) cover a CVE, or one under
    AMBER or RED would take the KEV entry's flags from the organizations outside its audience."""
    covered: dict[str, list[str]] = {}
    for cve_id, identifier in (
        AdvisoryCve.objects.filter(
            cve_id__in=cve_ids,
            advisory__status=AdvisoryStatus.PUBLISHED,
            advisory__tlp__in=[Tlp.CLEAR, Tlp.GREEN],
        )
        .exclude(advisory__source=source)
        .order_by("advisory__identifier")
        .values_list("cve_id", "advisory__identifier")
    ):
        covered.setdefault(cve_id, []).append(identifier)
    return covered


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
    changed_fields = [
        *_kev_fields(entries[0], catalog_version),
        "status",
        "withdrawn_at",
        "withdrawn_reason",
        "match_requested_at",
        "updated_at",
    ]
    for entry in entries:
        advisory = advisories[entry.cve_id]
        for name, value in _kev_fields(entry, catalog_version).items():
            setattr(advisory, name, value)
        if _kev_superseded(advisory.status, advisory.withdrawn_reason):
            # The advisory that covered its CVE is gone: the entry flags on its own again.
            advisory.status = AdvisoryStatus.PUBLISHED
            advisory.withdrawn_at = None
            advisory.withdrawn_reason = ""
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


@dataclass
class EpssResult:
    """What applying an EPSS file did: CVEs scored for the first time, scores changed, left
    alone, and the lines skipped."""

    model_version: str
    scored_on: date | None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: tuple[Problem, ...] = ()


def epss_source() -> Source:
    """The source EPSS imports are recorded against when no feed source is given."""
    source = Source.objects.filter(feed_kind="first_epss").order_by("pk").first()
    if source is not None:
        return source
    source, _ = Source.objects.get_or_create(
        slug="first-epss",
        defaults={
            "name": "FIRST Exploit Prediction Scoring System (EPSS)",
            "kind": SourceKind.OTHER,
            "website": "https://www.first.org/epss/",
        },
    )
    return source


@transaction.atomic
def epss_import(*, content: bytes, source: Source | None = None, user: Any = None) -> EpssResult:
    """Store an EPSS file's scores per CVE, in bulk, writing only those that changed, and
    bring every advisory's signals up to date; lines that break the format are reported and
    skipped. Raises ``DocumentInvalid`` when the file is not an EPSS file."""
    parsed = epss_parse(content)
    if not parsed.scores:
        raise DocumentInvalid("The EPSS file has no valid line.", parsed.problems)
    created, changed = cve_signals_write(
        values={
            score.cve_id: {"epss": score.epss, "epss_percentile": score.percentile}
            for score in parsed.scores
        },
        fields=("epss", "epss_percentile"),
    )
    result = EpssResult(
        model_version=parsed.model_version,
        scored_on=parsed.scored_on,
        created=len(created),
        updated=len(changed),
        unchanged=len(parsed.scores) - len(created) - len(changed),
        problems=parsed.problems,
    )
    # Every advisory, also one whose CVEs were changed by hand since, gets the day's scores.
    advisory_signals_refresh()
    if created or changed:
        audit_record(
            action="signals.import_epss",
            actor=user,
            obj=source or epss_source(),
            after={
                "model_version": parsed.model_version,
                "scored_on": parsed.scored_on.isoformat() if parsed.scored_on else "",
                "created": result.created,
                "updated": result.updated,
            },
        )
    return result
