import datetime
from typing import Any

from allauth.account.decorators import reauthentication_required
from allauth.usersessions.adapter import get_adapter as get_usersessions_adapter
from allauth.usersessions.models import UserSession
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator

from audit.admin_mixins import AuditedModelAdmin
from audit.services import audit_record
from orgs.administration import (
    ORGANIZATION_SETTINGS,
    SIGN_IN_POLICY,
    membership_create,
    membership_delete,
    membership_update,
    organization_create,
    organization_delete,
    organization_update,
)
from orgs.models import (
    ApiToken,
    IdentityProvider,
    ImportJob,
    InventoryItem,
    Membership,
    Organization,
    ProviderRule,
    User,
)
from orgs.services import (
    ITEM_FIELDS,
    external_ref_error,
    external_ref_holder,
    inventory_item_create,
    inventory_item_delete,
    inventory_item_update,
)
from orgs.sso import provider_rules_snapshot

# A user's fields whose values enter the audit trail when the admin changes them.
USER_AUDITED_FIELDS = (
    "username",
    "email",
    "is_active",
    "is_staff",
    "is_superuser",
    "is_advisory_editor",
    "is_global_analyst",
)
# What the organization admin's form may change, through organization_update.
ORGANIZATION_ADMIN_FIELDS = ("name", "slug", *ORGANIZATION_SETTINGS, *SIGN_IN_POLICY)


_confirmed = method_decorator(reauthentication_required(allow_get=True))


class ConfirmedChangesMixin:
    """Changes here grant or take away access (memberships, roles, platform flags, sign-in
    settings): like the pages' sensitive actions, they ask for the password, or the second
    factor where one is set up, unless it was confirmed in the last minutes. Looking is free."""

    @_confirmed
    def changeform_view(self, *args: Any, **kwargs: Any) -> HttpResponse:
        return super().changeform_view(*args, **kwargs)  # type: ignore[misc,no-any-return]

    @_confirmed
    def delete_view(self, *args: Any, **kwargs: Any) -> HttpResponse:
        return super().delete_view(*args, **kwargs)  # type: ignore[misc,no-any-return]

    @_confirmed
    def changelist_view(self, *args: Any, **kwargs: Any) -> HttpResponse:
        # A POST here runs an action (ending sessions) or saves list-editable fields.
        return super().changelist_view(*args, **kwargs)  # type: ignore[misc,no-any-return]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ("user",)


