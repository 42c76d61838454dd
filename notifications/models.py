"""Notification channels of organizations, what was delivered to them, and the dispatcher's
place in the flags' history."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q

from advisories.choices import Severity
from exposure.models import Flag, FlagEvent
from notifications.choices import (
    ChannelKind,
    ChannelMode,
    DeliveryKind,
    DeliveryStatus,
    NotificationEvent,
)
from orgs.models import Organization
from orgs.scoping import OrgScopedQuerySet


def all_notification_events() -> list[str]:
    """A new channel hears about everything until its admin narrows it."""
    return list(NotificationEvent.values)


class Channel(models.Model):
    """Where an organization wants to be told about its flags: an email list, a signed webhook,
    a Slack or a Microsoft Teams incoming webhook, each with its own rules.

    The rules filter what reaches the channel: the advisory's minimum severity, its kinds
    (none listed: every kind), the events it hears about, and whether it is told at once or in
    a daily digest. ``secret`` signs generic webhooks and is shown once; ``url`` often carries
    a token of its own (Slack's and Teams' do), so pages and the API show it masked.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="notification_channels"
    )
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=ChannelKind.choices)
    enabled = models.BooleanField(default=True)
    mode = models.CharField(
        max_length=20, choices=ChannelMode.choices, default=ChannelMode.IMMEDIATE
    )
    min_severity = models.CharField(
        "minimum severity", max_length=20, choices=Severity.choices, default=Severity.NONE
    )
    advisory_kinds = models.JSONField(
        default=list, blank=True, help_text="Advisory kinds to notify about; empty for all."
    )
    events = models.JSONField(default=all_notification_events)
    recipients = models.JSONField(default=list, blank=True, help_text="Email addresses.")
    url = models.CharField("URL", max_length=2000, blank=True)
    secret = models.CharField(max_length=100, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["organization__name", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="channel_unique_organization_name"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "enabled"], name="channel_org_enabled_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def event_labels(self) -> list[str]:
        """What the channel is told about, in words."""
        return [NotificationEvent(event).label for event in self.events]

    @property
    def target_display(self) -> str:
        """Where the channel sends, safe to show: the addresses, or the URL's scheme and host
        only (the path of an incoming webhook is its credential)."""
        if self.kind == ChannelKind.EMAIL:
            return ", ".join(self.recipients)
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname or ''}/…" if self.url else ""


class DispatchCursor(models.Model):
    """How far the dispatcher has read the flags' history (``FlagEvent``), and what it skipped.

    Ids come from a sequence when a row is inserted, but a row becomes visible only when its
    transaction commits, so a long matching run can commit ids below ones already read. The
    cursor therefore keeps the ranges of ids it has not seen below its position (``gaps``,
    each ``[first, last, first seen as a Unix time]``) and looks for them again until they are
    older than any transaction can be; then they are given up as rolled back or deleted.
    ``version`` is the claim: a dispatcher moves the cursor with an update conditional on the
    version it read, so two dispatchers never hand out the same events.
    """

    name = models.CharField(max_length=50, unique=True)
    position = models.BigIntegerField(default=0)
    gaps = models.JSONField(default=list, blank=True)
    version = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.position}"


class Delivery(models.Model):
    """One message to one channel (or, for overdue reminders, to one assignee by email), and
    what became of it: pending, sent, or failed after its retries.

    Its content is its items — the flags and flag events it tells about — rendered in the
    channel's format when it is sent. A daily digest is a delivery that collects items until
    its period ends. ``dedupe_key`` makes a scheduled delivery (a digest, a day's reminder)
    exist once however often its task runs.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="notification_deliveries"
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="The assignee an overdue reminder is emailed to (no channel).",
    )
    kind = models.CharField(max_length=20, choices=DeliveryKind.choices)
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    item_count = models.PositiveIntegerField(
        default=0, help_text="Flags the message tells about (more than it lists when large)."
    )
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True, editable=False)
    subject = models.CharField(
        max_length=300,
        blank=True,
        help_text="The message's title when its writer gives one (a campaign milestone's "
        "reminder); empty: made from its items.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__isnull=False) | Q(recipient_user__isnull=False),
                name="delivery_has_a_destination",
            ),
            models.UniqueConstraint(
                fields=["channel"],
                condition=Q(status=DeliveryStatus.COLLECTING),
                name="delivery_one_collecting_digest_per_channel",
            ),
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="delivery_unique_dedupe_key",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="delivery_org_time_idx"),
            models.Index(fields=["channel", "-created_at"], name="delivery_channel_time_idx"),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status=DeliveryStatus.PENDING),
                name="delivery_pending_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} delivery {self.pk} ({self.get_status_display()})"


class DeliveryItemQuerySet(OrgScopedQuerySet):
    org_lookup = "delivery__organization"
    advisory_lookup = "flag__advisory"


class DeliveryItem(models.Model):
    """One flag a delivery tells about, and the event of its history that made it news (none
    for an overdue reminder, which is about the flag as it stands)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="items")
    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(
        FlagEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=NotificationEvent.choices)
    headline = models.CharField(
        max_length=300,
        blank=True,
        help_text="What the item says when its writer gives it (a campaign milestone's "
        "reminder in a digest); empty: made from its event.",
    )

    objects = DeliveryItemQuerySet.as_manager()

    class Meta:
        ordering = ["delivery", "pk"]
        indexes = [models.Index(fields=["delivery", "id"], name="deliveryitem_delivery_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: flag {self.flag_id}"


class DeliveryAttemptQuerySet(OrgScopedQuerySet):
    org_lookup = "delivery__organization"


class DeliveryAttempt(models.Model):
    """One try at sending a delivery: when, how it went, and when the next one was due."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    retry_in = models.PositiveIntegerField(
        null=True, blank=True, help_text="Seconds until the next attempt; empty when none."
    )

    objects = DeliveryAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="deliveryattempt_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"
