"""Viewsets of the advisory API: sources and advisories with their targets and revisions."""

import dataclasses
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from advisories.api.serializers import (
    ADVISORY_EXAMPLE,
    ADVISORY_ROW_COLUMNS,
    CVE_ADVISORY,
    PAN_OS_RANGES,
    VENDOR_WARNING,
    WITHDRAW_EXAMPLE,
    AdvisoryDetailSerializer,
    AdvisoryImpactSerializer,
    AdvisoryPublishSerializer,
    AdvisoryRevisionSerializer,
    AdvisorySerializer,
    AdvisoryWithdrawSerializer,
    FeedRunSerializer,
    ImpactQuerySerializer,
    SourceSerializer,
    advisory_rows,
    advisory_write_arguments,
    target_example,
)
from advisories.choices import AdvisoryStatus
from advisories.filtersets import AdvisoryFilterSet, FeedRunFilterSet, SourceFilterSet
from advisories.models import Advisory, AffectedTarget, FeedRun, Source
from advisories.selectors import advisories_visible_to
from advisories.services import (
    AdvisoryStateError,
    advisory_create,
    advisory_publish,
    advisory_update,
    advisory_withdraw,
)
from api.exceptions import Conflict
from api.pagination import KeysetPagination, PagePagination
from api.rows import Row, RowListMixin, row_format
from api.viewsets import BASE_PERMISSIONS, ID_PATTERN, CatalogueViewSetMixin
from audit.services import audit_record, audit_snapshot
from exposure.selectors import advisory_flag_counts, advisory_impact
from orgs.scoping import sees_all_organizations

# Creating ADVISORY_EXAMPLE answers the same advisory as a draft.
CREATED_EXAMPLE = OpenApiExample(
    "A vendor warning",
    value={
        **VENDOR_WARNING,
        "status": "draft",
        "published_at": None,
        "updated_at": VENDOR_WARNING["created_at"],
    },
    response_only=True,
)
# An edit gives the whole list of targets: here the range stays and an exclusion is added for
# the hotfixes Palo Alto Networks released later for older maintenance releases.
HOTFIXES = "vers:generic/10.2.7-h8|10.2.8-h3|11.0.3-h10|11.1.1-h1"
HOTFIXES_NOTE = "Hotfixes released later for older maintenance releases."
EDIT_EXAMPLE = OpenApiExample(
    "Exclude later hotfixes",
    value={
        "targets": [
            {"kind": "product_range", "product": 57, "version_range": PAN_OS_RANGES},
            {
                "kind": "product_range",
                "is_exclusion": True,
                "product": 57,
                "version_range": HOTFIXES,
                "note": HOTFIXES_NOTE,
            },
        ]
    },
    request_only=True,
)
EDITED_EXAMPLE = OpenApiExample(
    "Exclude later hotfixes",
    value={
        **CVE_ADVISORY,
        "targets": [
            target_example(467, "product_range", product=57, version_range=PAN_OS_RANGES),
            target_example(
                468,
                "product_range",
                is_exclusion=True,
                product=57,
                version_range=HOTFIXES,
                note=HOTFIXES_NOTE,
            ),
        ],
        "updated_at": "2026-03-09T08:57:14Z",
    },
    response_only=True,
)
# The duplicate WITHDRAW_EXAMPLE speaks of: the same warning under the BSI's dated identifier.
WITHDRAWN_EXAMPLE = OpenApiExample(
    "A duplicate",
    value={
        **VENDOR_WARNING,
        "id": 121,
        "url": "https://vendorwatch.example.org/api/v1/advisories/121/",
        "identifier": "BSI-WARNING-2022-03-15-KASPERSKY",
        "status": "withdrawn",
        "published_at": "2026-03-02T11:26:40Z",
        "withdrawn_at": "2026-03-02T11:48:02Z",
        "withdrawn_reason": WITHDRAW_EXAMPLE.value["reason"],
        "targets": [{**VENDOR_WARNING["targets"][0], "id": 409}],
        "created_at": "2026-03-02T11:19:53Z",
        "updated_at": "2026-03-02T11:48:02Z",
    },
    response_only=True,
)
CONFLICT = OpenApiResponse(description="The advisory is not in a status that allows this.")


