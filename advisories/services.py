"""Writes of advisories: compiling targets, publishing, withdrawing, recording revisions.

Every function here is the one way its change is made, whoever asks for it (the editor pages,
the admin, the API, a feed import, the demo loader). Publishing, withdrawing and editing a
published advisory mark it for matching (``match_requested_at``) in the same transaction and
ask the matcher, by task name, to match it after commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from advisories.choices import AdvisoryStatus, TargetKind
from advisories.exploitation import advisory_signals_set, signals_combine, signals_of
from advisories.models import (
    Advisory,
    AdvisoryCve,
    AdvisoryReference,
    AdvisoryRevision,
    AffectedTarget,
    TargetInterval,
)
from audit.services import audit_record
from vendors.match_requests import MATCH_ADVISORIES, matching_request_on_commit
from vendors.matching.cpe import (
    CpeError,
    cpe_vendor_product,
    nvd_version_range,
    parse_cpe23,
    part_code,
)
from vendors.matching.purls import PurlError, parse_purl
from vendors.matching.ranges import Interval, VersionRange
from vendors.matching.reading import (
    Reading,
    Unparseable,
    describe_reading,
    read_range,
    with_caveat,
)
from vendors.matching.versions import version_key


class AdvisoryStateError(Exception):
    """An advisory cannot make the requested move from the status it is in."""


def _compile_range(target: AffectedTarget) -> Reading | Unparseable | None:
    """How a target's versions read; ``None`` for kinds that cover every version of what they
    name (vendors, products, jurisdictions)."""
    kind = TargetKind(target.kind)
    if kind in (TargetKind.VENDOR, TargetKind.PRODUCT, TargetKind.JURISDICTION):
        return None
    if kind is TargetKind.PRODUCT_RANGE:
        return read_range(target.version_range)
    if kind is TargetKind.PURL:
        try:
            purl = parse_purl(target.purl)
        except PurlError as error:
            return Unparseable(reason=f"Package URL: {error}")
        # The identity, not the spelling: it folds case the way items' purls are keyed
        # (NuGet ids are case-insensitive), so the SQL equality finds them.
        target.purl_type, target.purl_namespace, target.purl_name = purl.identity
        if purl.version:
            if target.version_range.strip():
                return Unparseable(
                    reason="Give the version either in the package URL or as a range, not both."
                )
            key = version_key(purl.version, scheme=purl.type)
            if key is None:
                return Unparseable(reason=f"The purl version '{purl.version}' is not a version.")
            return Reading(VersionRange((Interval.point(key),)))
        if not target.version_range.strip():
            return Reading(VersionRange.ALL)
        return read_range(target.version_range)
    # CPE: a fixed version in the name, or NVD-style bounds around an ANY version.
    try:
        cpe = parse_cpe23(target.cpe)
    except CpeError as error:
        return Unparseable(reason=f"CPE: {error}")
    target.cpe_vendor, target.cpe_product = cpe_vendor_product(target.cpe) or ("", "")
    target.cpe_part = part_code(cpe.part)
    bounds = {
        name: value.strip() or None
        for name, value in (
            ("version_start_including", target.version_start_including),
            ("version_start_excluding", target.version_start_excluding),
            ("version_end_including", target.version_end_including),
            ("version_end_excluding", target.version_end_excluding),
        )
    }
    if cpe.version.is_any:
        try:
            return Reading(nvd_version_range(**bounds))
        except CpeError as error:
            return Unparseable(reason=f"CPE version bounds: {error}")
    if any(bounds.values()):
        return Unparseable(reason="Start/end bounds need the CPE's version to be '*'.")
    if cpe.version.is_na or not cpe.version.is_plain:
        return Unparseable(reason="The CPE's version must be '*' or one exact version.")
    key = version_key(cpe.version.literal)
    if key is None:
        return Unparseable(reason=f"The CPE version '{cpe.version.literal}' is not a version.")
    return Reading(VersionRange((Interval.point(key),)))


def target_read_as(target: AffectedTarget, compiled: Reading | Unparseable | None) -> str:
    """How a target reads once ``compiled``: its versions in words and every caveat on it
    (empty when it needs review: its review reason says why). Importers that write targets of
    kinds without ranges in bulk (``compiled`` is ``None``) set ``read_as`` with it."""
    if isinstance(compiled, Unparseable):
        return ""
    if compiled is not None:
        return describe_reading(Reading(compiled.range, target.caveats))
    kind = TargetKind(target.kind)
    covered = "all versions" if kind is TargetKind.PRODUCT else "all products"
    return with_caveat(covered, target.caveats)


def _target_prepare(target: AffectedTarget) -> tuple[Interval, ...]:
    """Set a target's derived fields, review state and reading; the intervals it covers."""
    compiled = _compile_range(target)
    reasons = [compiled.reason] if isinstance(compiled, Unparseable) else []
    if target.source_conflict:
        reasons.append(target.source_conflict)
    target.needs_review = bool(reasons)
    target.review_reason = "; ".join(reasons)[:500]
    target.range_caveat = compiled.caveat[:500] if isinstance(compiled, Reading) else ""
    target.read_as = target_read_as(target, compiled)
    return compiled.range.intervals if isinstance(compiled, Reading) else ()


