"""Exposure: the flags that join an organization's inventory to the advisories it matches."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse

from advisories.models import Advisory, AffectedTarget
from exposure.choices import (
    Confidence,
    FlagEventKind,
    FlagStatus,
    MatchRunKind,
    MatchRunStatus,
    ResolutionReason,
    SavedViewPage,
)
from orgs.models import InventoryItem, Organization
from orgs.scoping import Actor, OrgScopedQuerySet, organization_ids
from vendors.models import Product, Vendor


class FlagQuerySet(OrgScopedQuerySet):
    advisory_lookup = "advisory"


class Flag(models.Model):
    """The fact that one of an organization's inventory items matches a published advisory.

    The matcher creates it and resolves it (item gone, version no longer affected, advisory
    withdrawn); people move it from open to acknowledged to mitigated, or accept the risk until
    a date, or call it a false positive. There is at most one flag per advisory and item.
    ``organization`` repeats the item's organization so that tenant scoping and the list pages
    need no join; ``item_label`` keeps what the item was after it is deleted. ``product`` and
    ``vendor`` repeat the item's catalogue product and its vendor as the matcher last saw them
    (none when the item resolved to no product), so that counting flags by vendor reads the
    flag table alone rather than joining every flag to its item.
    """

    # Foreign keys whose lookups a composite index below already serves get no index of their
    # own (db_index=False): every flag the matcher writes would pay for the duplicate.
    advisory = models.ForeignKey(
        Advisory, on_delete=models.PROTECT, related_name="flags", db_index=False
    )
    item = models.ForeignKey(
        InventoryItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="flags",
        db_index=False,
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="flags", db_index=False
    )
    item_label = models.CharField(max_length=500, blank=True)
    # Without an index of its own: only deleting a product looks flags up by it, which is rare
    # and not worth a write to one more index for every flag the matcher writes.
    product = models.ForeignKey(
        Product,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    vendor = models.ForeignKey(
        Vendor, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    matched_target = models.ForeignKey(
        AffectedTarget, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    confidence = models.CharField(
        max_length=10, choices=Confidence.choices, default=Confidence.CONFIRMED
    )
    possible_reason = models.TextField(
        blank=True,
        help_text="Why a possible match is not confirmed: the matched target's caveat, or "
        "'version unknown' when the item has no usable version.",
    )
    priority = models.PositiveSmallIntegerField(
        default=0, help_text="0–100; higher is more urgent."
    )
    due_date = models.DateField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_flags",
        db_index=False,
    )
    status_reason = models.TextField(blank=True)
    risk_accepted_until = models.DateField(null=True, blank=True)
    resolution_reason = models.CharField(
        max_length=30, choices=ResolutionReason.choices, blank=True
    )
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_matched_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["-priority", "due_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["advisory", "item"], name="flag_unique_advisory_item"),
            models.CheckConstraint(
                condition=~Q(status=FlagStatus.RISK_ACCEPTED)
                | Q(risk_accepted_until__isnull=False),
                name="flag_risk_acceptance_has_expiry",
            ),
            models.CheckConstraint(
                condition=~Q(status=FlagStatus.RESOLVED) | ~Q(resolution_reason=""),
                name="flag_resolved_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(priority__lte=100), name="flag_priority_at_most_100"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "status", "-priority"], name="flag_org_status_priority_idx"
            ),
            # An organization's flags in the lists' order (Meta.ordering), so that a page of
            # them is read from the index rather than sorted out of all of them.
            models.Index(
                fields=["organization", "-priority", "due_date", "id"],
                name="flag_org_priority_due_idx",
            ),
            # Every organization's flags in the lists' order: a global analyst's first page, and
            # the priority a page of affected assets starts from, read off its head.
            models.Index(fields=["-priority", "due_date", "id"], name="flag_priority_due_idx"),
            # Active flags by vendor and organization (the overview), read from the index alone.
            models.Index(fields=["vendor", "organization", "status"], name="flag_vendor_org_idx"),
            # An advisory's flags, by organization: its counts among the organizations a
            # user sees (the advisory's API detail and list) and, by status, the matcher's.
            models.Index(
                fields=["advisory", "organization", "status"], name="flag_advisory_org_status_idx"
            ),
            # Flags of a status by due date, most urgent first among those due the same day:
            # the overview's longest-overdue flags are the first few entries, where the
            # due date alone left every flag of the earliest day to join and sort (1,000 in
            # the benchmark, 9 ms).
            models.Index(
                fields=["status", "due_date", "-priority", "id"], name="flag_status_due_idx"
            ),
            models.Index(fields=["assignee", "status"], name="flag_assignee_status_idx"),
            # An item's flags. The affected assets group every active flag by item: with the
            # status, priority and due date (and the advisory, which a reader of restricted
            # TLP advisories is filtered on) read from the index alone, in item order, instead
            # of hashing all of them.
            models.Index(
                fields=["item"],
                include=["status", "priority", "due_date", "advisory"],
                name="flag_item_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.advisory.identifier} on {self.item_label or self.item_id}"

    def get_absolute_url(self) -> str:
        return reverse("exposure:flag_detail", kwargs={"pk": self.pk})


class FlagEventQuerySet(OrgScopedQuerySet):
    org_lookup = "flag__organization"
    advisory_lookup = "flag__advisory"


class FlagEvent(models.Model):
    """One change in a flag's life, and who made it (no actor: the matcher did)."""

    # (flag, created_at) below serves lookups by flag.
    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="events", db_index=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=FlagEventKind.choices)
    from_status = models.CharField(max_length=20, choices=FlagStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=FlagStatus.choices, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FlagEventQuerySet.as_manager()

    class Meta:
        ordering = ["flag", "created_at", "pk"]
        indexes = [models.Index(fields=["flag", "created_at"], name="flagevent_flag_time_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on flag {self.flag_id}"


class MatchRunQuerySet(models.QuerySet["MatchRun"]):
    def with_progress(self) -> MatchRunQuerySet:
        """Annotate each run with its chunks (those split in two not counted), the ones
        finished, and the flags created or reopened by them so far: one query for any
        number of runs."""
        finished = Q(chunks__status__in=[MatchRunStatus.SUCCEEDED, MatchRunStatus.FAILED])
        return self.annotate(
            chunks_total=Count("chunks", filter=~Q(chunks__status=MatchRunStatus.SPLIT)),
            chunks_done=Count("chunks", filter=finished),
            chunk_flags=Coalesce(
                Sum(F("chunks__flags_created") + F("chunks__flags_reopened"), filter=finished), 0
            ),
        )


class MatchRun(models.Model):
    """One run of the matcher: what it covered, how long it took and what it changed.

    Every run that did work leaves one, successful or not, so that an operator can see that
    matching keeps up and find the error of a run that failed. An advisory run, a catalogue run
    and a full re-match are parent runs whose chunks (groups of whole organizations) are runs
    of their own; a chunk is created PENDING and claimed by the worker that does it, so that
    two workers never do the same chunk. The parent's progress is read from its chunks
    (``exposure.selectors.run_progress``).
    """

    kind = models.CharField(max_length=20, choices=MatchRunKind.choices)
    status = models.CharField(
        max_length=20, choices=MatchRunStatus.choices, default=MatchRunStatus.RUNNING
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="chunks"
    )
    advisory_ids = models.JSONField(default=list, blank=True)
    organization_ids = models.JSONField(default=list, blank=True)
    vendor_ids = models.JSONField(default=list, blank=True)
    product_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration = models.DurationField(null=True, blank=True)
    items_considered = models.PositiveIntegerField(
        default=0, help_text="Inventory items in the run's scope."
    )
    flags_created = models.PositiveIntegerField(default=0)
    flags_updated = models.PositiveIntegerField(
        default=0,
        help_text="Flags whose confidence, priority, due date, label or product changed.",
    )
    flags_resolved = models.PositiveIntegerField(default=0)
    flags_reopened = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    requested_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The newest pending marker the run read; cleared when it finishes, if no "
        "newer change came meanwhile.",
    )

    objects = MatchRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["kind", "-created_at"], name="matchrun_kind_time_idx"),
            models.Index(fields=["status", "kind"], name="matchrun_status_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} run {self.pk} ({self.get_status_display()})"

    @property
    def flags_so_far(self) -> int:
        """Flags the run has created or reopened so far: its finished chunks' (needs
        ``with_progress``), or its own when it has no chunks."""
        if getattr(self, "chunks_total", 0):
            return int(getattr(self, "chunk_flags", 0))
        return self.flags_created + self.flags_reopened


class SavedViewQuerySet(models.QuerySet["SavedView"]):
    def visible_to(self, user: Actor) -> SavedViewQuerySet:
        """The user's own views and those shared with an organization they may see (the one
        tenant rule): a view shared in one organization is invisible in another."""
        if not user.is_authenticated:
            return self.none()
        ids = organization_ids(user)
        shared = (
            Q(organization__isnull=False) if ids is None else Q(organization_id__in=sorted(ids))
        )
        return self.filter(Q(owner=user) | shared)


class SavedView(models.Model):
    """A named set of filters of the flag list or the affected-assets list, kept by a user and
    optionally shared with the members of one organization; it appears in their navigation."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="saved_views",
        help_text="Shared with this organization's members; empty: the owner's alone.",
    )
    name = models.CharField(max_length=80)
    page = models.CharField(max_length=10, choices=SavedViewPage.choices)
    # The filters (and sort), urlencoded as the list's query string.
    query = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SavedViewQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="savedview_unique_owner_name")
        ]
        indexes = [models.Index(fields=["organization"], name="savedview_org_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        base = reverse("exposure:flag_list" if self.page == "flags" else "exposure:asset_list")
        return f"{base}?{self.query}" if self.query else base
