"""Notifications in the admin: channels to inspect, the delivery log to diagnose. Channels are
managed on their pages (and the API), where the rules are checked, the change is audited and
the secret is shown once; here everything is read-only."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.admin_mixins import RecordAdmin
from notifications.models import Channel, Delivery, DeliveryAttempt, DeliveryItem, DispatchCursor


@admin.register(Channel)
class ChannelAdmin(RecordAdmin):
    list_display = ("name", "organization", "kind", "mode", "min_severity", "enabled")
    list_filter = ("kind", "mode", "enabled")
    list_select_related = ("organization",)
    search_fields = ("name", "organization__name")
    # The URL and secret are credentials: neither is shown.
    exclude = ("url", "secret")
    readonly_fields = ("target_display",)


class DeliveryAttemptInline(admin.TabularInline):  # type: ignore[type-arg]
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ("number", "started_at", "duration_ms", "response_code", "error", "retry_in")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DeliveryItemInline(admin.TabularInline):  # type: ignore[type-arg]
    model = DeliveryItem
    extra = 0
    can_delete = False
    fields = ("kind", "flag", "event")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(RecordAdmin):
    list_display = (
        "created_at",
        "organization",
        "channel",
        "recipient_user",
        "kind",
        "status",
        "attempts",
        "response_code",
    )
    list_filter = ("status", "kind")
    list_select_related = ("organization", "channel", "recipient_user")
    search_fields = ("organization__name", "channel__name", "last_error")
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = (DeliveryItemInline, DeliveryAttemptInline)


@admin.register(DispatchCursor)
class DispatchCursorAdmin(RecordAdmin):
    list_display = ("name", "position", "version", "updated_at")
