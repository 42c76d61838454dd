"""Writes of advisories: compiling targets, publishing, withdrawing, recording revisions.

Every function here is the one way its change is made, whoever asks for it (the editor pages,
the admin, the API, a feed import, the demo loader).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from advisories.choices import AdvisoryStatus, TargetKind
from advisories.models import (
    Advisory,
    AdvisoryCve,
    AdvisoryReference,
    AdvisoryRevision,
    AffectedTarget,
    TargetInterval,
)
from audit.services import audit_record
from vendors.matching.cpe import CpeError, cpe_vendor_product, nvd_version_range, parse_cpe23
from vendors.matching.freetext import Unparseable, parse_free_range
from vendors.matching.purls import PurlError, parse_purl
from vendors.matching.ranges import Interval, VersionRange
from vendors.matching.vers import VersRangeError, parse_vers
from vendors.matching.versions import version_key


class AdvisoryStateError(Exception):
    """An advisory cannot make the requested move from the status it is in."""


def _parse_range(text: str) -> VersionRange | Unparseable:
    text = text.strip()
    if text.lower().startswith("vers:"):
        try:
            return parse_vers(text)
        except VersRangeError as error:
            return Unparseable(reason=str(error))
    return parse_free_range(text)


def _compile_range(target: AffectedTarget) -> VersionRange | Unparseable | None:
    """The version range a target covers; ``None`` for kinds that cover every version."""
    kind = TargetKind(target.kind)
    if kind in (TargetKind.VENDOR, TargetKind.PRODUCT, TargetKind.JURISDICTION):
        return None
    if kind is TargetKind.PRODUCT_RANGE:
        return _parse_range(target.version_range)
    if kind is TargetKind.PURL:
        try:
            purl = parse_purl(target.purl)
        except PurlError as error:
            return Unparseable(reason=f"Package URL: {error}")
        target.purl_type, target.purl_namespace, target.purl_name = (
            purl.type,
            purl.namespace or "",
            purl.name,
        )
        if purl.version:
            if target.version_range.strip():
                return Unparseable(
                    reason="Give the version either in the package URL or as a range, not both."
                )
            key = version_key(purl.version, scheme=purl.type)
            if key is None:
                return Unparseable(reason=f"The purl version '{purl.version}' is not a version.")
            return VersionRange((Interval.point(key),))
        return (
            _parse_range(target.version_range) if target.version_range.strip() else VersionRange.ALL
        )
    # CPE: a fixed version in the name, or NVD-style bounds around an ANY version.
    try:
        cpe = parse_cpe23(target.cpe)
    except CpeError as error:
        return Unparseable(reason=f"CPE: {error}")
    target.cpe_vendor, target.cpe_product = cpe_vendor_product(target.cpe) or ("", "")
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
            return nvd_version_range(**bounds)
        except CpeError as error:
            return Unparseable(reason=f"CPE version bounds: {error}")
    if any(bounds.values()):
        return Unparseable(reason="Start/end bounds need the CPE's version to be '*'.")
    if cpe.version.is_na or not cpe.version.is_plain:
        return Unparseable(reason="The CPE's version must be '*' or one exact version.")
    key = version_key(cpe.version.literal)
    if key is None:
        return Unparseable(reason=f"The CPE version '{cpe.version.literal}' is not a version.")
    return VersionRange((Interval.point(key),))


@transaction.atomic
def target_compile(*, target: AffectedTarget) -> AffectedTarget:
    """Derive a target's identifier parts and version intervals from what the editor entered.

    What cannot be parsed marks the target ``needs_review`` with the reason and leaves it with
    no intervals, so that it matches nothing rather than everything; editors see the list.
    """
    target.needs_review = False
    target.review_reason = ""
    compiled = _compile_range(target)
    if isinstance(compiled, Unparseable):
        target.needs_review = True
        target.review_reason = compiled.reason[:500]
    target.save()
    target.intervals.all().delete()
    if isinstance(compiled, VersionRange):
        TargetInterval.objects.bulk_create(
            TargetInterval(
                target=target,
                lower=interval.lower,
                lower_inclusive=interval.lower_inclusive,
                upper=interval.upper,
                upper_inclusive=interval.upper_inclusive,
            )
            for interval in compiled.intervals
        )
    return target


def advisory_snapshot(advisory: Advisory) -> dict[str, Any]:
    """What an advisory says at this moment, for its revision history."""
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
        "cves": sorted(advisory.cves.values_list("cve_id", flat=True)),
        "targets": [str(target) for target in advisory.targets.all()],
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
    advisory = Advisory(status=AdvisoryStatus.DRAFT, **fields)
    if getattr(user, "is_authenticated", False):
        advisory.created_by = user
    advisory.full_clean()
    advisory.save()
    for cve_id in dict.fromkeys(cve.strip().upper() for cve in cve_ids):
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
        after=advisory_snapshot(advisory),
        request=request,
    )
    return advisory


@transaction.atomic
def advisory_publish(*, advisory: Advisory, user: Any = None, request: Any = None) -> Advisory:
    """Publish a draft: from now on it flags the inventories it matches."""
    advisory = Advisory.objects.select_for_update().get(pk=advisory.pk)
    if advisory.status != AdvisoryStatus.DRAFT:
        raise AdvisoryStateError(f"Only a draft can be published; this one is {advisory.status}.")
    advisory.status = AdvisoryStatus.PUBLISHED
    advisory.published_at = timezone.now()
    advisory.save(update_fields=["status", "published_at", "updated_at"])
    advisory_revision_add(advisory=advisory, summary="Published.", user=user)
    audit_record(
        action="advisory.publish",
        actor=user,
        obj=advisory,
        before={"status": AdvisoryStatus.DRAFT},
        after={"status": AdvisoryStatus.PUBLISHED},
        request=request,
    )
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
    advisory.withdrawn_at = timezone.now()
    advisory.withdrawn_reason = reason.strip()
    advisory.save(update_fields=["status", "withdrawn_at", "withdrawn_reason", "updated_at"])
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
    return advisory
