"""Viewsets of the organization API: organizations, memberships, inventory items, tokens."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from api.pagination import KeysetPagination
from api.permissions import RecentlyConfirmedSession
from api.rows import Row, RowListMixin, row_format
from api.viewsets import BASE_PERMISSIONS, ID_PATTERN, TenantViewSetMixin
from orgs.administration import (
    membership_create,
    membership_delete,
    membership_update,
    organization_create,
    organization_delete,
    organization_update,
)
from orgs.api.serializers import (
    INVENTORY_ITEM_ROW_COLUMNS,
    ApiTokenSerializer,
    InventoryItemSerializer,
    IssuedApiTokenSerializer,
    MembershipSerializer,
    OrganizationSerializer,
    inventory_item_row,
)
from orgs.choices import ItemSource, Role
from orgs.filtersets import (
    ApiTokenFilterSet,
    InventoryItemFilterSet,
    MembershipFilterSet,
    OrganizationFilterSet,
)
from orgs.models import ApiToken, InventoryItem, Membership, Organization, User
from orgs.services import inventory_item_create, inventory_item_delete, inventory_item_update
from orgs.tokens import token_create, token_revoke, tokens_visible_to


def _changed(instance: Any, validated: dict[str, Any]) -> dict[str, Any]:
    """The validated values that differ from the instance's, so that a PUT repeating an
    unchanged field does not count as changing it."""
    return {name: value for name, value in validated.items() if getattr(instance, name) != value}


@extend_schema_view(
    list=extend_schema(summary="List the organizations you may see"),
    retrieve=extend_schema(summary="Get an organization"),
    create=extend_schema(summary="Create an organization (superusers)"),
    update=extend_schema(
        summary="Replace an organization's settings (admins)",
        description="Admins change the sector, tier, SLAs and description; renaming is for "
        "superusers.",
    ),
    partial_update=extend_schema(summary="Change an organization's settings (admins)"),
    destroy=extend_schema(summary="Delete an organization with its inventory and flags (owners)"),
)
@extend_schema(tags=["organizations"])
class OrganizationViewSet(TenantViewSetMixin, viewsets.ModelViewSet[Organization]):
    queryset = Organization.objects.all()
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilterSet
    ordering_fields = ["name", "sector", "criticality_tier", "created_at"]
    ordering = ["name"]
    required_roles = {"update": Role.ADMIN, "partial_update": Role.ADMIN, "destroy": Role.OWNER}

    def organization_of(self, obj: Any) -> Organization:
        organization: Organization = obj
        return organization

    def perform_create(self, serializer: BaseSerializer[Organization]) -> None:
        serializer.instance = organization_create(
            actor=self.request.user, request=self.request, **serializer.validated_data
        )

    def perform_update(self, serializer: BaseSerializer[Organization]) -> None:
        assert serializer.instance is not None
        serializer.instance = organization_update(
            organization=serializer.instance,
            actor=self.request.user,
            request=self.request,
            **_changed(serializer.instance, dict(serializer.validated_data)),
        )

    def perform_destroy(self, instance: Organization) -> None:
        organization_delete(organization=instance, actor=self.request.user, request=self.request)


@extend_schema_view(
    list=extend_schema(summary="List memberships"),
    retrieve=extend_schema(summary="Get a membership"),
    create=extend_schema(
        summary="Add a member (admins)",
        description="Only an owner may add an owner. The user must already belong to one of "
        "the organizations you can see.",
    ),
    update=extend_schema(summary="Change a member's role (admins)"),
    partial_update=extend_schema(
        summary="Change a member's role (admins)",
        description="Only an owner may make or unmake an owner; the last owner stays one.",
    ),
    destroy=extend_schema(summary="Remove a member (admins; owners only by owners)"),
)
@extend_schema(tags=["organizations"])
class MembershipViewSet(TenantViewSetMixin, viewsets.ModelViewSet[Membership]):
    queryset = Membership.objects.select_related("user", "organization")
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilterSet
    ordering_fields = ["role", "created_at"]
    ordering = ["organization__name", "user__username"]
    default_write_role = Role.ADMIN
    permission_classes = (*TenantViewSetMixin.permission_classes, RecentlyConfirmedSession)
    sensitive_actions = ("create", "update", "partial_update", "destroy")

    def perform_create(self, serializer: BaseSerializer[Membership]) -> None:
        data = serializer.validated_data
        serializer.instance = membership_create(
            organization=data["organization"],
            user=data["user"],
            role=data.get("role", Role.VIEWER),
            actor=self.request.user,
            request=self.request,
        )

    def perform_update(self, serializer: BaseSerializer[Membership]) -> None:
        assert serializer.instance is not None
        role = serializer.validated_data.get("role", serializer.instance.role)
        serializer.instance = membership_update(
            membership=serializer.instance, role=role, actor=self.request.user, request=self.request
        )

    def perform_destroy(self, instance: Membership) -> None:
        membership_delete(membership=instance, actor=self.request.user, request=self.request)


@extend_schema_view(
    list=extend_schema(
        summary="List inventory items",
        description="Items of the organizations you may see. Cursor-paginated: follow `next`.",
    ),
    retrieve=extend_schema(summary="Get an inventory item"),
    create=extend_schema(
        summary="Add an inventory item (analysts)",
        description="The item resolves to a catalogue product by its names, CPE or purl "
        "(unresolved ones are kept) and is matched against every published advisory within "
        "seconds.",
    ),
    update=extend_schema(summary="Replace an inventory item (analysts)"),
    partial_update=extend_schema(
        summary="Change an inventory item (analysts)",
        description="A change of names, CPE, purl, product, version or criticality re-matches "
        "the item. The organization is fixed.",
    ),
    destroy=extend_schema(
        summary="Remove an inventory item (analysts)",
        description="Its flags are resolved as 'item removed' by the matcher.",
    ),
)
@extend_schema(tags=["inventory"])
class InventoryItemViewSet(TenantViewSetMixin, RowListMixin, viewsets.ModelViewSet[InventoryItem]):
    queryset = InventoryItem.objects.all()
    serializer_class = InventoryItemSerializer
    filterset_class = InventoryItemFilterSet
    pagination_class = KeysetPagination
    ordering_fields = ["raw_vendor", "raw_product", "version", "created_at", "updated_at"]
    ordering = ["raw_vendor", "raw_product", "version", "id"]
    default_write_role = Role.ANALYST
    row_columns = INVENTORY_ITEM_ROW_COLUMNS

    def build_rows(self, rows: list[Row]) -> list[dict[str, Any]]:
        out = row_format(self.request, "api:inventoryitem-list")
        return [inventory_item_row(row, out) for row in rows]

    def get_queryset(self) -> QuerySet[InventoryItem, Any]:
        queryset: QuerySet[InventoryItem, Any] = super().get_queryset()
        if self.action == "list":
            # The list reads the columns its rows show (build_rows).
            return queryset
        return queryset.select_related("organization", "product__vendor")

    def perform_create(self, serializer: BaseSerializer[InventoryItem]) -> None:
        data = dict(serializer.validated_data)
        organization = data.pop("organization")
        self.require_role(organization, Role.ANALYST)
        serializer.instance = inventory_item_create(
            organization=organization,
            data={**data, "source": ItemSource.API},
            user=self.request.user,
            request=self.request,
        )

    def perform_update(self, serializer: BaseSerializer[InventoryItem]) -> None:
        assert serializer.instance is not None
        serializer.instance = inventory_item_update(
            item=serializer.instance,
            data=serializer.validated_data,
            user=self.request.user,
            request=self.request,
        )

    def perform_destroy(self, instance: InventoryItem) -> None:
        inventory_item_delete(item=instance, user=self.request.user, request=self.request)


@extend_schema_view(
    list=extend_schema(
        summary="List API tokens",
        description="Your tokens and the organization tokens of organizations you administer. "
        "The secret is never shown again after a token is issued.",
    ),
    retrieve=extend_schema(summary="Get an API token (without its secret)"),
    create=extend_schema(
        summary="Issue an API token",
        description="The response carries the full token once; only its hash is stored. "
        "Tokens are issued from a signed-in session, never by another token. An organization "
        "token needs you to administer that organization.",
        responses={201: IssuedApiTokenSerializer},
    ),
    destroy=extend_schema(
        summary="Revoke an API token",
        description="It stops working at once and stays listed as revoked.",
    ),
)
@extend_schema(tags=["tokens"])
class ApiTokenViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[ApiToken],
):
    permission_classes = (*BASE_PERMISSIONS, RecentlyConfirmedSession)
    sensitive_actions = ("create",)
    lookup_value_regex = ID_PATTERN
    serializer_class = ApiTokenSerializer
    filterset_class = ApiTokenFilterSet
    ordering_fields = ["name", "created_at", "expires_at", "last_used_at"]
    ordering = ["-created_at"]

    def get_queryset(self) -> QuerySet[ApiToken, Any]:
        return tokens_visible_to(user=self.request.user).select_related("organization", "user")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assert isinstance(request.user, User)
        token, text = token_create(user=request.user, request=request, **serializer.validated_data)
        token.token = text  # type: ignore[attr-defined]
        issued = IssuedApiTokenSerializer(token, context=self.get_serializer_context())
        return Response(issued.data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: ApiToken) -> None:
        token_revoke(token=instance, user=self.request.user, request=self.request)