@extend_schema_view(
    list=extend_schema(summary="List sources", description="Who publishes advisories."),
    retrieve=extend_schema(summary="Get a source"),
    create=extend_schema(summary="Add a source"),
    update=extend_schema(summary="Replace a source"),
    partial_update=extend_schema(summary="Change a source"),
    destroy=extend_schema(
        summary="Delete a source that has no advisories",
        responses={
            204: None,
            409: OpenApiResponse(description="The source has advisories and must stay."),
        },
    ),
)
@extend_schema(tags=["advisories"])
class SourceViewSet(CatalogueViewSetMixin, viewsets.ModelViewSet[Source]):
    queryset = Source.objects.all()
    serializer_class = SourceSerializer
    filterset_class = SourceFilterSet
    ordering_fields = ["name", "kind", "created_at"]
    ordering = ["name"]

    def perform_create(self, serializer: BaseSerializer[Source]) -> None:
        source = serializer.save()
        audit_record(
            action="source.create",
            actor=self.request.user,
            obj=source,
            after=audit_snapshot(source),
            request=self.request,
        )

    def perform_update(self, serializer: BaseSerializer[Source]) -> None:
        assert serializer.instance is not None
        before = audit_snapshot(serializer.instance)
        source = serializer.save()
        audit_record(
            action="source.update",
            actor=self.request.user,
            obj=source,
            before=before,
            after=audit_snapshot(source),
            request=self.request,
        )

    def perform_destroy(self, instance: Source) -> None:
        if instance.advisories.exists():
            raise Conflict("This source has advisories; it cannot be deleted.")
        before = audit_snapshot(instance)
        audit_record(
            action="source.delete",
            actor=self.request.user,
            obj=instance,
            before=before,
            request=self.request,
        )
        instance.delete()


