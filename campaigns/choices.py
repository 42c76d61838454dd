"""Choices of replacement campaigns, their milestones and attestations."""

from django.db import models


class CampaignScope(models.TextChoices):
    """Which organizations a campaign asks to act."""

    FLAGGED = "flagged", "Every organization flagged by the advisory"
    PROFILE = "profile", "Organizations of chosen sectors and tiers"


class CampaignStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class AttestationStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted, awaiting review"
    ACCEPTED = "accepted", "Accepted"
    RETURNED = "returned", "Returned"


class MilestoneState(models.TextChoices):
    """Where one organization stands on one milestone (derived, never stored): its latest
    attestation's status, or pending / late by the milestone's date."""

    LATE = "late", "Late"
    RETURNED = "returned", "Returned"
    SUBMITTED = "submitted", "Awaiting review"
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"


# The order of the dashboard: what needs attention first.
MILESTONE_STATE_RANK = {
    MilestoneState.LATE: 0,
    MilestoneState.RETURNED: 1,
    MilestoneState.SUBMITTED: 2,
    MilestoneState.PENDING: 3,
    MilestoneState.ACCEPTED: 4,
}


class CampaignEventKind(models.TextChoices):
    OPENED = "opened", "Campaign opened"
    MILESTONE_CHANGED = "milestone_changed", "Milestone changed"
    ORGANIZATION_JOINED = "organization_joined", "Organization joined"
    PLAN_SAVED = "plan_saved", "Plan saved"
    ATTESTED = "attested", "Milestone attested"
    ACCEPTED = "accepted", "Attestation accepted"
    RETURNED = "returned", "Attestation returned"
    REMINDED = "reminded", "Reminder sent"
    ESCALATED = "escalated", "Escalation sent"
    CLOSED = "closed", "Campaign closed"


# The default programme, after BOD 17-01: identify by D+30, plan by D+60, start the removal
# by D+90; the removal's end is the campaign's own choice.
DEFAULT_MILESTONES = (
    ("identify", "Identify the affected products", 30),
    ("plan", "Plan the replacement", 60),
    ("removal_started", "Start the removal", 90),
    ("removed", "Removal complete", 180),
)