@admin.register(User)
class UserAdmin(ConfirmedChangesMixin, BaseUserAdmin):
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
    actions = ["end_sessions"]

    @admin.action(description="End all sessions of the selected users")
    def end_sessions(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """Sign the users out everywhere at once (a lost laptop, a person who left)."""
        sessions = list(UserSession.objects.filter(user__in=queryset).select_related("user"))
        get_usersessions_adapter().end_sessions(sessions)
        self.message_user(request, f"{len(sessions)} session(s) ended.")

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        # Platform roles reach beyond any organization, so granting or taking them is audited
        # like a membership's role; other account fields are recorded by name only.
        before = dict(User.objects.values(*USER_AUDITED_FIELDS).get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        changed = [
            name
            for name in form.changed_data
            if not name.startswith(("password", "usable_password"))
        ]
        if change and not changed:
            return
        audit_record(
            action="user.update" if change else "user.create",
            actor=request.user,
            obj=obj,
            before={name: before.get(name) for name in changed if name in before} or None,
            after={
                name: getattr(obj, name) if name in USER_AUDITED_FIELDS else "(changed)"
                for name in changed
            },
            request=request,
        )

    @_confirmed
    def user_change_password(self, request, id, form_url=""):  # type: ignore[no-untyped-def]
        # Django's own view sets the password; a successful POST (a redirect) is recorded,
        # without any value, in the same transaction.
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                audit_record(
                    action="user.password_change",
                    actor=request.user,
                    obj=User.objects.get(pk=unquote(id)),
                    after={"password": "(changed)"},
                    request=request,
                )
        return response


def _refused(request: HttpRequest, membership: Membership, error: Exception) -> None:
    reasons = getattr(error, "messages", None) or [str(error)]
    messages.error(request, f"{membership.user}: {' '.join(reasons)}")


def _membership_save(
    request: HttpRequest, membership: Membership, changed: list[str]
) -> Membership | None:
    """Write an admin's membership change through the membership services, which keep the
    owner rules and audit it; a refusal is reported, not raised (then ``None``)."""
    try:
        if membership.pk is None:
            return membership_create(
                organization=membership.organization,
                user=membership.user,
                role=membership.role,
                actor=request.user,
                request=request,
            )
        current = Membership.objects.select_related("organization").get(pk=membership.pk)
        if "user" in changed or "organization" in changed:
            # Another person or organization is another membership.
            membership_delete(membership=current, actor=request.user, request=request)
            membership.pk = None
            return _membership_save(request, membership, [])
        return membership_update(
            membership=current, role=membership.role, actor=request.user, request=request
        )
    except (ValidationError, PermissionDenied) as error:
        _refused(request, membership, error)
        return None


def _membership_delete(request: HttpRequest, membership: Membership) -> None:
    try:
        membership_delete(membership=membership, actor=request.user, request=request)
    except (ValidationError, PermissionDenied) as error:
        _refused(request, membership, error)


@admin.register(Organization)
class OrganizationAdmin(ConfirmedChangesMixin, admin.ModelAdmin):
    """Organizations and their members are written through orgs.administration, so that
    admin edits keep the owner rules and enter the audit trail like any other."""

    list_display = ("name", "sector", "country", "criticality_tier")
    list_filter = ("sector", "criticality_tier", "country")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = (MembershipInline,)

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        names = form.changed_data if change else list(form.cleaned_data)
        data = {
            name: form.cleaned_data[name] for name in names if name in ORGANIZATION_ADMIN_FIELDS
        }
        if change:
            current = Organization.objects.get(pk=obj.pk)
            organization_update(organization=current, actor=request.user, request=request, **data)
        else:
            obj.pk = organization_create(actor=request.user, request=request, **data).pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):  # type: ignore[no-untyped-def]
        organization_delete(organization=obj, actor=request.user, request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
        for organization in queryset:
            organization_delete(organization=organization, actor=request.user, request=request)

    def save_formset(self, request, form, formset, change):  # type: ignore[no-untyped-def]
        formset.save(commit=False)
        for membership in formset.deleted_objects:
            _membership_delete(request, membership)
        for membership, changed in formset.changed_objects:
            _membership_save(request, membership, changed)
        for membership in formset.new_objects:
            membership.organization = form.instance
            _membership_save(request, membership, [])


@admin.register(Membership)
class MembershipAdmin(ConfirmedChangesMixin, admin.ModelAdmin):
    """Written through the membership services, like the organization's inline."""

    list_display = ("user", "organization", "role")
    list_filter = ("role", "organization")
    list_select_related = ("user", "organization")
    search_fields = ("user__username", "organization__name")
    autocomplete_fields = ("user", "organization")

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        saved = _membership_save(request, obj, form.changed_data if change else [])
        if saved is not None:
            obj.pk = saved.pk

    def delete_model(self, request, obj):  # type: ignore[no-untyped-def]
        _membership_delete(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset.select_related("organization", "user"):
            _membership_delete(request, membership)


def _iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


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

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        # A superuser may revoke or re-date any token here, beyond what token_revoke allows
        # (their own and their organizations'), so the change is audited here.
        before = ApiToken.objects.get(pk=obj.pk)
        super().save_model(request, obj, form, change)
        changed = [name for name in ("expires_at", "revoked_at") if name in form.changed_data]
        if not changed:
            return
        revoked = changed == ["revoked_at"] and before.revoked_at is None
        audit_record(
            action="token.revoke" if revoked else "token.update",
            actor=request.user,
            organization=obj.organization,
            obj=obj,
            before={name: _iso(getattr(before, name)) for name in changed},
            after={"prefix": obj.prefix, **{name: _iso(getattr(obj, name)) for name in changed}},
            request=request,
        )


class InventoryItemAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    """Refuses an external reference another item of the organization has from the source,
    as the inventory services do (they check again when the item is saved)."""

    class Meta:
        model = InventoryItem
        # The admin lists its own fields; these are what the form may ever hold.
        fields = ["organization", *sorted(ITEM_FIELDS)]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        organization = cleaned.get("organization")
        organization_id = organization.pk if organization else self.instance.organization_id
        source = cleaned.get("source", self.instance.source)
        reference = cleaned.get("external_ref", self.instance.external_ref)
        unchanged = self.instance.pk and (reference, source) == (
            self.instance.external_ref,
            self.instance.source,
        )
        if organization_id is None or unchanged:
            return cleaned
        holder = external_ref_holder(
            organization_id=organization_id,
            source=source,
            external_ref=reference,
            exclude_pk=self.instance.pk,
        )
        if holder is not None:
            raise external_ref_error(holder)
        return cleaned


@admin.register(InventoryItem)
class InventoryItemAdmin(admin.ModelAdmin):
    form = InventoryItemAdminForm
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


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Inventory imports, to diagnose one: read-only. Uploads go through the import page and
    the API, which check the file and apply it all or nothing; the file itself is not shown."""

    list_display = (
        "created_at",
        "organization",
        "filename",
        "file_format",
        "mode",
        "status",
        "created_count",
        "updated_count",
        "removed_count",
        "error_count",
    )
    list_filter = ("status", "file_format", "mode")
    list_select_related = ("organization", "created_by")
    search_fields = ("filename", "organization__name", "created_by__username")
    date_hierarchy = "created_at"
    exclude = ("content",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ImportJob | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ImportJob | None = None) -> bool:
        return False


class ProviderRuleInline(admin.TabularInline):
    model = ProviderRule
    extra = 1
    fields = ("claim", "value", "organization", "role", "advisory_editor", "global_analyst")


@admin.register(IdentityProvider)
class IdentityProviderAdmin(AuditedModelAdmin):
    """Whose single sign-on a social application is, the e-mail domains sent to it and the
    rules that turn its groups into roles (the application itself is under *Social
    applications*)."""

    list_display = ("__str__", "organization", "email_domains")
    list_select_related = ("app", "organization")
    inlines = (ProviderRuleInline,)

    def save_formset(self, request, form, formset, change):  # type: ignore[no-untyped-def]
        with transaction.atomic():
            super().save_formset(request, form, formset, change)
            if formset.has_changed():
                audit_record(
                    action="identityprovider.admin_rules",
                    actor=request.user,
                    obj=form.instance,
                    after={"rules": provider_rules_snapshot(form.instance)},
                    request=request,
                )
