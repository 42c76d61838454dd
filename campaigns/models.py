"""Replacement campaigns: a programme, opened from an advisory that says "replace this vendor",
that plans, tracks and proves the replacement in every organization it names."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, NoReturn

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.urls import reverse

from advisories.models import Advisory
from campaigns.choices import AttestationStatus, CampaignEventKind, CampaignScope, CampaignStatus
from orgs.models import Organization
from orgs.scoping import OrgScopedQuerySet
from vendors.models import Product


class Campaign(models.Model):
    """A replacement programme opened from a replace/remove advisory (the BSI's Kaspersky
    warning, BOD 17-01): its milestones, the organizations it asks to act, and the products it
    suggests instead. Each organization in scope has a ``Plan``; a campaign has at most one per
    advisory."""

    advisory = models.OneToOneField(Advisory, on_delete=models.PROTECT, related_name="campaign")
    title = models.CharField(max_length=300)
    guidance = models.TextField(
        blank=True, help_text="What organizations are asked to do, beyond the advisory's text."
    )
    scope = models.CharField(max_length=20, choices=CampaignScope.choices)
    scope_sectors = models.JSONField(default=list, blank=True)
    scope_tiers = models.JSONField(default=list, blank=True)
    replacement_products = models.ManyToManyField(
        Product, blank=True, related_name="+", help_text="Suggested replacements."
    )
    status = models.CharField(
        max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.OPEN
    )
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("campaigns:campaign_detail", kwargs={"pk": self.pk})


class Milestone(models.Model):
    """A dated step of a campaign (identify, plan, start the removal, removal complete), due a
    number of days after the advisory; its date may be moved."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="milestones")
    key = models.SlugField(max_length=50)
    name = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField()
    offset_days = models.PositiveIntegerField(help_text="Days after the advisory's date.")
    due_on = models.DateField()

    class Meta:
        ordering = ["campaign", "position"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "key"], name="milestone_unique_key"),
            models.UniqueConstraint(
                fields=["campaign", "position"], name="milestone_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (by {self.due_on:%Y-%m-%d})"


class PlanQuerySet(OrgScopedQuerySet):
    advisory_lookup = "campaign__advisory"


class Plan(models.Model):
    """One organization's part in a campaign: how many affected items it had when it joined,
    what it replaces them with, who answers for it and by when."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="plans")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="campaign_plans"
    )
    joined_at = models.DateTimeField()
    items_at_start = models.PositiveIntegerField(default=0)
    replacement_product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    replacement_text = models.CharField(
        "replacement (free text)",
        max_length=300,
        blank=True,
        help_text="When the replacement is not in the catalogue.",
    )
    responsible = models.CharField("responsible person", max_length=200, blank=True)
    target_date = models.DateField(null=True, blank=True)
    notes = models.TextField(
        blank=True, help_text="One line per site or item group, e.g. 'Plant 2: clients first'."
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["campaign", "organization__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "organization"], name="plan_unique_campaign_organization"
            ),
        ]
        indexes = [models.Index(fields=["organization", "campaign"], name="plan_org_campaign_idx")]

    def __str__(self) -> str:
        return f"{self.organization} in {self.campaign}"

    def get_absolute_url(self) -> str:
        return reverse(
            "campaigns:plan_detail",
            kwargs={"pk": self.campaign_id, "slug": self.organization.slug},
        )


class AttestationQuerySet(OrgScopedQuerySet):
    org_lookup = "plan__organization"
    advisory_lookup = "plan__campaign__advisory"


class Attestation(models.Model):
    """An organization admin's statement that a milestone is reached, with evidence; an analyst
    accepts it or returns it with a reason. A returned milestone is attested anew."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="attestations")
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="attestations")
    statement = models.TextField()
    status = models.CharField(
        max_length=20, choices=AttestationStatus.choices, default=AttestationStatus.SUBMITTED
    )
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_reason = models.TextField(blank=True)

    objects = AttestationQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "milestone__position", "-submitted_at", "-pk"]
        indexes = [
            models.Index(
                fields=["plan", "milestone", "-submitted_at"], name="attestation_latest_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.milestone.name}: {self.get_status_display()}"


def evidence_storage() -> Storage:
    """Where evidence files are kept: the ``evidence`` storage of ``STORAGES``, outside the
    web root (``CAMPAIGN_EVIDENCE_ROOT``). No URL serves them, only the download view, which
    applies the tenant rule."""
    return storages["evidence"]


def evidence_path(name: str) -> str:
    """A random name on disk: the uploaded name is only shown, never used as a path."""
    return f"{uuid.uuid4().hex}{Path(name).suffix.lower()}"


class EvidenceQuerySet(OrgScopedQuerySet):
    org_lookup = "attestation__plan__organization"
    advisory_lookup = "attestation__plan__campaign__advisory"


class Evidence(models.Model):
    """A file that backs an attestation (a removal log, a signed plan, a screenshot)."""

    attestation = models.ForeignKey(Attestation, on_delete=models.CASCADE, related_name="evidence")
    stored_as = models.CharField(max_length=100, editable=False)
    name = models.CharField(max_length=200, help_text="The file's name as uploaded.")
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["attestation", "pk"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("campaigns:evidence_download", kwargs={"pk": self.pk})


class AppendOnlyQuerySet(models.QuerySet[Any]):
    """History is added and read, never changed (a trigger enforces it on PostgreSQL too)."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError("Campaign history is append-only.")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise PermissionError("Campaign history is append-only.")


class CampaignEvent(models.Model):
    """One thing that happened in a campaign, with what was true after it (``data``): the
    record a report for a past date is built from. The actor is kept by id and name, so that
    the entry outlives the user and never changes."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="events")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=CampaignEventKind.choices)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(max_length=150, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["campaign", "created_at", "pk"]
        indexes = [
            models.Index(fields=["campaign", "created_at"], name="campaignevent_time_idx"),
            models.Index(
                fields=["campaign", "organization", "created_at"], name="campaignevent_org_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Campaign history is append-only.")
        super().save(*args, **kwargs)


class ProgressSample(models.Model):
    """An organization's numbers in a campaign from ``recorded_at`` until its next sample:
    affected items remaining and replaced. Written when they change, never altered, so that
    the burn-down and a report for a past date read what was true then."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="samples")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    remaining = models.PositiveIntegerField()
    replaced = models.PositiveIntegerField()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["campaign", "recorded_at", "pk"]
        indexes = [
            models.Index(fields=["campaign", "recorded_at"], name="progress_campaign_time_idx"),
            models.Index(
                fields=["campaign", "organization", "-recorded_at"], name="progress_org_time_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.remaining} remaining at {self.recorded_at}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Campaign history is append-only.")
        super().save(*args, **kwargs)
