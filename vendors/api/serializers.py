"""Serializers of the catalogue API."""

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from api.schema import object_examples
from api.serializers import CountryCodeField, StrictModelSerializer
from vendors.models import Product, ProductAlias, Vendor, VendorAlias

# Vendor 7 is AO Kaspersky Lab (Moscow), the parent of the UK company in these examples.
KASPERSKY_UK_DESCRIPTION = (
    "UK subsidiary of AO Kaspersky Lab. Registered in England but owned from Russia, so "
    "advisories about its parent's jurisdiction cover it as well."
)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A vendor with its parent company",
            value={
                "id": 8,
                "url": "https://vendorwatch.example.org/api/v1/vendors/8/",
                "name": "Kaspersky Labs Limited",
                "slug": "kaspersky-labs-limited",
                "country": "GB",
                "parent": 7,
                "cpe_vendor": "kaspersky",
                "website": "https://www.kaspersky.co.uk/",
                "description": KASPERSKY_UK_DESCRIPTION,
                "aliases": ["Kaspersky Labs UK"],
                "created_at": "2026-03-02T08:55:12Z",
                "updated_at": "2026-03-02T08:55:12Z",
            },
            response_only=True,
        ),
        OpenApiExample(
            "A vendor with its parent company",
            value={
                "name": "Kaspersky Labs Limited",
                "country": "GB",
                "parent": 7,
                "cpe_vendor": "kaspersky",
                "website": "https://www.kaspersky.co.uk/",
                "description": KASPERSKY_UK_DESCRIPTION,
            },
            request_only=True,
        ),
    ]
)
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


KESB_CPE = "cpe:2.3:a:kaspersky:endpoint_security:*:*:*:*:*:*:*:*"
KESB_DESCRIPTION = (
    "Anti-malware agent with firewall and device control for Windows, Linux and macOS, managed "
    "from Kaspersky Security Center."
)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "An endpoint protection agent",
            value={
                "id": 21,
                "url": "https://vendorwatch.example.org/api/v1/products/21/",
                "vendor": 7,
                "vendor_name": "AO Kaspersky Lab",
                "name": "Kaspersky Endpoint Security for Business",
                "slug": "kaspersky-endpoint-security-for-business",
                "category": "endpoint_protection",
                "cpe": KESB_CPE,
                "purl": "",
                "deep_system_access": True,
                "permanent_cloud_connection": True,
                "vendor_pushed_updates": True,
                "website": "https://www.kaspersky.com/",
                "description": KESB_DESCRIPTION,
                "aliases": [
                    "KESB",
                    "Kaspersky Endpoint Security",
                    "Kaspersky Endpoint Security for Windows",
                ],
                "created_at": "2026-03-02T08:57:40Z",
                "updated_at": "2026-03-05T13:02:19Z",
            },
            response_only=True,
        ),
        OpenApiExample(
            "An endpoint protection agent",
            value={
                "vendor": 7,
                "name": "Kaspersky Endpoint Security for Business",
                "category": "endpoint_protection",
                "cpe": KESB_CPE,
                "deep_system_access": True,
                "permanent_cloud_connection": True,
                "vendor_pushed_updates": True,
                "website": "https://www.kaspersky.com/",
                "description": KESB_DESCRIPTION,
            },
            request_only=True,
        ),
    ]
)
class ProductSerializer(StrictModelSerializer[Product]):
    url = serializers.HyperlinkedIdentityField(view_name="api:product-detail")
    vendor_name = serializers.CharField(source="vendor.name", read_only=True)
    # Given whole, stored as their parts (vendors.services), shown whole again from them.
    cpe = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="Its CPE 2.3 name, every version: cpe:2.3:<part>:<vendor>:<product> and '*'"
        " in the other eight attributes; part a (application), o (operating system),"
        ' h (hardware) or * (not known). "" for none.',
    )
    purl = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text='Its package URL, every version: pkg:<type>/<namespace>/<name>. "" for none.',
    )
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
            "cpe",
            "purl",
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


@extend_schema_serializer(
    examples=object_examples(
        "A former company name",
        {"id": 31, "vendor": 7, "name": "Kaspersky Lab ZAO", "created_at": "2026-03-02T09:02:11Z"},
        derived=("id", "created_at"),
    )
)
class VendorAliasSerializer(StrictModelSerializer[VendorAlias]):
    class Meta:
        model = VendorAlias
        fields = ["id", "vendor", "name", "created_at"]


@extend_schema_serializer(
    examples=object_examples(
        "A name inventories use",
        {
            "id": 54,
            "product": 21,
            "name": "Kaspersky Endpoint Security for Windows",
            "created_at": "2026-03-05T13:02:19Z",
        },
        derived=("id", "created_at"),
    )
)
class ProductAliasSerializer(StrictModelSerializer[ProductAlias]):
    class Meta:
        model = ProductAlias
        fields = ["id", "product", "name", "created_at"]
