"""Serializers of the notifications API."""

from __future__ import annotations

from rest_framework import serializers

from advisories.choices import AdvisoryKind, Severity
from config.api_serializers import (
    CreateOnlyFieldsMixin,
    ScopedPrimaryKeyRelatedField,
    StrictModelSerializer,
)
from notifications.choices import ChannelKind, ChannelMode, NotificationEvent
from notifications.models import Channel, Delivery, DeliveryAttempt
from notifications.selectors import organizations_administered


class ChannelSerializer(CreateOnlyFieldsMixin, StrictModelSerializer[Channel]):
    """A channel. Its URL is written, never read back (an incoming-webhook URL is a
    credential): ``target`` shows its scheme and host."""

    create_only_fields = ("organization", "kind")

    organization = ScopedPrimaryKeyRelatedField(
        lambda user: organizations_administered(user=user),
        help_text="An organization you administer.",
    )
    kind = serializers.ChoiceField(choices=ChannelKind.choices)
    mode = serializers.ChoiceField(choices=ChannelMode.choices, default=ChannelMode.IMMEDIATE)
    min_severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.NONE)
    advisory_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=AdvisoryKind.choices),
        default=list,
        help_text="Advisory kinds to notify about; empty for every kind.",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=NotificationEvent.choices),
        default=lambda: list(NotificationEvent.values),
    )
    recipients = serializers.ListField(
        child=serializers.EmailField(), default=list, help_text="Email channels: the addresses."
    )
    url = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Webhook, Slack and Teams channels: the URL to post to. Never shown again.",
    )
    target = serializers.CharField(source="target_display", read_only=True)

    class Meta:
        model = Channel
        fields = [
            "id",
            "organization",
            "name",
            "kind",
            "enabled",
            "mode",
            "min_severity",
            "advisory_kinds",
            "events",
            "recipients",
            "url",
            "target",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class IssuedChannelSerializer(ChannelSerializer):
    """A webhook channel just created (or given a new secret), with its signing secret: shown
    this once and never again."""

    secret = serializers.CharField(
        read_only=True,
        help_text="The HMAC-SHA256 signing secret (webhooks). Store it now: it cannot be shown "
        "again.",
    )

    class Meta(ChannelSerializer.Meta):
        fields = [*ChannelSerializer.Meta.fields, "secret"]


class ChannelSecretSerializer(serializers.Serializer[object]):
    """A webhook channel's new signing secret."""

    secret = serializers.CharField(read_only=True)


class DeliveryAttemptSerializer(StrictModelSerializer[DeliveryAttempt]):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "started_at", "duration_ms", "response_code", "error", "retry_in"]
        read_only_fields = fields


class DeliverySerializer(StrictModelSerializer[Delivery]):
    attempt_log = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "organization",
            "channel",
            "recipient_user",
            "kind",
            "status",
            "item_count",
            "period_start",
            "period_end",
            "attempts",
            "next_attempt_at",
            "last_error",
            "response_code",
            "sent_at",
            "created_at",
            "attempt_log",
        ]
        read_only_fields = fields
