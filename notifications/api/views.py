"""Viewsets of the notifications API: channels (for the admins of their organization) and
the delivery log."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from api.pagination import KeysetPagination
from api.viewsets import TenantViewSetMixin
from notifications.api.serializers import (
    ISSUED_WEBHOOK,
    TEST_DELIVERY,
    ChannelSecretSerializer,
    ChannelSerializer,
    DeliverySerializer,
    IssuedChannelSerializer,
)
from notifications.filtersets import ChannelFilterSet, DeliveryFilterSet
from notifications.models import Channel, Delivery
from notifications.selectors import channels_visible_to, deliveries_visible_to
from notifications.services import (
    channel_create,
    channel_delete,
    channel_secret_rotate,
    channel_test,
    channel_update,
)
from orgs.choices import Role

# Set once at creation; the rest is what channel_update takes.
_CREATE_ONLY = ("organization", "kind")


@extend_schema_view(
    list=extend_schema(summary="List notification channels (admins)"),
    retrieve=extend_schema(summary="Get a notification channel"),
    create=extend_schema(
        summary="Add a notification channel",
        description="Email, a generic webhook (JSON, signed with HMAC-SHA256), Slack or "
        "Microsoft Teams. A webhook's response carries its signing `secret` once.",
        responses={201: IssuedChannelSerializer},
        examples=[
            OpenApiExample(
                "A signed webhook for high and critical vendor warnings",
                value={
                    "organization": 3,
                    "name": "SOAR intake",
                    "kind": "webhook",
                    "url": "https://soar.example.org/hooks/vendorwatch",
                    "min_severity": "high",
                    "advisory_kinds": ["vendor_warning", "prohibition"],
                    "events": ["new_flag", "advisory_withdrawn"],
                },
                request_only=True,
            ),
            ISSUED_WEBHOOK,
        ],
    ),
    update=extend_schema(summary="Replace a channel's settings"),
    partial_update=extend_schema(summary="Change a channel's settings"),
    destroy=extend_schema(summary="Delete a channel and its delivery log"),
)
@extend_schema(tags=["notifications"])
class ChannelViewSet(TenantViewSetMixin, viewsets.ModelViewSet[Channel]):
    queryset = Channel.objects.all()
    serializer_class = ChannelSerializer
    filterset_class = ChannelFilterSet
    ordering_fields = ["name", "created_at"]
    ordering = ["organization__name", "name", "id"]
    default_write_role = Role.ADMIN

    def get_queryset(self) -> QuerySet[Channel, Any]:
        return channels_visible_to(user=self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        channel, secret = channel_create(
            organization=data.pop("organization"),
            kind=data.pop("kind"),
            actor=request.user,
            request=request,
            **data,
        )
        issued = IssuedChannelSerializer(channel, context=self.get_serializer_context())
        return Response(issued.data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: BaseSerializer[Channel]) -> None:
        assert serializer.instance is not None
        data = {
            name: value
            for name, value in serializer.validated_data.items()
            if name not in _CREATE_ONLY
        }
        serializer.instance = channel_update(
            channel=serializer.instance, data=data, actor=self.request.user, request=self.request
        )

    def perform_destroy(self, instance: Channel) -> None:
        channel_delete(channel=instance, actor=self.request.user, request=self.request)

    @extend_schema(
        summary="Send the channel a test message",
        description="Queued at once, even for a disabled channel; the returned delivery "
        "shows how it went.",
        request=None,
        responses={202: DeliverySerializer},
        examples=[TEST_DELIVERY],
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def test(self, request: Request, pk: str | None = None) -> Response:
        delivery = channel_test(channel=self.get_object(), actor=request.user, request=request)
        delivery.refresh_from_db()
        body = DeliverySerializer(delivery, context=self.get_serializer_context())
        return Response(body.data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Give a webhook channel a new signing secret",
        description="The old secret stops working at once; the new one is shown this once.",
        request=None,
        responses={200: ChannelSecretSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret", filterset_class=None)
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        secret = channel_secret_rotate(
            channel=self.get_object(), actor=request.user, request=request
        )
        return Response(ChannelSecretSerializer({"secret": secret}).data)


@extend_schema_view(
    list=extend_schema(
        summary="List deliveries (admins)",
        description="The delivery log of the organizations you administer, newest first: "
        "status, attempts, the last error and response code. Cursor-paginated: follow `next`.",
    ),
    retrieve=extend_schema(summary="Get a delivery with its attempts"),
)
@extend_schema(tags=["notifications"])
class DeliveryViewSet(TenantViewSetMixin, viewsets.ReadOnlyModelViewSet[Delivery]):
    queryset = Delivery.objects.all()
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilterSet
    pagination_class = KeysetPagination
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[Delivery, Any]:
        return deliveries_visible_to(user=self.request.user).prefetch_related("attempt_log")