def _target_intervals(
    target: AffectedTarget, intervals: Iterable[Interval]
) -> list[TargetInterval]:
    return [
        TargetInterval(
            target=target,
            lower=interval.lower,
            lower_inclusive=interval.lower_inclusive,
            upper=interval.upper,
            upper_inclusive=interval.upper_inclusive,
        )
        for interval in intervals
    ]


@transaction.atomic
def target_compile(*, target: AffectedTarget) -> AffectedTarget:
    """Derive a target's identifier parts and version intervals from what the editor entered.

    What cannot be parsed marks the target ``needs_review`` with the reason and leaves it with
    no intervals, so that it matches nothing rather than everything; editors see the list.
    A target the source document contradicts itself about stays in review as well. A range
    text that carries a condition keeps it as the target's ``range_caveat``, and ``read_as``
    records how the whole target was read.
    """
    intervals = _target_prepare(target)
    target.save()
    target.intervals.all().delete()
    TargetInterval.objects.bulk_create(_target_intervals(target, intervals))
    return target


def targets_compile_new(*, targets: Sequence[AffectedTarget]) -> None:
    """Compile new targets and insert them with their intervals, in two statements.

    What ``target_compile`` does one target at a time, for a feed's bulk import.
    """
    compiled = [_target_prepare(target) for target in targets]
    AffectedTarget.objects.bulk_create(targets)
    TargetInterval.objects.bulk_create(
        interval
        for target, intervals in zip(targets, compiled, strict=True)
        for interval in _target_intervals(target, intervals)
    )


def advisory_snapshot(
    advisory: Advisory,
    *,
    cve_ids: Iterable[str] | None = None,
    targets: Iterable[AffectedTarget] | None = None,
) -> dict[str, Any]:
    """What an advisory says at this moment, for its revision history.

    ``cve_ids`` and ``targets`` are given by a bulk import that holds them already; otherwise
    they are read from the database.
    """
    if cve_ids is None:
        cve_ids = advisory.cves.values_list("cve_id", flat=True)
    if targets is None:
        targets = advisory.targets.all()
    return {
        "title": advisory.title,
        "summary": advisory.summary,
        "kind": advisory.kind,
        "severity": advisory.severity,
        "cvss_score": str(advisory.cvss_score) if advisory.cvss_score is not None else None,
        "status": advisory.status,
        "recommended_action": advisory.recommended_action,
        "action_deadline": advisory.action_deadline.isoformat()
        if advisory.action_deadline
        else None,
        "audience_sectors": advisory.audience_sectors,
        "audience_tiers": advisory.audience_tiers,
        "tlp": advisory.tlp,
        "cves": sorted(cve_ids),
        "targets": [str(target) for target in targets],
    }


def advisory_revision_add(
    *, advisory: Advisory, summary: str, user: Any = None, when: Any = None
) -> AdvisoryRevision:
    """Append a revision recording ``summary`` and the advisory as it now stands."""
    last = advisory.revisions.order_by("-number").values_list("number", flat=True).first() or 0
    return AdvisoryRevision.objects.create(
        advisory=advisory,
        number=last + 1,
        source_version=advisory.source_version,
        summary=summary,
        snapshot=advisory_snapshot(advisory),
        created_at=when or timezone.now(),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )


