from django.contrib import admin

from vendors.models import Product, ProductAlias, Vendor, VendorAlias


class VendorAliasInline(admin.TabularInline):
    model = VendorAlias
    extra = 1


class ProductAliasInline(admin.TabularInline):
    model = ProductAlias
    extra = 1


class ProductInline(admin.TabularInline):
    model = Product
    fields = ("name", "category", "cpe_product")
    show_change_link = True
    extra = 0


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ("name", "country", "parent", "cpe_vendor", "product_count")
    list_filter = ("country",)
    search_fields = ("name", "aliases__name", "cpe_vendor")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    inlines = (VendorAliasInline, ProductInline)

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        from django.db.models import Count

        return (
            super()
            .get_queryset(request)
            .select_related("parent")
            .annotate(n_products=Count("products"))
        )

    @admin.display(description="Products", ordering="n_products")
    def product_count(self, obj: Vendor) -> int:
        return obj.n_products  # type: ignore[attr-defined,no-any-return]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "vendor",
        "category",
        "deep_system_access",
        "permanent_cloud_connection",
        "vendor_pushed_updates",
    )
    list_filter = (
        "category",
        "deep_system_access",
        "permanent_cloud_connection",
        "vendor_pushed_updates",
        "vendor__country",
    )
    list_select_related = ("vendor",)
    search_fields = ("name", "aliases__name", "vendor__name", "cpe_product", "purl_name")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("vendor",)
    inlines = (ProductAliasInline,)


@admin.register(VendorAlias)
class VendorAliasAdmin(admin.ModelAdmin):
    list_display = ("name", "vendor")
    list_select_related = ("vendor",)
    search_fields = ("name", "vendor__name")
    autocomplete_fields = ("vendor",)


@admin.register(ProductAlias)
class ProductAliasAdmin(admin.ModelAdmin):
    list_display = ("name", "product")
    list_select_related = ("product__vendor",)
    search_fields = ("name", "product__name", "product__vendor__name")
    autocomplete_fields = ("product",)
