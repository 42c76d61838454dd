"""Serializers of the campaigns API: campaigns with their milestones, plans, attestations
(evidence sent as base64 in JSON, like every body of this API) and progress."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.reverse import reverse

from api.schema import object_examples
from api.serializers import ScopedPrimaryKeyRelatedField, StrictModelSerializer, StrictSerializer
from campaigns.choices import MilestoneState
from campaigns.evidence import EvidenceFile
from campaigns.models import Attestation, Campaign, Evidence, Milestone, Plan

MILESTONES_EXAMPLE = [
    {
        "id": 11,
        "key": "identify",
        "name": "Identify the affected products",
        "position": 0,
        "offset_days": 30,
        "due_on": "2022-04-14",
    },
    {
        "id": 12,
        "key": "plan",
        "name": "Plan the replacement",
        "position": 1,
        "offset_days": 60,
        "due_on": "2022-05-14",
    },
]


class MilestoneSerializer(StrictModelSerializer[Milestone]):
    class Meta:
        model = Milestone
        fields = ["id", "key", "name", "position", "offset_days", "due_on"]
        read_only_fields = fields


CAMPAIGN_EXAMPLE = {
    "id": 4,
    "advisory": 17,
    "advisory_identifier": "BSI-WARNING-2022-03-15-KASPERSKY",
    "title": "Replace: Warning under §7 BSI Act: replace Kaspersky antivirus software",
    "guidance": "Replace with a product of a vendor outside Russian jurisdiction.",
    "scope": "profile",
    "scope_sectors": ["energy", "water"],
    "scope_tiers": ["critical_infrastructure"],
    "status": "open",
    "opened_at": "2022-03-16T09:00:00Z",
    "closed_at": None,
    "replacement_products": [31, 32],
    "milestones": MILESTONES_EXAMPLE,
}


@extend_schema_serializer(
    examples=[
        OpenApiExample("The BSI's Kaspersky warning", value=CAMPAIGN_EXAMPLE, response_only=True)
    ]
)
class CampaignSerializer(StrictModelSerializer[Campaign]):
    advisory_identifier = serializers.CharField(source="advisory.identifier", read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "advisory",
            "advisory_identifier",
            "title",
            "guidance",
            "scope",
            "scope_sectors",
            "scope_tiers",
            "status",
            "opened_at",
            "closed_at",
            "replacement_products",
            "milestones",
        ]
        read_only_fields = fields


PLAN_EXAMPLE = {
    "id": 301,
    "campaign": 4,
    "organization": 3,
    "organization_name": "Stadtwerke Nordhafen",
    "joined_at": "2022-03-16T09:00:00Z",
    "items_at_start": 412,
    "replacement_product": 32,
    "replacement_text": "",
    "responsible": "Jana Becker, IT operations",
    "target_date": "2022-06-30",
    "notes": "Plant 2: servers first, clients after the June maintenance window.",
}


@extend_schema_serializer(
    examples=object_examples(
        "A plan",
        PLAN_EXAMPLE,
        derived=(
            "id",
            "campaign",
            "organization",
            "organization_name",
            "joined_at",
            "items_at_start",
        ),
    )
)
class PlanSerializer(StrictModelSerializer[Plan]):
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = Plan
        fields = list(PLAN_EXAMPLE)
        read_only_fields = [
            "id",
            "campaign",
            "organization",
            "organization_name",
            "joined_at",
            "items_at_start",
        ]


EVIDENCE_EXAMPLE = {
    "id": 77,
    "attestation": 501,
    "name": "removal-log.pdf",
    "content_type": "application/pdf",
    "size": 48211,
    "sha256": "9f2c" + "0" * 60,
    "created_at": "2022-04-12T14:03:11Z",
    "download": "https://vendorwatch.example.org/api/v1/campaign-evidence/77/download/",
}


@extend_schema_serializer(
    examples=[OpenApiExample("A removal log", value=EVIDENCE_EXAMPLE, response_only=True)]
)
class EvidenceSerializer(StrictModelSerializer[Evidence]):
    download = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "attestation",
            "name",
            "content_type",
            "size",
            "sha256",
            "created_at",
            "download",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_download(self, evidence: Evidence) -> str:
        return reverse(
            "api:campaignevidence-download",
            kwargs={"pk": evidence.pk},
            request=self.context.get("request"),
        )


ATTESTATION_EXAMPLE = {
    "id": 501,
    "plan": 301,
    "organization": 3,
    "milestone": "identify",
    "statement": "412 Kaspersky Endpoint Security clients found by the March scan.",
    "status": "submitted",
    "submitted_at": "2022-04-12T14:03:11Z",
    "submitted_by": "o.krause",
    "reviewed_at": None,
    "reviewed_by": None,
    "review_reason": "",
    "evidence": [EVIDENCE_EXAMPLE],
}


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "An attestation awaiting review", value=ATTESTATION_EXAMPLE, response_only=True
        )
    ]
)
class AttestationSerializer(StrictModelSerializer[Attestation]):
    organization = serializers.IntegerField(source="plan.organization_id", read_only=True)
    milestone = serializers.CharField(source="milestone.key", read_only=True)
    submitted_by = serializers.CharField(
        source="submitted_by.username", read_only=True, allow_null=True
    )
    reviewed_by = serializers.CharField(
        source="reviewed_by.username", read_only=True, allow_null=True
    )
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = Attestation
        fields = list(ATTESTATION_EXAMPLE)
        read_only_fields = fields


class EvidenceUploadSerializer(StrictSerializer):
    name = serializers.CharField(max_length=500, help_text="The file's own name, e.g. scan.pdf.")
    content_base64 = serializers.CharField(help_text="The file's bytes, base64-encoded.")

    def validate_content_base64(self, value: str) -> bytes:
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError("Not base64.") from None


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Attest the first milestone with a PDF",
            value={
                "plan": 301,
                "milestone": "identify",
                "statement": "412 Kaspersky Endpoint Security clients found by the March scan.",
                "evidence": [{"name": "scan.pdf", "content_base64": "JVBERi0xLjcK..."}],
            },
            request_only=True,
        )
    ]
)
class AttestationCreateSerializer(StrictSerializer):
    # A plan the user may not see is refused like one that does not exist: 400 naming it.
    plan = ScopedPrimaryKeyRelatedField(
        lambda user: Plan.objects.visible_to(user),
        help_text="The plan of your organization in the campaign.",
    )
    milestone = serializers.CharField(help_text="The milestone's key, e.g. identify.")
    statement = serializers.CharField()
    evidence = EvidenceUploadSerializer(many=True, required=False)

    def evidence_files(self) -> list[EvidenceFile]:
        return [
            EvidenceFile(item["name"], item["content_base64"])
            for item in self.validated_data.get("evidence", [])
        ]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Return it",
            value={"decision": "return", "reason": "Attach the scan report."},
            request_only=True,
        )
    ]
)
class AttestationReviewSerializer(StrictSerializer):
    decision = serializers.ChoiceField(choices=[("accept", "Accept"), ("return", "Return")])
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ProgressMilestoneSerializer(StrictSerializer):
    key = serializers.CharField()
    state = serializers.ChoiceField(choices=MilestoneState.choices)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A late organization",
            value={
                "organization": 5,
                "organization_name": "Klinikum Süd",
                "items_at_start": 118,
                "remaining": 118,
                "replaced": 0,
                "state": "late",
                "days_late": 12,
                "milestones": [{"key": "identify", "state": "late"}],
            },
            response_only=True,
        )
    ]
)
class ProgressRowSerializer(StrictSerializer):
    """One organization's line of a campaign: its affected items and milestone states."""

    organization = serializers.IntegerField()
    organization_name = serializers.CharField()
    items_at_start = serializers.IntegerField()
    remaining = serializers.IntegerField()
    replaced = serializers.IntegerField()
    state = serializers.ChoiceField(choices=MilestoneState.choices)
    days_late = serializers.IntegerField()
    milestones = ProgressMilestoneSerializer(many=True)


