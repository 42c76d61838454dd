"""Serializers of the exposure API: flags, their history and triage requests."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from advisories.models import Advisory
from api.rows import Row, RowFormat
from api.serializers import (
    ScopedPrimaryKeyRelatedField,
    StrictModelSerializer,
    StrictSerializer,
)
from exposure.choices import FlagStatus, ResolutionReason
from exposure.models import Flag, FlagEvent, MatchRun
from exposure.triage import BULK_LIMIT, HUMAN_STATUS_CHOICES
from orgs.api.serializers import AssetSerializer, fellow_users
from orgs.models import ASSET_FIELDS

# One story runs through the examples: Stadtwerke Nordhafen (organization 3) uploads its
# inventory, the matcher finds its Kaspersky installations under the BSI's 2022 warning, an
# analyst takes them on and accepts the risk of one until its replacement.
FLAG_EXAMPLE: dict[str, Any] = {
    "id": 4711,
    "url": "https://vendorwatch.example.org/api/v1/flags/4711/",
    "organization": 3,
    "organization_name": "Stadtwerke Nordhafen",
    "advisory": {
        "id": 27,
        "identifier": "BSI-WARNING-2022-03-15-KASPERSKY",
        "title": "Warning under §7 BSI Act: replace Kaspersky antivirus software",
        "kind": "vendor_warning",
        "severity": "high",
        "recommended_action": "replace",
        "known_exploited": False,
        "kev_due_date": None,
        "epss": None,
        "epss_percentile": None,
    },
    "item": 1288,
    "item_label": "Kaspersky Endpoint Security 21.3",
    "asset": {
        "external_ref": "CMDB-004711",
        "hostname": "ws-leit-*",
        "site": "Leitwarte Nordhafen",
        "environment": "production",
        "criticality": "high",
        "quantity": 420,
    },
    "matched_target": 41,
    "status": "acknowledged",
    "confidence": "confirmed",
    "possible_reason": "",
    "priority": 86,
    "due_date": "2026-12-02",
    "assignee": 12,
    "assignee_username": "j.becker",
    "status_reason": "Runs on the workstations of the grid control room; the switch is planned "
    "with the OT team.",
    "risk_accepted_until": None,
    "resolution_reason": "",
    "first_seen_at": "2026-11-18T07:02:41Z",
    "last_matched_at": "2026-11-20T03:15:12Z",
    "status_changed_at": "2026-11-19T09:31:55Z",
    "resolved_at": None,
    "updated_at": "2026-11-19T09:34:10Z",
}


def flag_example(pk: int, **changes: Any) -> dict[str, Any]:
    """:data:`FLAG_EXAMPLE` as flag ``pk``, with ``changes``."""
    url = f"https://vendorwatch.example.org/api/v1/flags/{pk}/"
    return {**FLAG_EXAMPLE, "id": pk, "url": url, **changes}


RISK_ACCEPTANCE_REASON = "Replacement scheduled with the Q3 hardware refresh."
RISK_ACCEPTANCE = OpenApiExample(
    "Accept the risk until a date",
    value={
        "status": "risk_accepted",
        "reason": RISK_ACCEPTANCE_REASON,
        "risk_accepted_until": "2027-09-30",
    },
    request_only=True,
)
RISK_ACCEPTED_FLAG = OpenApiExample(
    "A flag whose risk is accepted",
    value=flag_example(
        4711,
        status="risk_accepted",
        status_reason=RISK_ACCEPTANCE_REASON,
        risk_accepted_until="2027-09-30",
        status_changed_at="2026-11-20T16:42:07Z",
        updated_at="2026-11-20T16:42:07Z",
    ),
    response_only=True,
)
COMMENT_NOTE = "Asked the control-system vendor whether ESET is certified for the SCADA clients."
COMMENT = OpenApiExample("A note for the team", value={"note": COMMENT_NOTE}, request_only=True)
COMMENT_EVENT = OpenApiExample(
    "A note for the team",
    value={
        "id": 90215,
        "kind": "commented",
        "actor": 12,
        "actor_username": "j.becker",
        "from_status": "",
        "to_status": "",
        "note": COMMENT_NOTE,
        "data": {},
        "created_at": "2026-11-20T16:42:07Z",
    },
    response_only=True,
    status_codes=[201],
)


class FlagAdvisorySerializer(StrictModelSerializer[Advisory]):
    """The advisory a flag comes from, as much as a flag list needs."""

    class Meta:
        model = Advisory
        fields = [
            "id",
            "identifier",
            "title",
            "kind",
            "severity",
            "recommended_action",
            "known_exploited",
            "kev_due_date",
            "epss",
            "epss_percentile",
        ]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A Kaspersky installation under the BSI warning",
            value=FLAG_EXAMPLE,
            response_only=True,
        )
    ]
)
class FlagSerializer(StrictModelSerializer[Flag]):
    url = serializers.HyperlinkedIdentityField(view_name="api:flag-detail")
    advisory = FlagAdvisorySerializer(read_only=True)
    # Null once the item is deleted.
    asset = AssetSerializer(source="item", read_only=True, allow_null=True)
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
            "asset",
            "matched_target",
            "status",
            "confidence",
            "possible_reason",
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


# The flag list's rows (api/rows.py): these columns, and FlagSerializer's fields built from them.
FLAG_ROW_COLUMNS = (
    "id",
    "organization_id",
    "organization__name",
    "advisory_id",
    "advisory__identifier",
    "advisory__title",
    "advisory__kind",
    "advisory__severity",
    "advisory__recommended_action",
    "advisory__known_exploited",
    "advisory__kev_due_date",
    "advisory__epss",
    "advisory__epss_percentile",
    # Not shown: read by the keyset pages of ?ordering=-severity.
    "advisory__severity_rank",
    "item_id",
    "item_label",
    *(f"item__{name}" for name in ASSET_FIELDS),
    "matched_target_id",
    "status",
    "confidence",
    "possible_reason",
    "priority",
    "due_date",
    "assignee_id",
    "assignee__username",
    "status_reason",
    "risk_accepted_until",
    "resolution_reason",
    "first_seen_at",
    "last_matched_at",
    "status_changed_at",
    "resolved_at",
    "updated_at",
)


def flag_row(row: Row, out: RowFormat) -> dict[str, Any]:
    """A flag as FlagSerializer shows it, from FLAG_ROW_COLUMNS."""
    return {
        "id": row["id"],
        "url": out.url(row["id"]),
        "organization": row["organization_id"],
        "organization_name": row["organization__name"],
        "advisory": {
            "id": row["advisory_id"],
            "identifier": row["advisory__identifier"],
            "title": row["advisory__title"],
            "kind": row["advisory__kind"],
            "severity": row["advisory__severity"],
            "recommended_action": row["advisory__recommended_action"],
            "known_exploited": row["advisory__known_exploited"],
            "kev_due_date": row["advisory__kev_due_date"],
            "epss": row["advisory__epss"],
            "epss_percentile": row["advisory__epss_percentile"],
        },
        "item": row["item_id"],
        "item_label": row["item_label"],
        "asset": (
            None
            if row["item_id"] is None
            else {name: row[f"item__{name}"] for name in ASSET_FIELDS}
        ),
        "matched_target": row["matched_target_id"],
        "status": row["status"],
        "confidence": row["confidence"],
        "possible_reason": row["possible_reason"],
        "priority": row["priority"],
        "due_date": row["due_date"],
        "assignee": row["assignee_id"],
        "assignee_username": row["assignee__username"],
        "status_reason": row["status_reason"],
        "risk_accepted_until": row["risk_accepted_until"],
        "resolution_reason": row["resolution_reason"],
        "first_seen_at": out.date_time(row["first_seen_at"]),
        "last_matched_at": out.date_time(row["last_matched_at"]),
        "status_changed_at": out.date_time(row["status_changed_at"]),
        "resolved_at": out.date_time(row["resolved_at"]),
        "updated_at": out.date_time(row["updated_at"]),
    }


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "The matcher created the flag",
            value={
                "id": 88342,
                "kind": "created",
                "actor": None,
                "actor_username": None,
                "from_status": "",
                "to_status": "open",
                "note": "",
                "data": {},
                "created_at": "2026-11-18T07:02:41Z",
            },
            response_only=True,
        ),
        OpenApiExample(
            "An analyst accepted the risk",
            value={
                "id": 90214,
                "kind": "status_changed",
                "actor": 12,
                "actor_username": "j.becker",
                "from_status": "acknowledged",
                "to_status": "risk_accepted",
                "note": RISK_ACCEPTANCE_REASON,
                "data": {"risk_accepted_until": "2027-09-30"},
                "created_at": "2026-11-20T16:42:07Z",
            },
            response_only=True,
        ),
    ]
)
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


@extend_schema_serializer(examples=[RISK_ACCEPTANCE])
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


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Acknowledge three flags",
            value={
                "flags": [4711, 4712, 4713],
                "status": "acknowledged",
                "reason": "Part of the Kaspersky replacement project.",
            },
            request_only=True,
        )
    ]
)
class FlagBulkTransitionSerializer(FlagTransitionSerializer):
    flags = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=BULK_LIMIT,
        help_text="Ids of the flags to change; all change, or none does.",
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Three flags acknowledged",
            value={
                "count": 3,
                "results": [
                    flag_example(
                        pk,
                        item=item,
                        item_label=label,
                        assignee=None,
                        assignee_username=None,
                        status_reason="Part of the Kaspersky replacement project.",
                        status_changed_at="2026-11-19T09:31:55Z",
                        updated_at="2026-11-19T09:31:55Z",
                    )
                    for pk, item, label in [
                        (4711, 1288, "Kaspersky Endpoint Security 21.3"),
                        (4712, 1290, "Kaspersky Security Center 14.2"),
                        (4713, 1304, "Kaspersky Endpoint Security for Linux 11.4"),
                    ]
                ],
            },
            response_only=True,
        )
    ]
)
class FlagBulkResultSerializer(StrictSerializer):
    count = serializers.IntegerField(help_text="How many flags changed.")
    results = FlagSerializer(many=True)


@extend_schema_serializer(
    examples=[OpenApiExample("Assign to an analyst", value={"assignee": 12}, request_only=True)]
)
class FlagAssignSerializer(StrictSerializer):
    assignee = ScopedPrimaryKeyRelatedField(
        fellow_users,
        allow_null=True,
        help_text="A member of the flag's organization, or null to unassign.",
    )


@extend_schema_serializer(examples=[COMMENT])
class FlagCommentSerializer(StrictSerializer):
    note = serializers.CharField(max_length=5000)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Matching after an inventory upload",
            value={
                "id": 871,
                "kind": "organization",
                "status": "succeeded",
                "parent": None,
                "advisory_ids": [],
                "organization_ids": [3],
                "vendor_ids": [],
                "product_ids": [],
                "created_at": "2026-11-18T07:02:33.398145Z",
                "started_at": "2026-11-18T07:02:33.412019Z",
                "finished_at": "2026-11-18T07:02:41.236377Z",
                "duration_seconds": 7.824358,
                "items_considered": 420,
                "flags_created": 3,
                "flags_updated": 0,
                "flags_resolved": 1,
                "flags_reopened": 0,
                "error": "",
                "chunks_total": 0,
                "chunks_done": 0,
                "flags_so_far": 3,
            },
            response_only=True,
        ),
        OpenApiExample(
            "An advisory run half-way through its chunks",
            value={
                "id": 912,
                "kind": "advisory",
                "status": "running",
                "parent": None,
                "advisory_ids": [27],
                "organization_ids": [],
                "vendor_ids": [],
                "product_ids": [],
                "created_at": "2026-11-18T09:15:02.118301Z",
                "started_at": "2026-11-18T09:15:02.118301Z",
                "finished_at": None,
                "duration_seconds": None,
                "items_considered": 10000000,
                "flags_created": 0,
                "flags_updated": 0,
                "flags_resolved": 0,
                "flags_reopened": 0,
                "error": "",
                "chunks_total": 20,
                "chunks_done": 9,
                "flags_so_far": 931542,
            },
            response_only=True,
        ),
    ]
)
class MatchRunSerializer(StrictModelSerializer[MatchRun]):
    duration_seconds = serializers.SerializerMethodField()
    chunks_total = serializers.IntegerField(
        read_only=True, help_text="Chunks of the run (0: a run done in one piece)."
    )
    chunks_done = serializers.IntegerField(read_only=True, help_text="Chunks finished so far.")
    flags_so_far = serializers.IntegerField(
        read_only=True, help_text="Flags created or reopened by the finished chunks so far."
    )

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
            "chunks_total",
            "chunks_done",
            "flags_so_far",
        ]
        read_only_fields = fields

    def get_duration_seconds(self, run: MatchRun) -> float | None:
        """How long the run took, in seconds; none while it runs."""
        return run.duration.total_seconds() if run.duration is not None else None
