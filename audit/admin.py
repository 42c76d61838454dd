from django.contrib import admin

from audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only, also here."""

    list_display = (
        "created_at",
        "actor_name",
        "organization_name",
        "action",
        "object_repr",
        "ip_address",
    )
    list_filter = ("action", "via")
    search_fields = ("actor_name", "organization_name", "action", "object_repr", "object_id")
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
