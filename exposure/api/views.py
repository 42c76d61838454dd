"""Viewsets of the exposure API: flags, their history, and triage."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.pagination import KeysetPagination, PagePagination
from api.rows import Row, RowListMixin, row_format
from api.viewsets import BASE_PERMISSIONS, ID_PATTERN, TenantViewSetMixin
from exposure.api.serializers import (
    COMMENT,
    COMMENT_EVENT,
    FLAG_ROW_COLUMNS,
    RISK_ACCEPTANCE,
    RISK_ACCEPTED_FLAG,
    FlagAdvisorySerializer,
    FlagAssignSerializer,
    FlagBulkResultSerializer,
    FlagBulkTransitionSerializer,
    FlagCommentSerializer,
    FlagEventSerializer,
    FlagSerializer,
    FlagTransitionSerializer,
    MatchRunSerializer,
    flag_row,
)
from exposure.filtersets import FlagFilterSet, MatchRunFilterSet
from exposure.models import Flag, MatchRun
from exposure.triage import flag_assign, flag_comment, flag_transition, flags_bulk_transition
from orgs.choices import Role
from orgs.models import ASSET_FIELDS
from orgs.scoping import sees_all_organizations


@extend_schema_view(
    list=extend_schema(
        summary="List flags",
        description="Flags of the organizations you may see, most urgent first. "
        "Cursor-paginated: follow `next`.",
    ),
    retrieve=extend_schema(summary="Get a flag"),
)
@extend_schema(tags=["flags"])
class FlagViewSet(TenantViewSetMixin, RowListMixin, viewsets.ReadOnlyModelViewSet[Flag]):
    queryset = Flag.objects.all()
    serializer_class = FlagSerializer
    filterset_class = FlagFilterSet
    pagination_class = KeysetPagination
    ordering_fields = [
        "priority",
        "severity",
        "due_date",
        "first_seen_at",
        "status_changed_at",
        "last_matched_at",
        # The advisory's exploitation signals, as the flag shows them (``advisory.epss``).
        "advisory__epss",
        "advisory__known_exploited",
    ]
    # The severity's order of urgency, not its label's alphabet: -severity is Critical first.
    ordering_columns = {"severity": "advisory__severity_rank"}
    ordering = ["-priority", "due_date", "id"]
    default_write_role = Role.ANALYST
    row_columns = FLAG_ROW_COLUMNS

    def build_rows(self, rows: list[Row]) -> list[dict[str, Any]]:
        out = row_format(self.request, "api:flag-list")
        return [flag_row(row, out) for row in rows]

    def get_queryset(self) -> QuerySet[Flag, Any]:
        queryset: QuerySet[Flag, Any] = super().get_queryset()
        if self.action == "list":
            # The list reads the columns its rows show (build_rows); a related model to select
            # would only be copied by every clone of the queryset.
            return queryset
        queryset = queryset.select_related("advisory", "organization", "assignee", "item")
        if self.action == "retrieve":
            # Only what FlagSerializer shows of the advisory, organization and assignee: an
            # advisory's texts and imported source document can be large.
            queryset = queryset.only(
                *(field.name for field in Flag._meta.concrete_fields),
                *(f"advisory__{name}" for name in FlagAdvisorySerializer.Meta.fields),
                "organization__name",
                "assignee__username",
                *(f"item__{name}" for name in ASSET_FIELDS),
            )
        return queryset

    @extend_schema(
        summary="Change a flag's status",
        request=FlagTransitionSerializer,
        responses=FlagSerializer,
        examples=[RISK_ACCEPTANCE, RISK_ACCEPTED_FLAG],
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def transition(self, request: Request, pk: str | None = None) -> Response:
        flag = self.get_object()
        body = FlagTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        flag = flag_transition(flag=flag, user=request.user, request=request, **body.validated_data)
        return Response(FlagSerializer(flag, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Change the status of many flags at once",
        description="All the flags change, or none does: one that cannot make the move, or "
        "that you cannot see, refuses the whole request and is named in the error.",
        request=FlagBulkTransitionSerializer,
        responses=FlagBulkResultSerializer,
    )
    @action(detail=False, methods=["post"], url_path="bulk-transition", filterset_class=None)
    def bulk_transition(self, request: Request) -> Response:
        body = FlagBulkTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        flags = flags_bulk_transition(
            flag_ids=data.pop("flags"), user=request.user, request=request, **data
        )
        context = self.get_serializer_context()
        return Response(
            {"count": len(flags), "results": FlagSerializer(flags, many=True, context=context).data}
        )

    @extend_schema(
        summary="Assign a flag",
        request=FlagAssignSerializer,
        responses=FlagSerializer,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def assign(self, request: Request, pk: str | None = None) -> Response:
        flag = self.get_object()
        body = FlagAssignSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        flag = flag_assign(
            flag=flag, assignee=body.validated_data["assignee"], user=request.user, request=request
        )
        return Response(FlagSerializer(flag, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Comment on a flag",
        request=FlagCommentSerializer,
        responses={201: FlagEventSerializer},
        examples=[COMMENT, COMMENT_EVENT],
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def comment(self, request: Request, pk: str | None = None) -> Response:
        flag = self.get_object()
        body = FlagCommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        event = flag_comment(
            flag=flag, note=body.validated_data["note"], user=request.user, request=request
        )
        return Response(FlagEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="List a flag's history",
        description="Every change, oldest first: who made it (none: the matcher), from which "
        "status to which, and why.",
        responses=FlagEventSerializer(many=True),
    )
    @action(
        detail=True,
        methods=["get"],
        pagination_class=PagePagination,
        filterset_class=None,
        ordering_fields=[],
    )
    def events(self, request: Request, pk: str | None = None) -> Response:
        flag = self.get_object()
        page = self.paginate_queryset(
            flag.events.select_related("actor").order_by("created_at", "pk")
        )
        return self.get_paginated_response(FlagEventSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="List matching runs",
        description="What the matcher did, newest first: scope, duration, flags created, "
        "updated, resolved and reopened, and the error of a failed run. Runs span every "
        "organization, so only platform readers (superusers, global analysts, advisory "
        "editors) see them; for anyone else the list is empty.",
    ),
    retrieve=extend_schema(summary="Get a matching run"),
)
@extend_schema(tags=["matching"])
class MatchRunViewSet(viewsets.ReadOnlyModelViewSet[MatchRun]):
    permission_classes = BASE_PERMISSIONS
    lookup_value_regex = ID_PATTERN
    serializer_class = MatchRunSerializer
    filterset_class = MatchRunFilterSet
    ordering_fields = ["created_at", "duration"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[MatchRun, Any]:
        if not sees_all_organizations(self.request.user):
            return MatchRun.objects.none()
        return MatchRun.objects.with_progress()
