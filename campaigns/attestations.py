"""Attestations: an organization admin states that a milestone is reached, with evidence files;
an analyst of that organization accepts the statement or returns it with a reason. Every step is
audited and enters the campaign's history."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.services import audit_record
from campaigns.choices import AttestationStatus, CampaignEventKind, CampaignStatus
from campaigns.evidence import EvidenceFile, evidence_check_all
from campaigns.models import (
    Attestation,
    Evidence,
    Milestone,
    Plan,
    evidence_path,
    evidence_storage,
)
from campaigns.services import event_record
from orgs.choices import Role
from orgs.scoping import Actor, has_role


def attestation_snapshot(attestation: Attestation) -> dict[str, Any]:
    return {
        "attestation": attestation.pk,
        "milestone": attestation.milestone.key,
        "status": attestation.status,
        "statement": attestation.statement,
        "review_reason": attestation.review_reason,
        "evidence": [e.name for e in attestation.evidence.all()],
    }


def attestation_submit(
    *,
    plan: Plan,
    milestone: Milestone,
    user: Actor,
    statement: str,
    files: Sequence[EvidenceFile] = (),
    request: HttpRequest | None = None,
) -> Attestation:
    """Attest that ``plan``'s organization reached ``milestone``. Nothing is stored unless the
    statement and every file are acceptable."""
    if not has_role(user, plan.organization, Role.ADMIN):
        raise PermissionDenied(f"Attesting needs the admin role in {plan.organization}.")
    if plan.campaign.status != CampaignStatus.OPEN:
        raise ValidationError("The campaign is closed.")
    if milestone.campaign_id != plan.campaign_id:
        raise ValidationError({"milestone": "Not a milestone of this campaign."})
    if not statement.strip():
        raise ValidationError({"statement": "Say what was done."})
    checked = evidence_check_all(list(files))
    storage = evidence_storage()
    stored: list[str] = []
    try:
        with transaction.atomic():
            plan = Plan.objects.select_for_update().get(pk=plan.pk)
            standing = (
                plan.attestations.filter(milestone=milestone)
                .exclude(status=AttestationStatus.RETURNED)
                .first()
            )
            if standing is not None:
                state = standing.get_status_display().lower()
                raise ValidationError({"milestone": f"'{milestone.name}' is already {state}."})
            attestation = Attestation.objects.create(
                plan=plan,
                milestone=milestone,
                statement=statement.strip(),
                submitted_at=timezone.now(),
                submitted_by=user,  # type: ignore[misc]
            )
            for item in checked:
                stored_as = storage.save(evidence_path(item.name), ContentFile(item.content))
                stored.append(stored_as)
                Evidence.objects.create(
                    attestation=attestation,
                    name=item.name,
                    stored_as=stored_as,
                    content_type=item.content_type,
                    size=len(item.content),
                    sha256=item.sha256,
                )
            after = attestation_snapshot(attestation)
            event_record(
                campaign=plan.campaign,
                kind=CampaignEventKind.ATTESTED,
                actor=user,
                organization=plan.organization,
                data=after,
                at=attestation.submitted_at,
            )
            audit_record(
                action="campaign.attest",
                actor=user,
                organization=plan.organization,
                obj=attestation,
                after=after,
                request=request,
            )
    except BaseException:
        # The rows are rolled back; the files written before the failure go with them.
        for name in stored:
            storage.delete(name)
        raise
    return attestation


@transaction.atomic
def attestation_review(
    *,
    attestation: Attestation,
    user: Actor,
    accept: bool,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Attestation:
    """Accept an attestation, or return it with a reason for the organization to attest
    anew. Reviewed by an analyst of the organization, never by who attested."""
    attestation = (
        Attestation.objects.select_for_update()
        .select_related("plan__organization", "plan__campaign", "milestone")
        .get(pk=attestation.pk)
    )
    organization = attestation.plan.organization
    if not has_role(user, organization, Role.ANALYST):
        raise PermissionDenied(f"Reviewing needs the analyst role in {organization}.")
    if attestation.submitted_by_id == user.pk:
        raise PermissionDenied("An attestation is reviewed by someone other than who made it.")
    if attestation.status != AttestationStatus.SUBMITTED:
        raise ValidationError(
            {"status": f"This attestation is already {attestation.get_status_display().lower()}."}
        )
    if not accept and not reason.strip():
        raise ValidationError({"reason": "Say why the attestation is returned."})
    before = attestation_snapshot(attestation)
    attestation.status = AttestationStatus.ACCEPTED if accept else AttestationStatus.RETURNED
    attestation.review_reason = reason.strip()
    attestation.reviewed_at = timezone.now()
    attestation.reviewed_by = user  # type: ignore[assignment]
    attestation.save(update_fields=["status", "review_reason", "reviewed_at", "reviewed_by"])
    after = attestation_snapshot(attestation)
    event_record(
        campaign=attestation.plan.campaign,
        kind=CampaignEventKind.ACCEPTED if accept else CampaignEventKind.RETURNED,
        actor=user,
        organization=organization,
        data=after,
        at=attestation.reviewed_at,
    )
    audit_record(
        action="campaign.attestation_accept" if accept else "campaign.attestation_return",
        actor=user,
        organization=organization,
        obj=attestation,
        before=before,
        after=after,
        request=request,
    )
    return attestation