@transaction.atomic
def advisory_create(
    *,
    user: Any = None,
    request: Any = None,
    targets: Iterable[dict[str, Any]] = (),
    cve_ids: Iterable[str] = (),
    references: Iterable[dict[str, Any]] = (),
    **fields: Any,
) -> Advisory:
    """Create a draft advisory with its targets, CVE ids and references, validated as a whole.

    ``fields`` are Advisory fields (source, identifier, title, kind, ...); each target is a dict
    of AffectedTarget fields and is compiled. Raises ValidationError naming the bad field.
    """
    audience = {name: fields.pop(name) for name in AUDIENCE_FIELDS if name in fields}
    advisory = Advisory(status=AdvisoryStatus.DRAFT, **fields)
    if getattr(user, "is_authenticated", False):
        advisory.created_by = user
    cve_ids = list(dict.fromkeys(cve.strip().upper() for cve in cve_ids))
    # What KEV and EPSS already say of its CVEs (advisories.exploitation).
    advisory_signals_set(advisory, signals_combine(signals_of(cve_ids).values()))
    advisory.full_clean()
    advisory.save()
    for name, members in audience.items():
        getattr(advisory, name).set(members)
    for cve_id in cve_ids:
        cve = AdvisoryCve(advisory=advisory, cve_id=cve_id)
        cve.full_clean()
        cve.save()
    for reference in references:
        ref = AdvisoryReference(advisory=advisory, **reference)
        ref.full_clean()
        ref.save()
    for target_fields in targets:
        target = AffectedTarget(advisory=advisory, **target_fields)
        target.full_clean(exclude=["advisory"])
        target_compile(target=target)
    advisory_revision_add(advisory=advisory, summary="Created.", user=user)
    audit_record(
        action="advisory.create",
        actor=user,
        obj=advisory,
        after=advisory_snapshot(advisory) | _audience(advisory),
        request=request,
    )
    return advisory


@transaction.atomic
def advisory_publish(*, advisory: Advisory, user: Any = None, request: Any = None) -> Advisory:
    """Publish a draft: from now on it flags the inventories it matches."""
    advisory = Advisory.objects.select_for_update().get(pk=advisory.pk)
    if advisory.status != AdvisoryStatus.DRAFT:
        raise AdvisoryStateError(f"Only a draft can be published; this one is {advisory.status}.")
    for target in advisory.targets.all():
        target_compile(target=target)
    advisory.status = AdvisoryStatus.PUBLISHED
    advisory.published_at = advisory.match_requested_at = timezone.now()
    advisory.save(update_fields=["status", "published_at", "match_requested_at", "updated_at"])
    advisory_revision_add(advisory=advisory, summary="Published.", user=user)
    audit_record(
        action="advisory.publish",
        actor=user,
        obj=advisory,
        before={"status": AdvisoryStatus.DRAFT},
        after={"status": AdvisoryStatus.PUBLISHED},
        request=request,
    )
    matching_request_on_commit(MATCH_ADVISORIES, [advisory.pk])
    return advisory


@transaction.atomic
def advisory_withdraw(
    *, advisory: Advisory, reason: str, user: Any = None, request: Any = None
) -> Advisory:
    """Withdraw a published advisory; its flags are resolved by the matcher."""
    advisory = Advisory.objects.select_for_update().get(pk=advisory.pk)
    if advisory.status != AdvisoryStatus.PUBLISHED:
        raise AdvisoryStateError(
            f"Only a published advisory can be withdrawn; this one is {advisory.status}."
        )
    if not reason.strip():
        raise AdvisoryStateError("Say why the advisory is withdrawn.")
    advisory.status = AdvisoryStatus.WITHDRAWN
    advisory.withdrawn_at = advisory.match_requested_at = timezone.now()
    advisory.withdrawn_reason = reason.strip()
    advisory.save(
        update_fields=[
            "status",
            "withdrawn_at",
            "withdrawn_reason",
            "match_requested_at",
            "updated_at",
        ]
    )
    advisory_revision_add(
        advisory=advisory, summary=f"Withdrawn: {advisory.withdrawn_reason}", user=user
    )
    audit_record(
        action="advisory.withdraw",
        actor=user,
        obj=advisory,
        before={"status": AdvisoryStatus.PUBLISHED},
        after={"status": AdvisoryStatus.WITHDRAWN, "reason": advisory.withdrawn_reason},
        request=request,
    )
    matching_request_on_commit(MATCH_ADVISORIES, [advisory.pk])
    return advisory


