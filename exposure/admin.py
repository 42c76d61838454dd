from django.contrib import admin

from audit.admin_mixins import RecordAdmin
from exposure.models import Flag, FlagEvent, MatchRun, SavedView


class FlagEventInline(admin.TabularInline):
    model = FlagEvent
    extra = 0
    fields = ("created_at", "kind", "from_status", "to_status", "actor", "note")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    """Flags are read here; triage happens in the app, where every change enters the flag's
    history."""

    list_display = (
        "advisory",
        "item_label",
        "organization",
        "status",
        "confidence",
        "possible_reason",
        "priority",
        "due_date",
        "assignee",
    )
    list_filter = ("status", "confidence", "advisory__severity", "organization")
    list_select_related = ("advisory", "organization", "assignee")
    search_fields = ("advisory__identifier", "item_label", "organization__name")
    show_full_result_count = False
    inlines = (FlagEventInline,)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # A flag and its history are the record of what an organization was told and did;
        # the matcher resolves flags, nobody deletes them.
        return False


@admin.register(FlagEvent)
class FlagEventAdmin(admin.ModelAdmin):
    list_display = ("flag", "kind", "from_status", "to_status", "actor", "created_at")
    list_filter = ("kind",)
    list_select_related = ("flag__advisory", "actor")
    search_fields = ("flag__advisory__identifier", "note")
    show_full_result_count = False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(MatchRun)
class MatchRunAdmin(RecordAdmin):
    """The matcher's record of its runs, for operators; written only by the matcher."""

    list_display = (
        "pk",
        "kind",
        "status",
        "created_at",
        "duration",
        "items_considered",
        "flags_created",
        "flags_updated",
        "flags_resolved",
        "flags_reopened",
    )
    list_filter = ("kind", "status")
    search_fields = ("error",)
    show_full_result_count = False


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    """Users' named filter sets, for support: who saved what, and with whom it is shared."""

    list_display = ("name", "page", "owner", "organization", "created_at")
    list_filter = ("page",)
    search_fields = ("name", "owner__username", "organization__name")
    list_select_related = ("owner", "organization")
    readonly_fields = ("name", "page", "query", "owner", "organization", "created_at")

    # Views are saved, shared and deleted by their owners on the pages, which audit it; the
    # admin only shows them.
    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
