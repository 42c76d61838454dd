"""Serializers of the organization API: organizations, members, inventory, tokens."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from api.rows import Row, RowFormat
from api.schema import object_examples
from api.serializers import (
    CountryCodeField,
    CreateOnlyFieldsMixin,
    ScopedPrimaryKeyRelatedField,
    StrictModelSerializer,
)
from orgs.choices import Role
from orgs.models import ASSET_FIELDS, ApiToken, InventoryItem, Membership, Organization, User
from orgs.scoping import Actor
from orgs.tokens import token_status
from vendors.models import Product


def _visible_organizations(user: Actor) -> QuerySet[Organization, Any]:
    return Organization.objects.visible_to(user)


def _administered_organizations(user: Actor) -> QuerySet[Organization, Any]:
    return Organization.objects.with_role(user, Role.ADMIN)


def fellow_users(user: Actor) -> QuerySet[User, Any]:
    """Users who belong to an organization ``user`` may see: the people a membership may name.

    Other users stay unknown, so that an organization's admin cannot probe who else exists.
    """
    if user.is_authenticated and user.is_superuser and getattr(user, "api_token", None) is None:
        return User.objects.all()
    members = Membership.objects.visible_to(user).values("user_id")
    return User.objects.filter(pk__in=members)


@extend_schema_serializer(
    examples=object_examples(
        "A municipal utility",
        {
            "id": 3,
            "url": "https://vendorwatch.example.org/api/v1/organizations/3/",
            "name": "Stadtwerke Nordhafen",
            "slug": "stadtwerke-nordhafen",
            "sector": "energy",
            "country": "DE",
            "criticality_tier": "critical_infrastructure",
            "sla_critical_days": 3,
            "sla_high_days": 14,
            "sla_medium_days": 60,
            "sla_low_days": 180,
            "description": "Power, district heating and the city's distribution grid.",
            "created_at": "2026-03-02T09:15:00Z",
            "updated_at": "2026-11-20T16:42:07Z",
        },
        derived=("id", "url", "created_at", "updated_at"),
    )
)
class OrganizationSerializer(StrictModelSerializer[Organization]):
    url = serializers.HyperlinkedIdentityField(view_name="api:organization-detail")

    country = CountryCodeField()

    class Meta:
        model = Organization
        fields = [
            "id",
            "url",
            "name",
            "slug",
            "sector",
            "country",
            "criticality_tier",
            "sla_critical_days",
            "sla_high_days",
            "sla_medium_days",
            "sla_low_days",
            "description",
            "created_at",
            "updated_at",
        ]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "An analyst",
            value={
                "id": 41,
                "organization": 3,
                "organization_name": "Stadtwerke Nordhafen",
                "user": 12,
                "username": "j.becker",
                "user_name": "Jana Becker",
                "role": "analyst",
                "created_at": "2026-11-20T16:42:07Z",
                "updated_at": "2026-11-20T16:42:07Z",
            },
            response_only=True,
        ),
        OpenApiExample(
            "An analyst",
            value={"organization": 3, "user": 12, "role": "analyst"},
            request_only=True,
        ),
    ]
)
class MembershipSerializer(CreateOnlyFieldsMixin, StrictModelSerializer[Membership]):
    """A user's role in one organization; the user and organization are fixed once made."""

    organization = ScopedPrimaryKeyRelatedField(_visible_organizations)
    user = ScopedPrimaryKeyRelatedField(
        fellow_users, help_text="A user who already belongs to one of your organizations."
    )
    username = serializers.CharField(source="user.username", read_only=True)
    user_name = serializers.CharField(source="user.get_full_name", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    create_only_fields = ("organization", "user")

    class Meta:
        model = Membership
        fields = [
            "id",
            "organization",
            "organization_name",
            "user",
            "username",
            "user_name",
            "role",
            "created_at",
            "updated_at",
        ]
        # The unique (user, organization) pair is checked by the service with a clear message.
        validators: list[Any] = []


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "An endpoint agent as the CMDB knows it",
            value={
                "id": 1842,
                "url": "https://vendorwatch.example.org/api/v1/inventory-items/1842/",
                "organization": 3,
                "organization_name": "Stadtwerke Nordhafen",
                "product": 14,
                "product_name": "AO Kaspersky Lab Kaspersky Endpoint Security for Business",
                "resolved": True,
                "raw_vendor": "Kaspersky Lab",
                "raw_product": "Kaspersky Endpoint Security",
                "version": "12.1.0.506",
                "cpe": "",
                "purl": "",
                "quantity": 420,
                "environment": "production",
                "criticality": "high",
                "source": "api",
                "external_ref": "CMDB-004711",
                "hostname": "ws-leit-*",
                "site": "Leitwarte Nordhafen",
                "notes": "Office and control-room clients; ESET rollout planned for Q1 2027.",
                "created_at": "2026-11-20T16:42:07Z",
                "updated_at": "2026-11-20T16:42:07Z",
            },
            response_only=True,
        ),
        OpenApiExample(
            "An endpoint agent as the CMDB knows it",
            value={
                "organization": 3,
                "raw_vendor": "Kaspersky Lab",
                "raw_product": "Kaspersky Endpoint Security",
                "version": "12.1.0.506",
                "quantity": 420,
                "environment": "production",
                "criticality": "high",
                "external_ref": "CMDB-004711",
                "hostname": "ws-leit-*",
                "site": "Leitwarte Nordhafen",
                "notes": "Office and control-room clients; ESET rollout planned for Q1 2027.",
            },
            request_only=True,
        ),
    ]
)
class InventoryItemSerializer(CreateOnlyFieldsMixin, StrictModelSerializer[InventoryItem]):
    """What an organization runs. Give the vendor and product names as your systems know them
    (they resolve to the catalogue by name and alias), or a catalogue product, a CPE or a purl.
    """

    url = serializers.HyperlinkedIdentityField(view_name="api:inventoryitem-detail")
    organization = ScopedPrimaryKeyRelatedField(_visible_organizations)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    product = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(),
        required=False,
        allow_null=True,
        help_text="The catalogue product; resolved from the names when left empty.",
    )
    product_name = serializers.SerializerMethodField()
    resolved = serializers.SerializerMethodField()
    create_only_fields = ("organization",)

    class Meta:
        model = InventoryItem
        fields = [
            "id",
            "url",
            "organization",
            "organization_name",
            "product",
            "product_name",
            "resolved",
            "raw_vendor",
            "raw_product",
            "version",
            "cpe",
            "purl",
            "quantity",
            "environment",
            "criticality",
            "source",
            "external_ref",
            "hostname",
            "site",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["source"]

    @extend_schema_field({"type": "string", "nullable": True})
    def get_product_name(self, item: InventoryItem) -> str | None:
        return str(item.product) if item.product is not None else None

    def get_resolved(self, item: InventoryItem) -> bool:
        """Whether the item resolved to a catalogue product."""
        return item.product_id is not None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        merged = {
            name: attrs.get(name, getattr(self.instance, name, None))
            for name in ("raw_product", "cpe", "purl", "product")
        }
        if not any(merged.values()):
            raise serializers.ValidationError(
                {"raw_product": "Name the product, or give a catalogue product, a CPE or a purl."}
            )
        return attrs


# The inventory list's rows (api/rows.py): these columns, and InventoryItemSerializer's fields
# built from them.
INVENTORY_ITEM_ROW_COLUMNS = (
    "id",
    "organization_id",
    "organization__name",
    "product_id",
    "product__vendor__name",
    "product__name",
    "raw_vendor",
    "raw_product",
    "version",
    "cpe",
    "purl",
    "quantity",
    "environment",
    "criticality",
    "source",
    "external_ref",
    "hostname",
    "site",
    "notes",
    "created_at",
    "updated_at",
)


def inventory_item_row(row: Row, out: RowFormat) -> dict[str, Any]:
    """An inventory item as InventoryItemSerializer shows it, from INVENTORY_ITEM_ROW_COLUMNS."""
    resolved = row["product_id"] is not None
    return {
        "id": row["id"],
        "url": out.url(row["id"]),
        "organization": row["organization_id"],
        "organization_name": row["organization__name"],
        "product": row["product_id"],
        "product_name": (
            f"{row['product__vendor__name']} {row['product__name']}" if resolved else None
        ),
        "resolved": resolved,
        "raw_vendor": row["raw_vendor"],
        "raw_product": row["raw_product"],
        "version": row["version"],
        "cpe": row["cpe"],
        "purl": row["purl"],
        "quantity": row["quantity"],
        "environment": row["environment"],
        "criticality": row["criticality"],
        "source": row["source"],
        "external_ref": row["external_ref"],
        "hostname": row["hostname"],
        "site": row["site"],
        "notes": row["notes"],
        "created_at": out.date_time(row["created_at"]),
        "updated_at": out.date_time(row["updated_at"]),
    }


# A token as the API shows it; issued, it comes with its text, shown that once.
_TOKEN_EXAMPLE: dict[str, Any] = {
    "id": 9,
    "name": "SIEM export",
    "prefix": "35b85e732170",
    "access": "read",
    "organization": 3,
    "organization_name": "Stadtwerke Nordhafen",
    "user": 7,
    "username": "o.krause",
    "expires_at": "2027-01-31T00:00:00Z",
    "created_at": "2026-11-20T16:42:07Z",
    "last_used_at": "2026-11-24T06:05:13Z",
    "revoked_at": None,
    "status": "active",
}


class AssetSerializer(StrictModelSerializer[InventoryItem]):
    """An inventory item as much as tells it apart from the organization's other items of the
    same product: where a flag is, or an advisory's impact preview would flag."""

    class Meta:
        model = InventoryItem
        fields = list(ASSET_FIELDS)


@extend_schema_serializer(
    examples=object_examples(
        "A read-only organization token",
        _TOKEN_EXAMPLE,
        derived=(
            "id",
            "prefix",
            "organization_name",
            "user",
            "username",
            "created_at",
            "last_used_at",
            "revoked_at",
            "status",
        ),
    )
)
class ApiTokenSerializer(StrictModelSerializer[ApiToken]):
    organization = ScopedPrimaryKeyRelatedField(
        _administered_organizations,
        required=False,
        allow_null=True,
        help_text="Limits the token to this organization (one you administer); empty for a "
        "personal token that acts with all your rights.",
    )
    organization_name = serializers.CharField(
        source="organization.name", read_only=True, allow_null=True, default=None
    )
    username = serializers.CharField(source="user.username", read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "access",
            "organization",
            "organization_name",
            "user",
            "username",
            "expires_at",
            "created_at",
            "last_used_at",
            "revoked_at",
            "status",
        ]
        read_only_fields = ["user", "revoked_at"]

    @extend_schema_field({"type": "string", "enum": ["active", "expired", "revoked"]})
    def get_status(self, token: ApiToken) -> str:
        return token_status(token)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A read-only organization token as issued",
            value={
                **_TOKEN_EXAMPLE,
                "last_used_at": None,
                "token": "vw_35b85e732170_EXAMPLE-secret-shown-once-and-stored-only-hashed",
            },
            response_only=True,
        )
    ]
)
class IssuedApiTokenSerializer(ApiTokenSerializer):
    """A token just issued, with its full text: shown this once and never again."""

    token = serializers.CharField(
        read_only=True, help_text="The full token. Store it now: it cannot be shown again."
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
