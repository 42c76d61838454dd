"""Serializers of the exposure API: flags, their history and triage requests."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from advisories.models import Advisory
from config.api_serializers import ScopedPrimaryKeyRelatedField
from exposure.models import Flag, FlagEvent
from exposure.triage import BULK_LIMIT, HUMAN_STATUS_CHOICES
from orgs.api.serializers import fellow_users


class FlagAdvisorySerializer(serializers.ModelSerializer[Advisory]):
    """The advisory a flag comes from, as much as a flag list needs."""

    class Meta:
        model = Advisory
        fields = ["id", "identifier", "title", "kind", "severity", "recommended_action"]


class FlagSerializer(serializers.ModelSerializer[Flag]):
    url = serializers.HyperlinkedIdentityField(view_name="api:flag-detail")
    advisory = FlagAdvisorySerializer(read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    assignee_username = serializers.CharField(
        source="assignee.username", read_only=True, default=None
    )

    class Meta:
        model = Flag
        fields = [
            "id",
            "url",
            "organization",
            "organization_name",
            "advisory",
            "item",
            "item_label",
            "matched_target",
            "status",
            "confidence",
            "priority",
            "due_date",
            "assignee",
            "assignee_username",
            "status_reason",
            "risk_accepted_until",
            "resolution_reason",
            "first_seen_at",
            "last_matched_at",
            "status_changed_at",
            "resolved_at",
            "updated_at",
        ]
        read_only_fields = fields


class FlagEventSerializer(serializers.ModelSerializer[FlagEvent]):
    actor_username = serializers.CharField(source="actor.username", read_only=True, default=None)

    class Meta:
        model = FlagEvent
        fields = [
            "id",
            "kind",
            "actor",
            "actor_username",
            "from_status",
            "to_status",
            "note",
            "data",
            "created_at",
        ]
        read_only_fields = fields


class FlagTransitionSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=HUMAN_STATUS_CHOICES,
        help_text="open → acknowledged → mitigated; open or acknowledged → risk_accepted or "
        "false_positive; a closed flag back to open.",
    )
    reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why; required for risk_accepted and false_positive.",
    )
    risk_accepted_until = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Until when the risk is accepted (a future date); only for risk_accepted.",
    )


class FlagBulkTransitionSerializer(FlagTransitionSerializer):
    flags = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=BULK_LIMIT,
        help_text="Ids of the flags to change; all change, or none does.",
    )


class FlagBulkResultSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField(help_text="How many flags changed.")
    results = FlagSerializer(many=True)


class FlagAssignSerializer(serializers.Serializer[Any]):
    assignee = ScopedPrimaryKeyRelatedField(
        fellow_users,
        allow_null=True,
        help_text="A member of the flag's organization, or null to unassign.",
    )


class FlagCommentSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=5000)
