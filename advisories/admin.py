from django.contrib import admin

from advisories.forms import AdvisoryForm
from advisories.models import (
    Advisory,
    AdvisoryCve,
    AdvisoryReference,
    AdvisoryRevision,
    AffectedTarget,
    FeedRun,
    Source,
    TargetInterval,
)


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "country", "feed_kind", "feed_enabled")
    list_filter = ("kind", "feed_kind", "feed_enabled", "country")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


class AffectedTargetInline(admin.StackedInline):
    model = AffectedTarget
    extra = 0
    autocomplete_fields = ("vendor", "product")
    readonly_fields = ("needs_review", "review_reason")
    fieldsets = (
        (None, {"fields": (("kind", "is_exclusion"), "note", ("needs_review", "review_reason"))}),
        ("Vendor / jurisdiction", {"fields": (("vendor", "include_subsidiaries"), "country")}),
        ("Product and version range", {"fields": ("product", "version_range")}),
        (
            "CPE",
            {
                "fields": (
                    "cpe",
                    ("version_start_including", "version_start_excluding"),
                    ("version_end_including", "version_end_excluding"),
                )
            },
        ),
        ("Package URL", {"fields": ("purl",)}),
    )


class AdvisoryCveInline(admin.TabularInline):
    model = AdvisoryCve
    extra = 0


class AdvisoryReferenceInline(admin.TabularInline):
    model = AdvisoryReference
    extra = 0


class AdvisoryRevisionInline(admin.TabularInline):
    model = AdvisoryRevision
    extra = 0
    fields = ("number", "source_version", "created_at", "summary", "created_by")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Advisory)
class AdvisoryAdmin(admin.ModelAdmin):
    form = AdvisoryForm
    list_display = ("identifier", "title", "source", "kind", "severity", "status", "issued_on")
    list_filter = ("status", "kind", "severity", "recommended_action", "known_exploited", "source")
    list_select_related = ("source",)
    search_fields = ("identifier", "title", "summary", "cves__cve_id")
    date_hierarchy = "issued_on"
    autocomplete_fields = ("source",)
    readonly_fields = ("status", "published_at", "withdrawn_at", "created_by")
    inlines = (
        AffectedTargetInline,
        AdvisoryCveInline,
        AdvisoryReferenceInline,
        AdvisoryRevisionInline,
    )
    fieldsets = (
        (None, {"fields": ("source", "identifier", "title", "summary", "issued_on")}),
        (
            "Classification",
            {"fields": ("kind", ("severity", "cvss_score"), "cvss_vector", "known_exploited")},
        ),
        (
            "What to do",
            {"fields": ("recommended_action", "action_details", "action_deadline")},
        ),
        ("Audience", {"fields": ("audience_sectors", "audience_tiers")}),
        (
            "Lifecycle",
            {
                "fields": (
                    "status",
                    "published_at",
                    "withdrawn_at",
                    "withdrawn_reason",
                    "source_version",
                    "created_by",
                )
            },
        ),
    )


@admin.register(AffectedTarget)
class AffectedTargetAdmin(admin.ModelAdmin):
    list_display = ("__str__", "advisory", "kind", "is_exclusion", "needs_review")
    list_filter = ("kind", "is_exclusion", "needs_review")
    list_select_related = ("advisory", "vendor", "product__vendor")
    search_fields = ("advisory__identifier", "vendor__name", "product__name", "cpe", "purl")
    autocomplete_fields = ("advisory", "vendor", "product")
    readonly_fields = ("needs_review", "review_reason")


@admin.register(AdvisoryRevision)
class AdvisoryRevisionAdmin(admin.ModelAdmin):
    list_display = ("advisory", "number", "source_version", "created_at")
    list_select_related = ("advisory",)
    search_fields = ("advisory__identifier", "summary")
    autocomplete_fields = ("advisory",)


@admin.register(AdvisoryCve)
class AdvisoryCveAdmin(admin.ModelAdmin):
    list_display = ("cve_id", "advisory")
    list_select_related = ("advisory",)
    search_fields = ("cve_id", "advisory__identifier")
    autocomplete_fields = ("advisory",)


@admin.register(AdvisoryReference)
class AdvisoryReferenceAdmin(admin.ModelAdmin):
    list_display = ("url", "summary", "category", "advisory")
    list_filter = ("category",)
    list_select_related = ("advisory",)
    search_fields = ("url", "summary", "advisory__identifier")
    autocomplete_fields = ("advisory",)


@admin.register(TargetInterval)
class TargetIntervalAdmin(admin.ModelAdmin):
    """Intervals are compiled from a target's range; shown for diagnosis, never edited."""

    list_display = ("target", "lower", "lower_inclusive", "upper", "upper_inclusive")
    list_select_related = ("target__advisory",)
    search_fields = ("target__advisory__identifier",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(FeedRun)
class FeedRunAdmin(admin.ModelAdmin):
    """Feed runs are written by the importer; shown to see what a feed did and why it failed."""

    list_display = (
        "started_at",
        "source",
        "status",
        "trigger",
        "fetched",
        "imported",
        "updated",
        "unchanged",
        "failed",
        "duration_seconds",
    )
    list_filter = ("status", "feed_kind", "source")
    list_select_related = ("source",)
    date_hierarchy = "started_at"
    search_fields = ("source__name", "message")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
