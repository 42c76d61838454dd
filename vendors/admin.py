"""The catalogue in the admin; every write goes through ``vendors.services``, so that admin
edits re-resolve inventory and re-match like any other."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from vendors.matching.cpe import CpeError, parse_product_cpe
from vendors.matching.purls import PurlError, parse_product_purl
from vendors.models import Product, ProductAlias, Vendor, VendorAlias
from vendors.services import (
    PRODUCT_FIELDS,
    VENDOR_FIELDS,
    product_alias_add,
    product_alias_remove,
    product_create,
    product_update,
    vendor_alias_add,
    vendor_alias_remove,
    vendor_create,
    vendor_update,
)


def _data(form: ModelForm, fields: frozenset[str], *, changed_only: bool) -> dict[str, Any]:  # type: ignore[type-arg]
    names = form.changed_data if changed_only else list(form.cleaned_data)
    return {name: form.cleaned_data[name] for name in names if name in fields}


def _adopt(obj: Any, saved: Any) -> None:
    """Make the admin's unsaved instance the row the service saved: the admin keeps using it
    (inline formsets, the change message, the redirect)."""
    obj.pk = saved.pk
    obj.refresh_from_db()


def _save_aliases(
    formset: BaseInlineFormSet,  # type: ignore[type-arg]
    *,
    add: Any,
    remove: Any,
    owner: dict[str, Any],
    request: HttpRequest,
) -> None:
    """Apply an alias inline through the alias services; a renamed alias is removed and
    added again, since the name is all an alias is."""
    formset.save(commit=False)
    for alias in formset.deleted_objects:
        remove(alias=alias, user=request.user, request=request)
    for alias, _fields in formset.changed_objects:
        remove(alias=type(alias).objects.get(pk=alias.pk), user=request.user, request=request)
        add(**owner, name=alias.name, user=request.user, request=request)
    for alias in formset.new_objects:
        add(**owner, name=alias.name, user=request.user, request=request)


class VendorAliasInline(admin.TabularInline):
    model = VendorAlias
    extra = 1


class ProductAliasInline(admin.TabularInline):
    model = ProductAlias
    extra = 1


class ProductAdminForm(ModelForm):  # type: ignore[type-arg]
    """A product with its CPE name and purl given whole, as the API takes them; the service
    stores their parts."""

    cpe = forms.CharField(
        label="CPE name",
        max_length=500,
        required=False,
        help_text="Every version: cpe:2.3:a:vendor:product:*:*:*:*:*:*:*:* (part a, o, h, or *"
        " when not known).",
    )
    purl = forms.CharField(
        label="Package URL",
        max_length=500,
        required=False,
        help_text="Every version: pkg:type/namespace/name, e.g. pkg:pypi/django.",
    )

    class Meta:
        model = Product
        fields = (
            "vendor",
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
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("cpe", self.instance.cpe)
        self.initial.setdefault("purl", self.instance.purl)

    def clean_cpe(self) -> str:
        try:
            parse_product_cpe(self.cleaned_data["cpe"])
        except CpeError as error:
            raise forms.ValidationError(str(error)) from error
        return str(self.cleaned_data["cpe"]).strip()

    def clean_purl(self) -> str:
        try:
            parse_product_purl(self.cleaned_data["purl"])
        except PurlError as error:
            raise forms.ValidationError(str(error)) from error
        return str(self.cleaned_data["purl"]).strip()


class ProductInline(admin.TabularInline):
    model = Product
    fields = ("name", "category", "cpe")
    # The CPE name is edited on the product's own page, where it is checked whole.
    readonly_fields = ("cpe",)
    show_change_link = True
    extra = 0
    can_delete = False


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ("name", "country", "parent", "cpe_vendor", "product_count")
    list_filter = ("country",)
    search_fields = ("name", "aliases__name", "cpe_vendor")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    inlines = (VendorAliasInline, ProductInline)

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Advisories' targets and organizations' items point at the catalogue; deleting a
        # row would silently unresolve items and change what advisories match. Rename, alias
        # or re-parent instead (each re-matched). The API has no delete either.
        return False

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if change:
            vendor_update(
                vendor=obj,
                data=_data(form, VENDOR_FIELDS, changed_only=True),
                user=request.user,
                request=request,
            )
            obj.refresh_from_db()
        else:
            saved = vendor_create(
                data=_data(form, VENDOR_FIELDS, changed_only=False),
                user=request.user,
                request=request,
            )
            _adopt(obj, saved)

    def save_formset(self, request, form, formset, change):  # type: ignore[no-untyped-def]
        if formset.model is VendorAlias:
            _save_aliases(
                formset,
                add=vendor_alias_add,
                remove=vendor_alias_remove,
                owner={"vendor": form.instance},
                request=request,
            )
            return
        formset.save(commit=False)
        for product in formset.deleted_objects:
            product.delete()
        for product, fields in formset.changed_objects:
            changed = {name: getattr(product, name) for name in fields if name in PRODUCT_FIELDS}
            product_update(product=product, data=changed, user=request.user, request=request)
        for product in formset.new_objects:
            data = {
                name: getattr(product, name)
                for name in ProductInline.fields
                if name in PRODUCT_FIELDS and name not in ProductInline.readonly_fields
            }
            saved = product_create(
                data={**data, "vendor": form.instance}, user=request.user, request=request
            )
            _adopt(product, saved)

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
    form = ProductAdminForm
    list_display = (
        "name",
        "vendor",
        "category",
        "cpe_part",
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

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Advisories' targets and organizations' items point at the catalogue; deleting a
        # row would silently unresolve items and change what advisories match. Rename, alias
        # or re-parent instead (each re-matched). The API has no delete either.
        return False

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if change:
            product_update(
                product=obj,
                data=_data(form, PRODUCT_FIELDS, changed_only=True),
                user=request.user,
                request=request,
            )
            obj.refresh_from_db()
        else:
            saved = product_create(
                data=_data(form, PRODUCT_FIELDS, changed_only=False),
                user=request.user,
                request=request,
            )
            _adopt(obj, saved)

    def save_formset(self, request, form, formset, change):  # type: ignore[no-untyped-def]
        _save_aliases(
            formset,
            add=product_alias_add,
            remove=product_alias_remove,
            owner={"product": form.instance},
            request=request,
        )


class AliasAdmin(admin.ModelAdmin):
    """An alias edited on its own page: added, renamed (removed and added again) and deleted
    through its owner's alias services."""

    owner_field: str
    add_alias: Callable[..., Any]
    remove_alias: Callable[..., Any]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if change:
            self.remove_alias(
                alias=type(obj).objects.get(pk=obj.pk), user=request.user, request=request
            )
        saved = self.add_alias(
            **{self.owner_field: getattr(obj, self.owner_field)},
            name=obj.name,
            user=request.user,
            request=request,
        )
        _adopt(obj, saved)

    def delete_model(self, request, obj):  # type: ignore[no-untyped-def]
        self.remove_alias(alias=obj, user=request.user, request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for alias in queryset:
            self.remove_alias(alias=alias, user=request.user, request=request)


@admin.register(VendorAlias)
class VendorAliasAdmin(AliasAdmin):
    list_display = ("name", "vendor")
    list_select_related = ("vendor",)
    search_fields = ("name", "vendor__name")
    autocomplete_fields = ("vendor",)
    owner_field = "vendor"
    add_alias = staticmethod(vendor_alias_add)
    remove_alias = staticmethod(vendor_alias_remove)


@admin.register(ProductAlias)
class ProductAliasAdmin(AliasAdmin):
    list_display = ("name", "product")
    list_select_related = ("product__vendor",)
    search_fields = ("name", "product__name", "product__vendor__name")
    autocomplete_fields = ("product",)
    owner_field = "product"
    add_alias = staticmethod(product_alias_add)
    remove_alias = staticmethod(product_alias_remove)