class ProgressTotalsSerializer(StrictSerializer):
    """The campaign's numbers, added up over the organizations you may see."""

    organizations = serializers.IntegerField(help_text="Organizations taking part.")
    late = serializers.IntegerField(help_text="Organizations late on a milestone.")
    items_at_start = serializers.IntegerField()
    remaining = serializers.IntegerField()
    replaced = serializers.IntegerField()


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "The BSI's Kaspersky warning",
            value={
                **CAMPAIGN_EXAMPLE,
                "progress": {
                    "organizations": 2,
                    "late": 1,
                    "items_at_start": 530,
                    "remaining": 212,
                    "replaced": 318,
                },
            },
            response_only=True,
        )
    ]
)
class CampaignDetailSerializer(CampaignSerializer):
    """One campaign, with its totals over the organizations you may see (each organization's
    line: ``progress/``)."""

    progress = ProgressTotalsSerializer(read_only=True)

    class Meta(CampaignSerializer.Meta):
        fields = [*CampaignSerializer.Meta.fields, "progress"]
        read_only_fields = fields


def progress_totals(dashboard: Any) -> dict[str, Any]:
    """The dashboard's totals as the campaign's detail gives them."""
    return {
        "organizations": len(dashboard.rows),
        "late": dashboard.late,
        "items_at_start": dashboard.items_at_start,
        "remaining": dashboard.remaining,
        "replaced": dashboard.replaced,
    }


def progress_rows(rows: Iterable[Any]) -> list[dict[str, Any]]:
    """Lines of the dashboard (``PlanRow``) as the progress endpoint gives them."""
    return [
        {
            "organization": row.organization.pk,
            "organization_name": row.organization.name,
            "items_at_start": row.items_at_start,
            "remaining": row.remaining,
            "replaced": row.replaced,
            "state": row.state.value,
            "days_late": row.days_late,
            "milestones": [
                {"key": cell.milestone.key, "state": cell.state.value} for cell in row.cells
            ],
        }
        for row in rows
    ]
