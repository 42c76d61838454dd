"""Viewsets of the campaigns API, under the one tenant rule: an organization sees only its own
plan, attestations and evidence; analysts see the organizations they are granted; anything
else answers 404 like a missing object. Writes go through the same services as the pages."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.pagination import PagePagination
from api.viewsets import BASE_PERMISSIONS, ID_PATTERN, TenantViewSetMixin
from campaigns.api.serializers import (
    AttestationCreateSerializer,
    AttestationReviewSerializer,
    AttestationSerializer,
    CampaignDetailSerializer,
    CampaignSerializer,
    EvidenceSerializer,
    PlanSerializer,
    ProgressRowSerializer,
    progress_rows,
    progress_totals,
)
from campaigns.attestations import attestation_review, attestation_submit
from campaigns.filtersets import (
    AttestationFilterSet,
    CampaignFilterSet,
    EvidenceFilterSet,
    PlanFilterSet,
)
from campaigns.models import Attestation, Campaign, Evidence, Plan, evidence_storage
from campaigns.selectors import campaign_dashboard, campaigns_visible
from campaigns.services import plan_update
from orgs.choices import Role
from orgs.models import Organization


@extend_schema_view(
    list=extend_schema(
        summary="List replacement campaigns",
        description="Campaigns in which an organization you see takes part.",
    ),
    retrieve=extend_schema(
        summary="Get a campaign with its milestones and totals",
        description="`progress` adds up the affected items and late organizations over the "
        "organizations you see; each organization's line is in `progress/`.",
        responses=CampaignDetailSerializer,
    ),
)
@extend_schema(tags=["campaigns"])
class CampaignViewSet(viewsets.ReadOnlyModelViewSet[Campaign]):
    queryset = Campaign.objects.all()  # narrowed by get_queryset
    permission_classes = BASE_PERMISSIONS
    lookup_value_regex = ID_PATTERN
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilterSet
    ordering_fields = ["opened_at"]
    ordering = ["-opened_at", "-id"]

    def get_queryset(self) -> QuerySet[Campaign, Any]:
        return campaigns_visible(user=self.request.user).prefetch_related(
            "milestones", "replacement_products"
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        campaign = self.get_object()
        body = CampaignDetailSerializer(campaign, context=self.get_serializer_context()).data
        body["progress"] = progress_totals(campaign_dashboard(campaign=campaign, user=request.user))
        return Response(body)

    @extend_schema(
        summary="A campaign's progress per organization",
        description="Affected items at start, remaining and replaced, and each milestone's "
        "state, for the organizations you see; late ones first (the longest overdue first), "
        "a page at a time. The totals are in the campaign's detail.",
        responses=ProgressRowSerializer(many=True),
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        pagination_class=PagePagination,
        filterset_class=None,
        ordering_fields=[],
    )
    def progress(self, request: Request, pk: str | None = None) -> Response:
        dashboard = campaign_dashboard(campaign=self.get_object(), user=request.user)
        page = self.paginate_queryset(dashboard.rows)
        assert page is not None
        return self.get_paginated_response(progress_rows(page))


@extend_schema_view(
    list=extend_schema(summary="List campaign plans"),
    retrieve=extend_schema(summary="Get a campaign plan"),
    partial_update=extend_schema(summary="Change your organization's plan (admins)"),
)
@extend_schema(tags=["campaigns"])
class PlanViewSet(
    TenantViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Plan],
):
    queryset = Plan.objects.select_related("organization")
    serializer_class = PlanSerializer
    filterset_class = PlanFilterSet
    http_method_names = ["get", "patch", "head", "options"]
    ordering_fields = ["joined_at"]
    ordering = ["campaign_id", "organization__name", "id"]
    default_write_role = Role.ADMIN

    def perform_update(self, serializer: Any) -> None:
        data = {name: value for name, value in serializer.validated_data.items()}
        serializer.instance = plan_update(
            plan=serializer.instance, user=self.request.user, data=data, request=self.request
        )


@extend_schema_view(
    list=extend_schema(summary="List attestations"),
    retrieve=extend_schema(summary="Get an attestation and its evidence"),
    create=extend_schema(
        summary="Attest a milestone (admins)",
        description="A statement and optional evidence files, each `{name, content_base64}`. "
        "Nothing is stored unless every file is acceptable: its type (by name and content), "
        "its size, and a name without path characters.",
        request=AttestationCreateSerializer,
        responses={201: AttestationSerializer},
    ),
)
@extend_schema(tags=["campaigns"])
class AttestationViewSet(
    TenantViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Attestation],
):
    queryset = Attestation.objects.select_related(
        "plan", "milestone", "submitted_by", "reviewed_by"
    ).prefetch_related("evidence")
    serializer_class = AttestationSerializer
    filterset_class = AttestationFilterSet
    ordering_fields = ["submitted_at"]
    ordering = ["-submitted_at", "-id"]
    default_write_role = Role.ADMIN
    required_roles = {"review": Role.ANALYST}

    def organization_of(self, obj: Model) -> Organization:
        return obj.plan.organization  # type: ignore[attr-defined,no-any-return]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = AttestationCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        plan = body.validated_data["plan"]
        milestone = plan.campaign.milestones.filter(key=body.validated_data["milestone"]).first()
        if milestone is None:
            return Response({"milestone": ["Not a milestone of this campaign."]}, status=400)
        attestation = attestation_submit(
            plan=plan,
            milestone=milestone,
            user=request.user,
            statement=body.validated_data["statement"],
            files=body.evidence_files(),
            request=request,
        )
        return Response(
            AttestationSerializer(attestation, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Accept an attestation or return it with a reason (analysts)",
        request=AttestationReviewSerializer,
        responses=AttestationSerializer,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def review(self, request: Request, pk: str | None = None) -> Response:
        attestation = self.get_object()
        body = AttestationReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        attestation = attestation_review(
            attestation=attestation,
            user=request.user,
            accept=body.validated_data["decision"] == "accept",
            reason=body.validated_data["reason"],
            request=request,
        )
        attestation = self.get_queryset().get(pk=attestation.pk)
        return Response(AttestationSerializer(attestation, context={"request": request}).data)


@extend_schema_view(
    list=extend_schema(summary="List evidence files"),
    retrieve=extend_schema(summary="Get an evidence file's description"),
)
@extend_schema(tags=["campaigns"])
class EvidenceViewSet(TenantViewSetMixin, viewsets.ReadOnlyModelViewSet[Evidence]):
    queryset = Evidence.objects.all()
    serializer_class = EvidenceSerializer
    filterset_class = EvidenceFilterSet
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    def organization_of(self, obj: Model) -> Organization:
        return obj.attestation.plan.organization  # type: ignore[attr-defined,no-any-return]

    @extend_schema(
        summary="Download an evidence file",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The file, as an attachment, with the type it was stored with.",
                examples=[OpenApiExample("A PDF's first bytes", value="%PDF-1.7 …")],
            )
        },
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        evidence = self.get_object()
        return FileResponse(
            evidence_storage().open(evidence.stored_as, "rb"),
            as_attachment=True,
            filename=evidence.name,
            content_type=evidence.content_type,
        )
