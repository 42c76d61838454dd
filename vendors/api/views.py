"""Viewsets of the catalogue API: vendors, products and their aliases.

Every write goes through ``vendors.services``, which re-resolves and re-matches inventory when
a change can alter what items are or what advisories cover.
"""

from __future__ import annotations

from typing import TypeVar

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.serializers import BaseSerializer

from api.viewsets import CatalogueViewSetMixin
from vendors.api.serializers import (
    ProductAliasSerializer,
    ProductSerializer,
    VendorAliasSerializer,
    VendorSerializer,
)
from vendors.filtersets import (
    ProductAliasFilterSet,
    ProductFilterSet,
    VendorAliasFilterSet,
    VendorFilterSet,
)
from vendors.models import Product, ProductAlias, Vendor, VendorAlias
from vendors.services import (
    product_alias_add,
    product_alias_remove,
    product_create,
    product_update,
    vendor_alias_add,
    vendor_alias_remove,
    vendor_create,
    vendor_update,
)

_Alias = TypeVar("_Alias", VendorAlias, ProductAlias)

# Vendors and products are never deleted through the API: advisories and inventory point at
# them, and removing one would silently change what advisories cover.
NO_DELETE = ["get", "post", "put", "patch", "head", "options"]


@extend_schema_view(
    list=extend_schema(summary="List vendors", description="Every vendor in the catalogue."),
    retrieve=extend_schema(summary="Get a vendor"),
    create=extend_schema(
        summary="Add a vendor (editors)",
        description="Unresolved inventory items named after it resolve and are matched.",
    ),
    update=extend_schema(summary="Replace a vendor (editors)"),
    partial_update=extend_schema(
        summary="Change a vendor (editors)",
        description="A new name, country, parent or CPE vendor name re-matches what depends on "
        "it; jurisdiction advisories follow the ownership chain.",
    ),
)
@extend_schema(tags=["catalogue"])
class VendorViewSet(CatalogueViewSetMixin, viewsets.ModelViewSet[Vendor]):
    queryset = Vendor.objects.prefetch_related("aliases")
    serializer_class = VendorSerializer
    filterset_class = VendorFilterSet
    ordering_fields = ["name", "country", "created_at", "updated_at"]
    ordering = ["name"]
    http_method_names = NO_DELETE

    def perform_create(self, serializer: BaseSerializer[Vendor]) -> None:
        serializer.instance = vendor_create(
            data=serializer.validated_data, user=self.request.user, request=self.request
        )

    def perform_update(self, serializer: BaseSerializer[Vendor]) -> None:
        assert serializer.instance is not None
        serializer.instance = vendor_update(
            vendor=serializer.instance,
            data=serializer.validated_data,
            user=self.request.user,
            request=self.request,
        )


@extend_schema_view(
    list=extend_schema(summary="List products"),
    retrieve=extend_schema(summary="Get a product"),
    create=extend_schema(
        summary="Add a product (editors)",
        description="Unresolved inventory items that name it (or its CPE or purl) resolve.",
    ),
    update=extend_schema(summary="Replace a product (editors)"),
    partial_update=extend_schema(summary="Change a product (editors)"),
)
@extend_schema(tags=["catalogue"])
class ProductViewSet(CatalogueViewSetMixin, viewsets.ModelViewSet[Product]):
    queryset = Product.objects.select_related("vendor").prefetch_related("aliases")
    serializer_class = ProductSerializer
    filterset_class = ProductFilterSet
    ordering_fields = ["name", "category", "created_at", "updated_at"]
    ordering = ["vendor__name", "name"]
    http_method_names = NO_DELETE

    def perform_create(self, serializer: BaseSerializer[Product]) -> None:
        serializer.instance = product_create(
            data=serializer.validated_data, user=self.request.user, request=self.request
        )

    def perform_update(self, serializer: BaseSerializer[Product]) -> None:
        assert serializer.instance is not None
        serializer.instance = product_update(
            product=serializer.instance,
            data=serializer.validated_data,
            user=self.request.user,
            request=self.request,
        )


class _AliasViewSet(
    CatalogueViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[_Alias],
):
    """Aliases are added and removed, never renamed: a rename is a removal and an addition,
    and both re-match."""

    ordering_fields = ["name", "created_at"]
    ordering = ["name"]


@extend_schema_view(
    list=extend_schema(summary="List vendor aliases"),
    retrieve=extend_schema(summary="Get a vendor alias"),
    create=extend_schema(
        summary="Give a vendor another name (editors)",
        description="Unresolved inventory items using the name resolve to the vendor.",
    ),
    destroy=extend_schema(
        summary="Take a name away from a vendor (editors)",
        description="Items already resolved through it keep their product.",
    ),
)
@extend_schema(tags=["catalogue"])
class VendorAliasViewSet(_AliasViewSet[VendorAlias]):
    queryset = VendorAlias.objects.all()
    serializer_class = VendorAliasSerializer
    filterset_class = VendorAliasFilterSet

    def perform_create(self, serializer: BaseSerializer[VendorAlias]) -> None:
        serializer.instance = vendor_alias_add(
            vendor=serializer.validated_data["vendor"],
            name=serializer.validated_data["name"],
            user=self.request.user,
            request=self.request,
        )

    def perform_destroy(self, instance: VendorAlias) -> None:
        vendor_alias_remove(alias=instance, user=self.request.user, request=self.request)


@extend_schema_view(
    list=extend_schema(summary="List product aliases"),
    retrieve=extend_schema(summary="Get a product alias"),
    create=extend_schema(
        summary="Give a product another name (editors)",
        description="Unresolved inventory items using the name resolve to the product.",
    ),
    destroy=extend_schema(summary="Take a name away from a product (editors)"),
)
@extend_schema(tags=["catalogue"])
class ProductAliasViewSet(_AliasViewSet[ProductAlias]):
    queryset = ProductAlias.objects.all()
    serializer_class = ProductAliasSerializer
    filterset_class = ProductAliasFilterSet

    def perform_create(self, serializer: BaseSerializer[ProductAlias]) -> None:
        serializer.instance = product_alias_add(
            product=serializer.validated_data["product"],
            name=serializer.validated_data["name"],
            user=self.request.user,
            request=self.request,
        )

    def perform_destroy(self, instance: ProductAlias) -> None:
        product_alias_remove(alias=instance, user=self.request.user, request=self.request)
