"""Viewsets of the catalogue API: vendors, products and their aliases."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from config.api_views import CatalogueViewSetMixin
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


@extend_schema_view(
    list=extend_schema(summary="List vendors", description="Every vendor in the catalogue."),
    retrieve=extend_schema(summary="Get a vendor"),
)
@extend_schema(tags=["catalogue"])
class VendorViewSet(CatalogueViewSetMixin, viewsets.ReadOnlyModelViewSet[Vendor]):
    queryset = Vendor.objects.prefetch_related("aliases")
    serializer_class = VendorSerializer
    filterset_class = VendorFilterSet
    ordering_fields = ["name", "country", "created_at", "updated_at"]
    ordering = ["name"]


@extend_schema_view(
    list=extend_schema(summary="List products"),
    retrieve=extend_schema(summary="Get a product"),
)
@extend_schema(tags=["catalogue"])
class ProductViewSet(CatalogueViewSetMixin, viewsets.ReadOnlyModelViewSet[Product]):
    queryset = Product.objects.select_related("vendor").prefetch_related("aliases")
    serializer_class = ProductSerializer
    filterset_class = ProductFilterSet
    ordering_fields = ["name", "category", "created_at", "updated_at"]
    ordering = ["vendor__name", "name"]


@extend_schema_view(
    list=extend_schema(summary="List vendor aliases"),
    retrieve=extend_schema(summary="Get a vendor alias"),
)
@extend_schema(tags=["catalogue"])
class VendorAliasViewSet(CatalogueViewSetMixin, viewsets.ReadOnlyModelViewSet[VendorAlias]):
    queryset = VendorAlias.objects.all()
    serializer_class = VendorAliasSerializer
    filterset_class = VendorAliasFilterSet
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]


@extend_schema_view(
    list=extend_schema(summary="List product aliases"),
    retrieve=extend_schema(summary="Get a product alias"),
)
@extend_schema(tags=["catalogue"])
class ProductAliasViewSet(CatalogueViewSetMixin, viewsets.ReadOnlyModelViewSet[ProductAlias]):
    queryset = ProductAlias.objects.all()
    serializer_class = ProductAliasSerializer
    filterset_class = ProductAliasFilterSet
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]
