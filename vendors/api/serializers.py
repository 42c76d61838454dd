"""Serializers of the catalogue API."""

from typing import Any

from rest_framework import serializers

from config.api_serializers import CountryCodeField, StrictModelSerializer
from vendors.models import Product, ProductAlias, Vendor, VendorAlias


class VendorSerializer(StrictModelSerializer[Vendor]):
    url = serializers.HyperlinkedIdentityField(view_name="api:vendor-detail")
    aliases: serializers.SlugRelatedField[VendorAlias] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="name", help_text="Other names the vendor goes by."
    )

    country = CountryCodeField()

    class Meta:
        model = Vendor
        fields = [
            "id",
            "url",
            "name",
            "slug",
            "country",
            "parent",
            "cpe_vendor",
            "website",
            "description",
            "aliases",
            "created_at",
            "updated_at",
        ]
        # The service derives a slug from the name when none is given.
        extra_kwargs = {"slug": {"required": False}}


class ProductSerializer(StrictModelSerializer[Product]):
    url = serializers.HyperlinkedIdentityField(view_name="api:product-detail")
    vendor_name = serializers.CharField(source="vendor.name", read_only=True)
    aliases: serializers.SlugRelatedField[ProductAlias] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="name", help_text="Other names the product goes by."
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "url",
            "vendor",
            "vendor_name",
            "name",
            "slug",
            "category",
            "cpe_vendor",
            "cpe_product",
            "purl_type",
            "purl_namespace",
            "purl_name",
            "deep_system_access",
            "permanent_cloud_connection",
            "vendor_pushed_updates",
            "website",
            "description",
            "aliases",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"slug": {"required": False}}
        # DRF would demand a slug to check (vendor, slug) uniqueness; the service derives the
        # slug and validates the whole product.
        validators: list[Any] = []


class VendorAliasSerializer(StrictModelSerializer[VendorAlias]):
    class Meta:
        model = VendorAlias
        fields = ["id", "vendor", "name", "created_at"]


class ProductAliasSerializer(StrictModelSerializer[ProductAlias]):
    class Meta:
        model = ProductAlias
        fields = ["id", "product", "name", "created_at"]
