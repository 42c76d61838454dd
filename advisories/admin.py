"""Advisories in the admin. Saving compiles the targets and, for a published advisory, records
a revision and re-matches it (``advisory_update``); publishing and withdrawing are actions
that go through their services, like every other way of doing them."""

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from advisories.choices import AdvisoryStatus
from advisories.forms import AdvisoryForm
from advisories.models import (
    Advisory,
    AdvisoryCve,
    AdvisoryReference,
    AdvisoryRevision,
    AffectedTarget,
    CveSignal,
    FeedRun,
    Source,
    TargetInterval,
)
from advisories.services import (
    AdvisoryStateError,
    advisory_publish,
    advisory_revision_add,
    advisory_update,
    advisory_withdraw,
)
from audit.admin_mixins import AuditedModelAdmin, RecordAdmin


@admin.register(Source)
class SourceAdmin(AuditedModelAdmin):
    list_display = ("name", "kind", "country", "feed_kind", "feed_enabled")
    list_filter = ("kind", "feed_kind", "feed_enabled", "country")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


class AffectedTargetInline(admin.StackedInline):
    model = AffectedTarget
    extra = 0
    autocomplete_fields = ("vendor", "product")
    readonly_fields = ("needs_review", "review_reason", "range_caveat", "read_as")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("kind", "is_exclusion"),
                    "note",
                    "caveat",
                    ("read_as", "range_caveat"),
                    ("needs_review", "review_reason"),
                )
            },
        ),
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


class ImportStateFilter(admin.SimpleListFilter):
    """Imported documents an editor should look at: nothing to match, or failed CSAF tests."""

    title = "imported document"
    parameter_name = "imported"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return (("nothing", "Nothing to match"), ("violations", "Fails CSAF tests"))

    def queryset(self, request: HttpRequest, queryset: QuerySet[Advisory]) -> QuerySet[Advisory]:
        if self.value() == "nothing":
            return queryset.exclude(nothing_to_match="")
        if self.value() == "violations":
            return queryset.filter(~Q(source_violations=[]))
        return queryset


@admin.register(Advisory)
class AdvisoryAdmin(admin.ModelAdmin):
    form = AdvisoryForm
    list_display = ("identifier", "title", "source", "kind", "severity", "status", "issued_on")
    list_filter = (
        "status",
        "kind",
        "severity",
        "recommended_action",
        "known_exploited",
        ImportStateFilter,
        "source",
    )
    list_select_related = ("source",)
    search_fields = ("identifier", "title", "summary", "cves__cve_id")
    date_hierarchy = "issued_on"
    autocomplete_fields = ("source",)
    filter_horizontal = ("audience_organizations", "audience_users")
    readonly_fields = (
        "status",
        "published_at",
        "withdrawn_at",
        "created_by",
        "nothing_to_match",
        "violations",
        "kev_due_date",
        "epss",
        "epss_percentile",
    )
    actions = ("publish_selected", "withdraw_selected")
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
        ("Exploitation signals", {"fields": ("kev_due_date", ("epss", "epss_percentile"))}),
        (
            "What to do",
            {"fields": ("recommended_action", "action_details", "action_deadline")},
        ),
        (
            "Audience and TLP",
            {
                "fields": (
                    "tlp",
                    "audience_organizations",
                    "audience_users",
                    "audience_sectors",
                    "audience_tiers",
                )
            },
        ),
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
        ("Imported document", {"fields": ("nothing_to_match", "violations")}),
    )

    @admin.display(description="Failed CSAF tests (imported all the same)")
    def violations(self, obj: Advisory) -> str:
        if not obj.source_violations:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li><code>{}</code> {}</li>",
                ((v["path"] or "/", v["message"]) for v in obj.source_violations),
            ),
        )

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):  # type: ignore[no-untyped-def]
        super().save_related(request, form, formsets, change)
        changed = [*form.changed_data, *(f.prefix for f in formsets if f.has_changed())]
        advisory_update(
            advisory=form.instance,
            data={},
            summary=f"Edited in the admin: {', '.join(changed) or 'no field changed'}.",
            user=request.user,
            request=request,
        )

    @admin.action(description="Publish the selected drafts")
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Advisory]) -> None:
        for advisory in queryset.filter(status=AdvisoryStatus.DRAFT):
            advisory_publish(advisory=advisory, user=request.user, request=request)
            self.message_user(request, f"Published {advisory.identifier}.", messages.SUCCESS)

    @admin.action(description="Withdraw the selected advisories (uses their withdrawal reason)")
    def withdraw_selected(self, request: HttpRequest, queryset: QuerySet[Advisory]) -> None:
        for advisory in queryset.filter(status=AdvisoryStatus.PUBLISHED):
            try:
                advisory_withdraw(
                    advisory=advisory,
                    reason=advisory.withdrawn_reason,
                    user=request.user,
                    request=request,
                )
            except AdvisoryStateError as error:
                self.message_user(
                    request,
                    f"{advisory.identifier}: {error} Fill in its withdrawal reason first.",
                    messages.ERROR,
                )
            else:
                self.message_user(request, f"Withdrew {advisory.identifier}.", messages.SUCCESS)


