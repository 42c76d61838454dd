"""Choices of flags and their history."""

from django.db import models


class FlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    MITIGATED = "mitigated", "Mitigated"
    RISK_ACCEPTED = "risk_accepted", "Risk accepted"
    FALSE_POSITIVE = "false_positive", "False positive"
    RESOLVED = "resolved", "Resolved"


# Statuses in which a flag still asks for work; the others are closed.
ACTIVE_FLAG_STATUSES = (FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED)


class Confidence(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    # The organization must check the match: the flag's possible_reason says what (the item
    # has no usable version, or the target carries a caveat).
    POSSIBLE = "possible", "Possible"


# The reasons a match is possible besides a target's caveat (Flag.possible_reason).
VERSION_UNKNOWN = "version unknown"
CPE_ATTRIBUTE_UNKNOWN = (
    "an attribute the advisory's CPE name gives (its part, say) is unknown for the item"
)


class ResolutionReason(models.TextChoices):
    ITEM_REMOVED = "item_removed", "Item removed from the inventory"
    VERSION_NOT_AFFECTED = "version_not_affected", "Version no longer affected"
    NO_LONGER_MATCHES = "no_longer_matches", "No longer matches the advisory"
    ADVISORY_WITHDRAWN = "advisory_withdrawn", "Advisory withdrawn"


class FlagEventKind(models.TextChoices):
    CREATED = "created", "Created"
    STATUS_CHANGED = "status_changed", "Status changed"
    ASSIGNED = "assigned", "Assigned"
    COMMENTED = "commented", "Commented"
    REOPENED = "reopened", "Reopened"
    RESOLVED = "resolved", "Resolved"
    PRIORITY_CHANGED = "priority_changed", "Priority changed"


class MatchRunKind(models.TextChoices):
    """What a run of the matcher covered."""

    ADVISORY = "advisory", "Advisories against every inventory"
    ORGANIZATION = "organization", "An organization's changed items against every advisory"
    CATALOGUE = "catalogue", "Items and advisories touched by a catalogue change"
    FULL = "full", "Full re-match (the chunks are its parts)"
    CHUNK = "chunk", "One chunk of an advisory, catalogue or full run"


class MatchRunStatus(models.TextChoices):
    # A chunk waits as PENDING until a worker claims it; a chunked run (advisory, catalogue,
    # full) is RUNNING until its last chunk has finished. A chunk that overran its time limit
    # is SPLIT: two smaller chunks of the same run replace it.
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SPLIT = "split", "Split into smaller chunks"


class SavedViewPage(models.TextChoices):
    """The list a saved view opens."""

    FLAGS = "flags", "Flags"
    ASSETS = "assets", "Affected assets"
