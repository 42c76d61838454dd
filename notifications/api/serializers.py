"""Serializers of the notifications API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from advisories.choices import AdvisoryKind, Severity
from api.schema import object_examples
from api.serializers import (
    CreateOnlyFieldsMixin,
    ScopedPrimaryKeyRelatedField,
    StrictModelSerializer,
)
from notifications.choices import ChannelKind, ChannelMode, NotificationEvent
from notifications.models import Channel, Delivery, DeliveryAttempt
from notifications.selectors import organizations_administered

# A webhook channel just added, with its signing secret (the answer to its creation).
ISSUED_WEBHOOK = OpenApiExample(
    "A signed webhook for high and critical vendor warnings",
    value={
        "id": 9,
        "organization": 3,
        "name": "SOAR intake",
        "kind": "webhook",
        "enabled": True,
        "mode": "immediate",
        "min_severity": "high",
        "advisory_kinds": ["vendor_warning", "prohibition"],
        "events": ["new_flag", "advisory_withdrawn"],
        "recipients": [],
        "target": "https://soar.example.org/…",
        "created_at": "2026-11-20T16:42:07Z",
        "updated_at": "2026-11-20T16:42:07Z",
        "secret": "EXAMPLE-signing-secret-shown-once-keep-it-safe",
    },
    response_only=True,
    status_codes=[201],
)
# A test message just queued for the webhook channel (the answer to its test action).
TEST_DELIVERY = OpenApiExample(
    "A test message queued",
    value={
        "id": 5120,
        "organization": 3,
        "channel": 9,
        "recipient_user": None,
        "kind": "test",
        "status": "pending",
        "item_count": 0,
        "period_start": None,
        "period_end": None,
        "attempts": 0,
        "next_attempt_at": "2026-11-20T16:45:03Z",
        "last_error": "",
        "response_code": None,
        "sent_at": None,
        "created_at": "2026-11-20T16:45:03Z",
        "attempt_log": [],
    },
    response_only=True,
    status_codes=[202],
)


# A channel as the API shows it; a client sends the same but for what the server derives.
_DIGEST_CHANNEL: dict[str, Any] = {
    "id": 4,
    "organization": 3,
    "name": "IT security team",
    "kind": "email",
    "enabled": True,
    "mode": "digest",
    "min_severity": "medium",
    "advisory_kinds": [],
    "events": ["new_flag", "status_changed", "overdue"],
    "recipients": [
        "it-sicherheit@stadtwerke-nordhafen.example",
        "ciso@stadtwerke-nordhafen.example",
    ],
    "target": "it-sicherheit@stadtwerke-nordhafen.example, ciso@stadtwerke-nordhafen.example",
    "created_at": "2026-10-06T11:20:45Z",
    "updated_at": "2026-11-20T16:42:07Z",
}


@extend_schema_serializer(
    examples=object_examples(
        "A daily digest by email",
        _DIGEST_CHANNEL,
        derived=("id", "target", "created_at", "updated_at"),
    )
)
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


@extend_schema_serializer(examples=[ISSUED_WEBHOOK])
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


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A new signing secret",
            value={"secret": "EXAMPLE-new-signing-secret-shown-once"},
            response_only=True,
        )
    ]
)
class ChannelSecretSerializer(serializers.Serializer[object]):
    """A webhook channel's new signing secret."""

    secret = serializers.CharField(read_only=True)


class DeliveryAttemptSerializer(StrictModelSerializer[DeliveryAttempt]):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "started_at", "duration_ms", "response_code", "error", "retry_in"]
        read_only_fields = fields


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "New flags posted to a webhook on the second attempt",
            value={
                "id": 5117,
                "organization": 3,
                "channel": 9,
                "recipient_user": None,
                "kind": "events",
                "status": "sent",
                "item_count": 3,
                "period_start": None,
                "period_end": None,
                "attempts": 2,
                "next_attempt_at": None,
                "last_error": "",
                "response_code": 200,
                "sent_at": "2026-11-18T07:03:45.871204Z",
                "created_at": "2026-11-18T07:02:42.106733Z",
                "attempt_log": [
                    {
                        "number": 1,
                        "started_at": "2026-11-18T07:02:42.530918Z",
                        "duration_ms": 412,
                        "response_code": 503,
                        "error": "HTTP 503: Service Unavailable",
                        "retry_in": 60,
                    },
                    {
                        "number": 2,
                        "started_at": "2026-11-18T07:03:45.680462Z",
                        "duration_ms": 188,
                        "response_code": 200,
                        "error": "",
                        "retry_in": None,
                    },
                ],
            },
            response_only=True,
        )
    ]
)
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