@admin.register(AffectedTarget)
class AffectedTargetAdmin(admin.ModelAdmin):
    list_display = ("__str__", "advisory", "kind", "is_exclusion", "read_as", "needs_review")
    list_filter = ("kind", "is_exclusion", "needs_review")
    list_select_related = ("advisory", "vendor", "product__vendor")
    search_fields = ("advisory__identifier", "vendor__name", "product__name", "cpe", "purl")
    autocomplete_fields = ("advisory", "vendor", "product")
    readonly_fields = ("needs_review", "review_reason", "range_caveat", "read_as")

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        advisory_update(
            advisory=obj.advisory,
            data={},
            summary=f"Target {'changed' if change else 'added'} in the admin: {obj}.",
            user=request.user,
            request=request,
        )

    def delete_model(self, request, obj):  # type: ignore[no-untyped-def]
        advisory, label = obj.advisory, str(obj)
        super().delete_model(request, obj)
        advisory_update(
            advisory=advisory,
            data={},
            summary=f"Target removed in the admin: {label}.",
            user=request.user,
            request=request,
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[AffectedTarget]) -> None:
        for target in queryset:
            self.delete_model(request, target)


@admin.register(AdvisoryRevision)
class AdvisoryRevisionAdmin(RecordAdmin):
    """An advisory's history: written by the services, never rewritten."""

    list_display = ("advisory", "number", "source_version", "created_at")
    list_select_related = ("advisory",)
    search_fields = ("advisory__identifier", "summary")
    autocomplete_fields = ("advisory",)


class AdvisoryPartAdmin(AuditedModelAdmin):
    """A CVE or reference of an advisory, edited on its own page: besides the audit entry,
    the advisory gets a revision, as when it is edited through the services."""

    noun = ""

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        before = type(obj).objects.filter(pk=obj.pk).values_list("advisory_id", flat=True).first()
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if change and not form.changed_data:
                return
            verb = "changed" if change else "added"
            self._revise(obj.advisory, f"{self.noun} {verb} in the admin: {obj}.", request)
            if change and before is not None and before != obj.advisory_id:
                moved = Advisory.objects.get(pk=before)
                self._revise(
                    moved, f"{self.noun} moved to {obj.advisory.identifier}: {obj}.", request
                )

    def delete_model(self, request, obj):  # type: ignore[no-untyped-def]
        advisory, label = obj.advisory, str(obj)
        with transaction.atomic():
            super().delete_model(request, obj)
            self._revise(advisory, f"{self.noun} removed in the admin: {label}.", request)

    @staticmethod
    def _revise(advisory: Advisory, summary: str, request: HttpRequest) -> None:
        advisory_revision_add(advisory=advisory, summary=summary, user=request.user)


@admin.register(AdvisoryCve)
class AdvisoryCveAdmin(AdvisoryPartAdmin):
    noun = "CVE"
    list_display = ("cve_id", "advisory")
    list_select_related = ("advisory",)
    search_fields = ("cve_id", "advisory__identifier")
    autocomplete_fields = ("advisory",)


@admin.register(AdvisoryReference)
class AdvisoryReferenceAdmin(AdvisoryPartAdmin):
    noun = "Reference"
    list_display = ("url", "summary", "category", "advisory")
    list_filter = ("category",)
    list_select_related = ("advisory",)
    search_fields = ("url", "summary", "advisory__identifier")
    autocomplete_fields = ("advisory",)


@admin.register(TargetInterval)
class TargetIntervalAdmin(RecordAdmin):
    """Intervals are compiled from a target's range; shown for diagnosis, never edited."""

    list_display = ("target", "lower", "lower_inclusive", "upper", "upper_inclusive")
    list_select_related = ("target__advisory",)
    search_fields = ("target__advisory__identifier",)


@admin.register(FeedRun)
class FeedRunAdmin(RecordAdmin):
    """Feed runs are written by the importer; shown to see what a feed did and why it failed."""

    list_display = (
        "started_at",
        "source",
        "status",
        "progress",
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
    readonly_fields = ("progress",)


@admin.register(CveSignal)
class CveSignalAdmin(RecordAdmin):
    """Written by the KEV and EPSS imports; shown to see what they say of a CVE."""

    list_display = ("cve_id", "kev_added_on", "kev_due_date", "epss", "epss_percentile")
    list_filter = (("kev_added_on", admin.EmptyFieldListFilter),)
    search_fields = ("cve_id",)
    ordering = ("-epss", "cve_id")
