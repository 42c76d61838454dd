"""Serializers of the exposure API: flags, their history and triage requests."""

from __future__ import annotations

from rest_framework import serializers

from advisories.models import Advisory
from config.api_serializers import (
    FastRepresentationMixin,
    ScopedPrimaryKeyRelatedField,
    StrictModelSerializer,
    StrictSerializer,
)
from exposure.choices import FlagStatus, ResolutionReason
from exposure.models import Flag, FlagEvent, MatchRun
from exposure.triage import BULK_LIMIT, HUMAN_STATUS_CHOICES
from orgs.api.serializers import fellow_users


class FlagAdvisorySerializer(FastRepresentationMixin, StrictModelSerializer[Advisory]):
    """The advisory a flag comes from, as much as a flag list needs."""

    class Meta:
        model = Advisory
        fields = ["id", "identifier", "title", "kind", "severity", "recommended_action"]


class FlagSerializer(FastRepresentationMixin, StrictModelSerializer[Flag]):
    url = serializers.HyperlinkedIdentityField(view_name="api:flag-detail")
    advisory = FlagAdvisorySerializer(read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    assignee_username = serializers.CharField(
        source="assignee.username", read_only=True, allow_null=True, default=None
    )
    resolution_reason = serializers.ChoiceField(
        choices=ResolutionReason.choices, allow_blank=True, read_only=True
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


class FlagEventSerializer(StrictModelSerializer[FlagEvent]):
    actor_username = serializers.CharField(
        source="actor.username", read_only=True, allow_null=True, default=None
    )
    from_status = serializers.ChoiceField(
        choices=FlagStatus.choices, allow_blank=True, read_only=True
    )
    to_status = serializers.ChoiceField(
        choices=FlagStatus.choices, allow_blank=True, read_only=True
    )

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


class FlagTransitionSerializer(StrictSerializer):
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


class FlagBulkResultSerializer(StrictSerializer):
    count = serializers.IntegerField(help_text="How many flags changed.")
    results = FlagSerializer(many=True)


class FlagAssignSerializer(StrictSerializer):
    assignee = ScopedPrimaryKeyRelatedField(
        fellow_users,
        allow_null=True,
        help_text="A member of the flag's organization, or null to unassign.",
    )


class FlagCommentSerializer(StrictSerializer):
    note = serializers.CharField(max_length=5000)


class MatchRunSerializer(StrictModelSerializer[MatchRun]):
    duration_seconds = serializers.SerializerMethodField()

    class Meta:
        model = MatchRun
        fields = [
            "id",
            "kind",
            "status",
            "parent",
            "advisory_ids",
            "organization_ids",
            "vendor_ids",
            "product_ids",
            "created_at",
            "started_at",
            "finished_at",
            "duration_seconds",
            "items_considered",
            "flags_created",
            "flags_updated",
            "flags_resolved",
            "flags_reopened",
            "error",
        ]
        read_only_fields = fields

    def get_duration_seconds(self, run: MatchRun) -> float | None:
        """How long the run took, in seconds; none while it runs."""
        return run.duration.total_seconds() if run.duration is not None else None
