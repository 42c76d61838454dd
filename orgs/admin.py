from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from orgs.models import ApiToken, InventoryItem, Membership, Organization, User
from orgs.services import (
    ITEM_FIELDS,
    inventory_item_create,
    inventory_item_delete,
    inventory_item_update,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ("user",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (
        "username",
        "email",
        "is_advisory_editor",
        "is_global_analyst",
        "is_staff",
        "is_active",
    )
    list_filter = (
        "is_advisory_editor",
        "is_global_analyst",
        "is_staff",
        "is_superuser",
        "is_active",
    )
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        ("Platform roles", {"fields": ("is_advisory_editor", "is_global_analyst")}),
    )


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "sector", "country", "criticality_tier")
    list_filter = ("sector", "criticality_tier", "country")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = (MembershipInline,)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organization", "role")
    list_filter = ("role", "organization")
    list_select_related = ("user", "organization")
    search_fields = ("user__username", "organization__name")
    autocomplete_fields = ("user", "organization")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created where the secret can be shown once (the UI and the API); the admin
    can only inspect and revoke them."""

    list_display = ("name", "prefix", "user", "organization", "access", "expires_at", "revoked_at")
    list_filter = ("access", "organization")
    list_select_related = ("user", "organization")
    search_fields = ("name", "prefix", "user__username")
    readonly_fields = (
        "user",
        "organization",
        "name",
        "prefix",
        "access",
        "created_at",
        "last_used_at",
    )
    fields = (*readonly_fields, "expires_at", "revoked_at")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(InventoryItem)
class InventoryItemAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "organization",
        "product",
        "version",
        "environment",
        "criticality",
        "source",
    )
    list_filter = (
        "source",
        "environment",
        "criticality",
        ("product", admin.EmptyFieldListFilter),
        "organization",
    )
    list_select_related = ("organization", "product__vendor")
    search_fields = ("raw_vendor", "raw_product", "version", "cpe", "purl", "external_ref")
    autocomplete_fields = ("organization", "product")
    show_full_result_count = False

    # Items are written through the inventory services so that admin edits resolve and match
    # like any other; an item stays in the organization it was created in.
    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return ("organization",) if obj is not None else ()

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        names = form.changed_data if change else list(form.cleaned_data)
        data = {name: form.cleaned_data[name] for name in names if name in ITEM_FIELDS}
        if change:
            inventory_item_update(item=obj, data=data, user=request.user, request=request)
        else:
            saved = inventory_item_create(
                organization=form.cleaned_data["organization"],
                data=data,
                user=request.user,
                request=request,
            )
            obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):  # type: ignore[no-untyped-def]
        inventory_item_delete(item=obj, user=request.user, request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[InventoryItem]) -> None:
        for item in queryset.select_related("organization"):
            inventory_item_delete(item=item, user=request.user, request=request)
