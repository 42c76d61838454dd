"""Choices of notification channels and their deliveries."""

from django.db import models


class ChannelKind(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook (signed JSON)"
    SLACK = "slack", "Slack incoming webhook"
    TEAMS = "teams", "Microsoft Teams incoming webhook"


# Kinds that post to a URL, through the guarded HTTP client.
URL_CHANNEL_KINDS = (ChannelKind.WEBHOOK, ChannelKind.SLACK, ChannelKind.TEAMS)


class ChannelMode(models.TextChoices):
    IMMEDIATE = "immediate", "Immediately"
    DIGEST = "digest", "Daily digest"


class NotificationEvent(models.TextChoices):
    """What a channel can be told about."""

    NEW_FLAG = "new_flag", "New flags"
    STATUS_CHANGED = "status_changed", "Status changes"
    OVERDUE = "overdue", "Overdue flags (daily reminder)"
    ADVISORY_WITHDRAWN = "advisory_withdrawn", "Advisory withdrawn"


class DeliveryKind(models.TextChoices):
    EVENTS = "events", "Flag changes"
    DIGEST = "digest", "Daily digest"
    OVERDUE = "overdue", "Overdue reminder"
    # A replacement campaign's reminder before a milestone, or its escalation after it
    # (campaigns/reminders.py); told to the channels that hear about overdue flags.
    CAMPAIGN = "campaign", "Campaign milestone"
    TEST = "test", "Test"


class DeliveryStatus(models.TextChoices):
    # A digest gathers items while COLLECTING and is sent once its period ends.
    COLLECTING = "collecting", "Collecting (digest)"
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