# What an editor may change on an advisory through advisory_update; status moves through
# publish and withdraw, and the raw source document belongs to its importer.
ADVISORY_FIELDS = frozenset(
    {
        "source",
        "identifier",
        "title",
        "summary",
        "kind",
        "severity",
        "cvss_score",
        "cvss_vector",
        "recommended_action",
        "action_details",
        "action_deadline",
        "audience_sectors",
        "audience_tiers",
        "tlp",
        "audience_organizations",
        "audience_users",
        "known_exploited",
        "issued_on",
        "source_version",
        "withdrawn_reason",
    }
)
# The audience's named organizations and users: many-to-many, set after the advisory's row.
# They are recorded in the audit trail, not in the revisions every reader sees: they name
# other tenants.
AUDIENCE_FIELDS = ("audience_organizations", "audience_users")


def _audience(advisory: Advisory) -> dict[str, list[int]]:
    return {
        name: sorted(getattr(advisory, name).values_list("pk", flat=True))
        for name in AUDIENCE_FIELDS
    }


TARGET_FIELDS = frozenset(
    {
        "kind",
        "is_exclusion",
        "vendor",
        "include_subsidiaries",
        "product",
        "version_range",
        "cpe",
        "version_start_including",
        "version_start_excluding",
        "version_end_including",
        "version_end_excluding",
        "purl",
        "country",
        "caveat",
        "note",
    }
)


@transaction.atomic
def advisory_update(
    *,
    advisory: Advisory,
    data: Mapping[str, Any],
    targets: Sequence[Mapping[str, Any]] | None = None,
    summary: str = "",
    user: Any = None,
    request: Any = None,
) -> Advisory:
    """Edit an advisory and, when ``targets`` is given, replace its targets with those.

    Every target is (re)compiled. A published advisory gets a revision saying what changed
    and is re-matched: new matches are flagged, flags that no longer match are resolved, and
    priorities and due dates follow a new severity, audience or deadline.
    """
    advisory = Advisory.objects.select_for_update().get(pk=advisory.pk)
    unknown = set(data) - ADVISORY_FIELDS
    if unknown:
        raise ValidationError(f"Unknown advisory fields: {', '.join(sorted(unknown))}.")
    before = advisory_snapshot(advisory) | _audience(advisory)
    for name, value in data.items():
        if name not in AUDIENCE_FIELDS:
            setattr(advisory, name, value)
    advisory.full_clean()
    for name in AUDIENCE_FIELDS:
        if name in data:
            getattr(advisory, name).set(data[name])
    if targets is not None:
        advisory.targets.all().delete()
        for spec in targets:
            extra = set(spec) - TARGET_FIELDS
            if extra:
                raise ValidationError(f"Unknown target fields: {', '.join(sorted(extra))}.")
            target = AffectedTarget(advisory=advisory, **spec)
            target.full_clean(exclude=["advisory"])
            target.save()
    for target in advisory.targets.all():
        target_compile(target=target)
    published = advisory.status == AdvisoryStatus.PUBLISHED
    if published:
        advisory.match_requested_at = timezone.now()
    advisory.save()
    after = advisory_snapshot(advisory) | _audience(advisory)
    changed = sorted(name for name in after if after[name] != before.get(name))
    if published:
        advisory_revision_add(
            advisory=advisory,
            summary=summary or f"Changed: {', '.join(changed) or 'nothing'}.",
            user=user,
        )
    audit_record(
        action="advisory.update",
        actor=user,
        obj=advisory,
        before={name: before.get(name) for name in changed},
        after={name: after[name] for name in changed},
        request=request,
    )
    if published:
        matching_request_on_commit(MATCH_ADVISORIES, [advisory.pk])
    return advisory