@extend_schema_view(
    list=extend_schema(
        summary="List advisories",
        description="Published and withdrawn advisories; drafts too for advisory editors. "
        "Cursor-paginated: follow `next`.",
    ),
    retrieve=extend_schema(
        summary="Get an advisory with its targets, CVE ids, references and flag counts",
        description="`flag_counts` counts the advisory's flags in the organizations you may "
        "see, as the matcher has raised and people have triaged them (list them with "
        "`/api/v1/flags/?advisory=`). To preview what a draft would flag, use `impact`.",
        responses=AdvisoryDetailSerializer,
    ),
    partial_update=extend_schema(
        summary="Edit an advisory",
        description="Fields and, when `targets` is given, the whole list of targets (replaced). "
        "A published advisory gets a revision saying what changed and is re-matched: new "
        "matches are flagged, flags that no longer match are resolved.",
        examples=[EDIT_EXAMPLE, EDITED_EXAMPLE],
    ),
    create=extend_schema(
        summary="Create a draft advisory",
        description="Targets, CVE ids and references are given nested; version ranges are "
        "compiled, and a range that cannot be parsed marks its target `needs_review`.",
        examples=[ADVISORY_EXAMPLE, CREATED_EXAMPLE],
    ),
)
@extend_schema(tags=["advisories"])
class AdvisoryViewSet(CatalogueViewSetMixin, RowListMixin, viewsets.ModelViewSet[Advisory]):
    queryset = Advisory.objects.all()
    serializer_class = AdvisorySerializer
    filterset_class = AdvisoryFilterSet
    pagination_class = KeysetPagination
    ordering_fields = [
        "severity_rank",
        "issued_on",
        "published_at",
        "action_deadline",
        "created_at",
        "updated_at",
        "identifier",
    ]
    ordering = ["-issued_on", "-published_at", "-id"]
    # PATCH only: an edit changes fields and targets; CVE ids and references are set once.
    http_method_names = ["get", "post", "patch", "head", "options"]
    row_columns = ADVISORY_ROW_COLUMNS
    # The detail is its list row, with the flag counts.
    row_actions = frozenset({"list", "retrieve"})

    def build_rows(self, rows: list[Row]) -> list[dict[str, Any]]:
        return advisory_rows(rows, row_format(self.request, "api:advisory-list"))

    def get_queryset(self) -> QuerySet[Advisory, Any]:
        advisories = advisories_visible_to(
            user=self.request.user, advisories=super().get_queryset()
        )
        if self.action in ("list", "retrieve", "impact"):
            # The list and the detail read the columns their rows show (row_actions); the
            # impact is computed in SQL from the advisory's id.
            return advisories
        # The imported source document (a CSAF file can be hundreds of kilobytes) is not part
        # of the representation; loading it would parse it on every request.
        return (
            advisories.defer("raw_document")
            .select_related("source")
            .prefetch_related(
                "cves",
                "references",
                Prefetch("targets", queryset=AffectedTarget.objects.order_by("is_exclusion", "pk")),
            )
        )

    def get_serializer_class(self) -> type[BaseSerializer[Advisory]]:
        if self.action == "retrieve":
            return AdvisoryDetailSerializer
        return AdvisorySerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The advisory as its list row shows it (one builder for both, held to
        AdvisorySerializer by tests/api/test_rows.py), with the counts of its flags among the
        organizations the reader sees. Reading an advisory needs no object permission beyond
        seeing it, which the queryset decides (drafts: editors only)."""
        rows = self.filter_queryset(self.get_queryset())
        row = get_object_or_404(rows, pk=kwargs[self.lookup_url_kwarg or self.lookup_field])
        body = self.build_rows([row])[0]
        counts = advisory_flag_counts(
            advisory_id=row["id"], user=request.user, today=timezone.localdate()
        )
        body["flag_counts"] = dataclasses.asdict(counts)
        return Response(body)

    def perform_create(self, serializer: BaseSerializer[Advisory]) -> None:
        arguments = advisory_write_arguments(dict(serializer.validated_data))
        serializer.instance = advisory_create(
            user=self.request.user, request=self.request, **arguments
        )

    def perform_update(self, serializer: BaseSerializer[Advisory]) -> None:
        assert serializer.instance is not None
        data = advisory_write_arguments(dict(serializer.validated_data))
        targets = data.pop("targets", None)
        serializer.instance = advisory_update(
            advisory=serializer.instance,
            data=data,
            targets=targets,
            user=self.request.user,
            request=self.request,
        )

    @extend_schema(
        summary="Preview or count what an advisory flags",
        description="For each organization you may see: how many items the advisory flags (a "
        "draft: would flag), how many of those only possibly (no usable version), and a few of "
        "them. Computed by the matcher in dry-run mode; nothing is written.",
        parameters=[ImpactQuerySerializer],
        responses=AdvisoryImpactSerializer,
        filters=False,
    )
    @action(detail=True, methods=["get"], filterset_class=None, ordering_fields=[])
    def impact(self, request: Request, pk: str | None = None) -> Response:
        advisory = self.get_object()
        query = ImpactQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        impact = advisory_impact(
            advisory=advisory,
            user=request.user,
            samples=query.validated_data["samples"],
        )
        return Response(AdvisoryImpactSerializer(impact).data)

    @extend_schema(
        summary="Publish a draft",
        description="From now on it flags the inventories it matches; matching runs in the "
        "background within seconds.",
        request=AdvisoryPublishSerializer,
        responses={200: AdvisorySerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        advisory = self.get_object()
        body = AdvisoryPublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if (
            advisory.status == AdvisoryStatus.DRAFT
            and not body.validated_data["matches_nothing"]
            and not advisory.targets.exists()
        ):
            raise ValidationError(
                {
                    "matches_nothing": [
                        "It has no targets: add one, or send true to publish it as "
                        "informational, matching nothing."
                    ]
                }
            )
        try:
            advisory = advisory_publish(advisory=advisory, user=request.user, request=request)
        except AdvisoryStateError as error:
            raise Conflict(str(error)) from None
        return Response(self.get_serializer(self.get_queryset().get(pk=advisory.pk)).data)

    @extend_schema(
        summary="Withdraw a published advisory",
        description="Its flags are resolved by the matcher.",
        request=AdvisoryWithdrawSerializer,
        responses={200: AdvisorySerializer, 409: CONFLICT},
        examples=[WITHDRAW_EXAMPLE, WITHDRAWN_EXAMPLE],
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        advisory = self.get_object()
        body = AdvisoryWithdrawSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            advisory = advisory_withdraw(
                advisory=advisory,
                reason=body.validated_data["reason"],
                user=request.user,
                request=request,
            )
        except AdvisoryStateError as error:
            raise Conflict(str(error)) from None
        return Response(self.get_serializer(self.get_queryset().get(pk=advisory.pk)).data)

    @extend_schema(
        summary="List an advisory's revisions",
        description="What changed, newest first, each with a snapshot of the advisory.",
        responses=AdvisoryRevisionSerializer(many=True),
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        pagination_class=PagePagination,
        filterset_class=None,
        ordering_fields=[],
    )
    def revisions(self, request: Request, pk: str | None = None) -> Response:
        advisory = self.get_object()
        assert self.paginator is not None
        page = self.paginator.paginate_queryset(
            advisory.revisions.order_by("-number"), request, view=self
        )
        serializer = AdvisoryRevisionSerializer(page, many=True)
        return self.get_paginated_response(serializer.data)


@extend_schema_view(
    list=extend_schema(
        summary="List feed runs",
        description="What each run of a source's feed did, newest first: the documents it "
        "lists, how far it has got while it runs, what it imported, updated or left "
        "unchanged, and every refused document with its reason. Feeds serve every "
        "organization, so only platform readers (superusers, global analysts, advisory "
        "editors) see them; for anyone else the list is empty.",
    ),
    retrieve=extend_schema(summary="Get a feed run"),
)
@extend_schema(tags=["advisories"])
class FeedRunViewSet(viewsets.ReadOnlyModelViewSet[FeedRun]):
    permission_classes = BASE_PERMISSIONS
    lookup_value_regex = ID_PATTERN
    serializer_class = FeedRunSerializer
    filterset_class = FeedRunFilterSet
    ordering_fields = ["started_at"]
    ordering = ["-started_at", "-id"]

    def get_queryset(self) -> QuerySet[FeedRun, Any]:
        if not sees_all_organizations(self.request.user):
            return FeedRun.objects.none()
        return FeedRun.objects.all()
