"""Campaigns in the admin: to look at, not to edit. Campaigns change through their pages and
the API, whose services check roles, audit and keep the campaign's history; an edit here would
do none of that."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from campaigns.models import Attestation, Campaign, CampaignEvent, Evidence, Milestone, Plan


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MilestoneInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Milestone
    extra = 0
    fields = ("position", "key", "name", "offset_days", "due_on")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ("title", "advisory", "scope", "status", "opened_at")
    list_filter = ("status", "scope")
    search_fields = ("title", "advisory__identifier")
    inlines = [MilestoneInline]


@admin.register(Plan)
class PlanAdmin(ReadOnlyAdmin):
    list_display = ("organization", "campaign", "items_at_start", "responsible", "target_date")
    list_select_related = ("organization", "campaign")
    search_fields = ("organization__name", "campaign__title")


@admin.register(Attestation)
class AttestationAdmin(ReadOnlyAdmin):
    list_display = ("plan", "milestone", "status", "submitted_at", "reviewed_at")
    list_filter = ("status",)
    list_select_related = ("plan__organization", "plan__campaign", "milestone")


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ("name", "attestation", "content_type", "size", "created_at")
    exclude = ("stored_as",)


@admin.register(CampaignEvent)
class CampaignEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "campaign", "kind", "organization", "actor_name")
    list_filter = ("kind",)
