"""Read queries of exposure data; every one is scoped through ``visible_to``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any, overload

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from advisories.choices import Severity
from advisories.models import Advisory
from advisories.selectors import advisories_visible_to
from exposure.choices import ACTIVE_FLAG_STATUSES, Confidence, FlagStatus, MatchRunKind
from exposure.engine import Scope, preview_scope
from exposure.models import Flag, FlagEvent, MatchRun
from orgs.choices import ImportStatus, Role
from orgs.importers.services import SOURCES as IMPORT_SOURCES
from orgs.models import ASSET_FIELDS, ImportJob, InventoryItem, Organization
from orgs.scoping import Actor, organization_ids, sees_all_organizations


def organizations_with_exposure(*, user: Actor) -> QuerySet[Organization, Any]:
    """The organizations ``user`` may see, each with its item count and open-flag count."""
    return (
        Organization.objects.visible_to(user)
        .annotate(
            item_count=Count("inventory_items", distinct=True),
            open_flag_count=Count(
                "flags", filter=Q(flags__status__in=ACTIVE_FLAG_STATUSES), distinct=True
            ),
        )
        .order_by("-open_flag_count", "name")
    )


# --- What an advisory has flagged -----------------------------------------------------------


def advisories_with_active_flags(*, user: Actor) -> QuerySet[Advisory, Any]:
    """The advisories ``user`` may read, each with the active flags it has in the
    organizations they may see (``active_flags``).

    The count is a correlated subquery, so the database computes it only for the rows of the
    page being shown.
    """
    count = Subquery(
        Flag.objects.visible_to(user)
        .filter(advisory=OuterRef("pk"), status__in=ACTIVE_FLAG_STATUSES)
        .order_by()
        .values("advisory")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )
    return (
        advisories_visible_to(user=user)
        .select_related("source")
        .annotate(active_flags=Coalesce(count, Value(0)))
    )


@dataclass(frozen=True)
class OrganizationFlagged:
    """What an advisory has flagged in one organization."""

    pk: int
    name: str
    slug: str
    sector: str
    active: int
    items: int
    closed: int
    overdue: int


@dataclass(frozen=True)
class AdvisoryFlagged:
    """What an advisory has flagged across the organizations a user may see."""

    organizations: int
    items: int
    active: int
    rows: list[OrganizationFlagged]


def advisory_flag_impact(*, advisory: Advisory, user: Actor, today: date) -> AdvisoryFlagged:
    """Per organization the user may see: the advisory's active flags, the distinct items they
    are on, the flags already closed and the overdue ones, in two queries."""
    active = Q(status__in=ACTIVE_FLAG_STATUSES)
    grouped = list(
        Flag.objects.visible_to(user)
        .filter(advisory=advisory)
        .values("organization_id")
        .annotate(
            active=Count("pk", filter=active),
            items=Count("item_id", filter=active, distinct=True),
            closed=Count("pk", filter=~active),
            overdue=Count("pk", filter=active & Q(due_date__lt=today)),
        )
        .order_by("-active", "organization_id")
    )
    organizations = Organization.objects.in_bulk([row["organization_id"] for row in grouped])
    rows = [
        OrganizationFlagged(
            pk=row["organization_id"],
            name=organizations[row["organization_id"]].name,
            slug=organizations[row["organization_id"]].slug,
            sector=organizations[row["organization_id"]].get_sector_display(),
            active=row["active"],
            items=row["items"],
            closed=row["closed"],
            overdue=row["overdue"],
        )
        for row in grouped
    ]
    return AdvisoryFlagged(
        organizations=sum(1 for row in rows if row.active),
        items=sum(row.items for row in rows),
        active=sum(row.active for row in rows),
        rows=rows,
    )


@dataclass(frozen=True)
class AdvisoryFlagCounts:
    """An advisory's flags in the organizations a user may see, counted."""

    organizations: int
    items: int
    active: int
    overdue: int
    closed: int


def advisory_flag_counts(*, advisory_id: int, user: Actor, today: date) -> AdvisoryFlagCounts:
    """The totals of ``advisory_flag_impact`` in one aggregate: organizations with active flags,
    the distinct items those flags are on, active, overdue and closed flags."""
    active = Q(status__in=ACTIVE_FLAG_STATUSES)
    counts = (
        Flag.objects.visible_to(user)
        .filter(advisory_id=advisory_id)
        .aggregate(
            organizations=Count("organization_id", filter=active, distinct=True),
            # An advisory flags an item once (flag_unique_advisory_item): its active flags'
            # items need no DISTINCT, which would sort them.
            items=Count("item_id", filter=active),
            active=Count("pk", filter=active),
            overdue=Count("pk", filter=active & Q(due_date__lt=today)),
            # Every flag not active is closed; a plain count is cheaper to build than a
            # third condition.
            flags=Count("pk"),
        )
    )
    flags = counts.pop("flags")
    return AdvisoryFlagCounts(**counts, closed=flags - counts["active"])


# --- What a draft would flag ---------------------------------------------------------------


@dataclass(frozen=True)
class ImpactItem:
    """An item an advisory would flag."""

    id: int
    label: str
    confidence: str
    priority: int
    possible_reason: str
    # The item's ASSET_FIELDS, which tell apart the items of one product.
    asset: dict[str, Any] | None = None


@dataclass(frozen=True)
class OrganizationImpact:
    """One organization an advisory would flag: how many items, and a few of them."""

    organization_id: int
    name: str
    item_count: int
    possible_count: int
    sample_items: tuple[ImpactItem, ...]


@dataclass(frozen=True)
class AdvisoryImpact:
    """What an advisory would flag among the organizations a user may see."""

    organization_count: int
    item_count: int
    possible_count: int
    organizations: tuple[OrganizationImpact, ...]
    targets_needing_review: int


def advisory_impact(*, advisory: Advisory, user: Actor, samples: int = 5) -> AdvisoryImpact:
    """Preview an advisory (typically a draft): the organizations and items it would flag.

    The matching engine computes it exactly as a real run would, in dry-run mode (no writes),
    limited to the organizations ``user`` may see; organizations come most-affected first,
    each with up to ``samples`` of its items. Targets that need review match nothing and are
    counted so the editor knows the preview is incomplete.
    """
    needing_review = advisory.targets.filter(needs_review=True).count()
    visible_ids = organization_ids(user)
    in_scope: tuple[int, ...] | None = None
    if visible_ids is not None:
        # The ids themselves rather than a subquery: the dry run's statement names the
        # organizations in each of its branches, and a list of constants is cheaper for
        # PostgreSQL to plan than a subquery repeated in each (about a millisecond).
        in_scope = tuple(sorted(visible_ids))
        if not in_scope:
            return AdvisoryImpact(0, 0, 0, (), needing_review)
    rows = preview_scope(
        Scope(
            advisory_ids=(advisory.pk,),
            organization_ids=in_scope,
            include_unpublished=True,
        ),
        samples=samples,
    )
    assets = {
        values["pk"]: values
        for values in InventoryItem.objects.filter(pk__in=[row.item_id for row in rows]).values(
            "pk", *ASSET_FIELDS
        )
    }
    grouped: dict[int, OrganizationImpact] = {}
    for row in rows:
        item = ImpactItem(
            row.item_id,
            row.label,
            row.confidence,
            row.priority,
            row.possible_reason,
            assets.get(row.item_id),
        )
        known = grouped.get(row.organization_id)
        grouped[row.organization_id] = OrganizationImpact(
            organization_id=row.organization_id,
            name=row.organization_name,
            item_count=row.organization_item_count,
            possible_count=row.organization_possible_count,
            sample_items=(*(known.sample_items if known else ()), item),
        )
    impacts = tuple(grouped.values())
    return AdvisoryImpact(
        organization_count=len(impacts),
        item_count=sum(impact.item_count for impact in impacts),
        possible_count=sum(impact.possible_count for impact in impacts),
        organizations=impacts,
        targets_needing_review=needing_review,
    )


def flags_for_advisory(*, advisory: Advisory, user: Actor) -> QuerySet[Flag, Any]:
    """The flags an advisory raised in the organizations ``user`` may see, most urgent first."""
    return (
        Flag.objects.visible_to(user)
        .filter(advisory=advisory)
        .select_related("organization", "item", "matched_target")
        .order_by("-priority", "due_date", "organization__name", "pk")
    )


@dataclass(frozen=True)
class ExposureSummary:
    """An organization's flags at a glance."""

    active: int
    possible: int
    overdue: int
    highest_priority: int | None
    by_status: dict[str, int]
    active_by_severity: dict[str, int]


def org_exposure_summary(*, organization: Organization, user: Actor) -> ExposureSummary:
    """Counts of an organization's flags by status, and of its active ones by severity; all
    zero for a user who may not see the organization."""
    flags = Flag.objects.visible_to(user).filter(organization=organization)
    active = Q(status__in=ACTIVE_FLAG_STATUSES)
    today = timezone.localdate()
    totals = flags.aggregate(
        active=Count("pk", filter=active),
        possible=Count("pk", filter=active & Q(confidence=Confidence.POSSIBLE)),
        overdue=Count("pk", filter=active & Q(due_date__lt=today)),
        highest_priority=Max("priority", filter=active),
        **{f"status_{status}": Count("pk", filter=Q(status=status)) for status in FlagStatus},
        **{
            f"severity_{severity}": Count("pk", filter=active & Q(advisory__severity=severity))
            for severity in Severity
        },
    )
    return ExposureSummary(
        active=totals["active"],
        possible=totals["possible"],
        overdue=totals["overdue"],
        highest_priority=totals["highest_priority"],
        by_status={status.value: totals[f"status_{status}"] for status in FlagStatus},
        active_by_severity={
            severity.value: totals[f"severity_{severity}"] for severity in Severity
        },
    )


def match_runs_recent(
    *, user: Actor, kind: MatchRunKind | None = None, limit: int = 50
) -> QuerySet[MatchRun, Any]:
    """The latest matching runs (not their chunks), newest first; for platform readers only
    (runs span every organization), nothing for anyone else."""
    if not sees_all_organizations(user):
        return MatchRun.objects.none()
    runs = MatchRun.objects.filter(parent=None)
    if kind is not None:
        runs = runs.filter(kind=kind)
    return runs.order_by("-created_at", "-pk")[:limit]


def advisory_match_progress(*, user: Actor, advisory: Advisory) -> MatchRun | None:
    """The latest matching run of the advisory, annotated with its progress
    (``MatchRun.objects.with_progress``); for platform readers only, as every run (its flags
    so far span every organization), None for anyone else."""
    if not sees_all_organizations(user):
        return None
    return (
        MatchRun.objects.with_progress()
        .filter(kind=MatchRunKind.ADVISORY, parent=None, advisory_ids__contains=[advisory.pk])
        .order_by("-created_at", "-pk")
        .first()
    )


# --- The pages of organizations and flags ---------------------------------------------------

# What a flag row shows of its advisory; the rest (summary, the imported source document,
# which can be large) is left out of the join.
_ADVISORY_COLUMNS = (
    "advisory__identifier",
    "advisory__title",
    "advisory__severity",
    "advisory__kind",
    "advisory__status",
)


def _count(queryset: QuerySet[Any, Any], outer: str, *, only: Q | None = None) -> Coalesce:
    """A correlated count of ``queryset``'s rows whose ``outer`` is the outer row (and, with
    ``only``, that meet it).

    Correlated, so that a list page computes it only for the rows it shows (PostgreSQL
    evaluates it after the LIMIT unless the list is sorted by it). It counts the ``outer``
    column rather than the primary key, so that an index that starts with that column answers
    it without reading the table. ``only`` is a FILTER on the count rather than a condition,
    so that the database still finds the rows by that index: as a condition on the due date,
    PostgreSQL would intersect it with the (status, due date) index of every flag.
    """
    counted = (
        queryset.filter(**{outer: OuterRef("pk")})
        .order_by()
        .values(outer)
        .annotate(n=Count(outer, filter=only))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def organizations_exposure_list(*, user: Actor) -> QuerySet[Organization, Any]:
    """The organizations ``user`` may see, each with its item count, active flags and overdue
    flags, for the organization list."""
    active = Flag.objects.of_readable_advisories(user).filter(status__in=ACTIVE_FLAG_STATUSES)
    return Organization.objects.visible_to(user).annotate(
        item_count=_count(InventoryItem.objects.all(), "organization"),
        active_flags=_count(active, "organization"),
        overdue_flags=_count(active, "organization", only=Q(due_date__lt=timezone.localdate())),
    )


def flags_most_urgent(*, organization: Organization, user: Actor, limit: int = 10) -> list[Flag]:
    """The organization's active flags that need work first: highest priority, then the
    earliest due date."""
    return list(
        Flag.objects.visible_to(user)
        .filter(organization=organization, status__in=ACTIVE_FLAG_STATUSES)
        .select_related("advisory", "assignee", "item")
        .only(
            "item_id",
            *(f"item__{name}" for name in ASSET_FIELDS),
            "status",
            "priority",
            "due_date",
            "item_label",
            "confidence",
            "possible_reason",
            "assignee__username",
            "assignee__first_name",
            "assignee__last_name",
            *_ADVISORY_COLUMNS,
        )
        .order_by("-priority", "due_date", "pk")[:limit]
    )


def flags_overdue(
    *, organization: Organization, user: Actor, today: date, limit: int = 50
) -> list[Flag]:
    """The organization's active flags past their due date, the longest overdue first."""
    return list(
        Flag.objects.visible_to(user)
        .filter(organization=organization, status__in=ACTIVE_FLAG_STATUSES, due_date__lt=today)
        .select_related("advisory")
        .defer("advisory__raw_document")
        .order_by("due_date", "-priority", "pk")[:limit]
    )


@dataclass(frozen=True)
class AdvisoryExposure:
    """One advisory among an organization's active flags."""

    advisory: Advisory
    active: int
    overdue: int


def advisories_affecting(
    *, organization: Organization, user: Actor, limit: int = 10
) -> list[AdvisoryExposure]:
    """The advisories behind most of the organization's active flags, with the counts."""
    rows = list(
        Flag.objects.visible_to(user)
        .filter(organization=organization, status__in=ACTIVE_FLAG_STATUSES)
        .order_by()
        .values("advisory")
        .annotate(
            active=Count("pk"),
            overdue=Count("pk", filter=Q(due_date__lt=timezone.localdate())),
        )
        .order_by("-active", "advisory")[:limit]
    )
    advisories = Advisory.objects.defer("raw_document", "summary", "action_details").in_bulk(
        [row["advisory"] for row in rows]
    )
    return [
        AdvisoryExposure(advisories[row["advisory"]], row["active"], row["overdue"]) for row in rows
    ]


def inventory_with_exposure(
    *, organization: Organization | None, user: Actor
) -> QuerySet[InventoryItem, Any]:
    """The organization's inventory (``None``: of every organization ``user`` may see) for a
    list page: each item with its catalogue product and its count of active flags."""
    items = InventoryItem.objects.visible_to(user)
    if organization is not None:
        items = items.filter(organization=organization)
    return items.select_related("organization", "product__vendor").annotate(
        active_flags=_count(
            Flag.objects.of_readable_advisories(user).filter(status__in=ACTIVE_FLAG_STATUSES),
            "item",
        )
    )


# The advisory's EPSS score to sort flags by; an advisory without one sorts below every score
# (a NULL would come first in a descending sort, before the flags most likely exploited).
EPSS_ORDER = Coalesce(F("advisory__epss"), Value(-1.0))


def flag_list(*, user: Actor, by_epss: bool = False) -> QuerySet[Flag, Any]:
    """The flags ``user`` may see, for the triage list to filter and sort; ``by_epss`` adds the
    ``epss_rank`` to sort by.

    It joins nothing a filter or the sort does not ask for (the rank needs the advisory, so
    it is there only when asked; the severity sort orders by the advisory's column, which
    the count leaves out): the rows of a page are loaded with what they show by
    :class:`FlagRows`.
    """
    flags = Flag.objects.visible_to(user)
    if by_epss:
        flags = flags.annotate(epss_rank=EPSS_ORDER)
    return flags


class FlagRows(Sequence[Flag]):
    """The rows of a filtered, ordered flag list, for a ``Paginator``: the page's ids first,
    from the flag table alone, then those flags with their advisory, organization, assignee
    and item.

    Ordering first and joining after is what keeps the list fast over hundreds of thousands
    of flags: PostgreSQL otherwise joins every matching flag to its advisory and organization
    before it sorts them, to keep fifty.
    """

    # What Paginator checks before it warns of an unordered list: the rows come in the
    # queryset's order.
    ordered = True

    def __init__(self, queryset: QuerySet[Flag, Any], *, user: Actor) -> None:
        self.queryset = queryset
        self.user = user

    def __len__(self) -> int:
        # Paginator asks for the length once; it is a COUNT in the database.
        return self.queryset.count()

    @overload
    def __getitem__(self, index: int) -> Flag: ...

    @overload
    def __getitem__(self, index: slice) -> list[Flag]: ...

    def __getitem__(self, index: int | slice) -> Flag | list[Flag]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        ids = list(self.queryset.values_list("pk", flat=True)[index])
        flags = (
            Flag.objects.visible_to(self.user)
            .select_related("advisory", "organization", "assignee", "item")
            .defer(
                "advisory__raw_document",
                "advisory__summary",
                "advisory__action_details",
                "item__notes",
            )
            .in_bulk(ids)
        )
        return [flags[pk] for pk in ids if pk in flags]


def flag_for_page(*, user: Actor, pk: int) -> Flag:
    """One flag ``user`` may see, with everything its page shows; ``Flag.DoesNotExist`` for a
    flag of an organization the user may not see, exactly as for one that does not exist."""
    return (
        Flag.objects.visible_to(user)
        .select_related(
            "advisory__source",
            "organization",
            "item__product__vendor",
            "assignee",
            "matched_target__vendor",
            "matched_target__product",
        )
        .defer("advisory__raw_document")
        .get(pk=pk)
    )


def flags_on_same_item(*, flag: Flag, user: Actor) -> QuerySet[Flag, Any]:
    """The other flags ``user`` may see on ``flag``'s inventory item: the other advisories
    that flag it, open ones and the most severe first."""
    if flag.item_id is None:
        return Flag.objects.none()
    return (
        Flag.objects.visible_to(user)
        .filter(item_id=flag.item_id)
        .exclude(pk=flag.pk)
        .select_related("advisory__source")
        .defer("advisory__raw_document")
        .order_by("-priority", "-pk")
    )


def flag_history(*, flag: Flag) -> QuerySet[FlagEvent, Any]:
    """Every change of the flag, oldest first, with who made it."""
    return flag.events.select_related("actor").order_by("created_at", "pk")


# --- Affected assets: the inventory item as the unit of work --------------------------------


def item_active_flag_ids(*, user: Actor, item_ids: Sequence[int]) -> list[int]:
    """The active flags ``user`` may see on the items ``item_ids``, most urgent first."""
    return list(
        Flag.objects.visible_to(user)
        .filter(item_id__in=item_ids, status__in=ACTIVE_FLAG_STATUSES)
        .order_by("-priority", "due_date", "pk")
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class AssetRow:
    """An inventory item with the flags of a filtered flag list that are on it."""

    item: InventoryItem
    flag_count: int
    top_priority: int
    next_due: date | None
    # The item's flags of the list, most urgent first.
    flags: tuple[Flag, ...]


# How many candidate items of a page of affected assets are named to the database one by one.
_CANDIDATES_NAMED = 5000


class AssetRows(Sequence[AssetRow]):
    """A filtered flag list grouped by inventory item, for a ``Paginator``: one row per item,
    the item with the most urgent flag first.

    The groups of a page are aggregated over the flags of the items that can be on it (see
    ``_page_groups``), then the page's items and their flags are loaded for the page alone
    (two queries), so a page costs the same whatever the list's length.
    """

    ordered = True

    def __init__(self, flags: QuerySet[Flag, Any], *, user: Actor) -> None:
        self.flags = flags.filter(item__isnull=False)
        self.user = user

    @cached_property
    def total(self) -> int:
        return _item_groups(self.flags).count()

    def __len__(self) -> int:
        return self.total

    @overload
    def __getitem__(self, index: int) -> AssetRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[AssetRow]: ...

    def __getitem__(self, index: int | slice) -> AssetRow | list[AssetRow]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        start, stop, _step = index.indices(self.total)
        groups = self._page_groups(start, stop)
        ids = [group["item_id"] for group in groups]
        items = (
            InventoryItem.objects.visible_to(self.user)
            .select_related("organization", "product__vendor")
            .defer("notes")
            .in_bulk(ids)
        )
        flags: dict[int, list[Flag]] = {pk: [] for pk in ids}
        for flag in (
            self.flags.filter(item_id__in=ids)
            .select_related("advisory")
            .only("item_id", "status", "priority", "due_date", "confidence", *_ADVISORY_COLUMNS)
            .order_by("-priority", "due_date", "pk")
        ):
            flags[flag.item_id].append(flag)  # type: ignore[index]
        return [
            AssetRow(
                item=items[group["item_id"]],
                flag_count=group["n"],
                top_priority=group["top"],
                next_due=group["due"],
                flags=tuple(flags[group["item_id"]]),
            )
            for group in groups
            if group["item_id"] in items
        ]

    def _page_groups(self, start: int, stop: int) -> list[dict[str, Any]]:
        """The groups from ``start`` to ``stop``, aggregated over the likely candidates first.

        Grouping every active flag by item costs hundreds of milliseconds over a big list.
        But the first ``stop`` items are among those with a flag at least as urgent as the
        list's ``stop``-th flag by priority, provided there are ``stop`` of those: then every
        other item's top priority is lower. When flags crowd on few items and there are not,
        all of them are grouped.
        """
        if stop <= start:
            return []
        # A constant, not a subquery: PostgreSQL then plans for the few candidates it names.
        # (None when flags went away since the list was counted: then all are grouped.)
        threshold = (
            self.flags.order_by("-priority").values_list("priority", flat=True)[stop - 1 : stop]
        ).first()
        groups: list[dict[str, Any]] = []
        if threshold is not None:
            # The candidates' ids as constants too: for a subquery the planner guesses their
            # number and may hash every active flag instead of reading the candidates' own from
            # the item index. Past a few thousand, constants cost more than the guess.
            urgent = self.flags.filter(priority__gte=threshold).values_list("item_id", flat=True)
            named = list(urgent.order_by()[: _CANDIDATES_NAMED + 1])
            candidates = sorted(set(named)) if len(named) <= _CANDIDATES_NAMED else urgent
            groups = list(_item_groups(self.flags.filter(item_id__in=candidates))[start:stop])
        if len(groups) < stop - start:
            groups = list(_item_groups(self.flags)[start:stop])
        return groups


def _item_groups(flags: QuerySet[Flag, Any]) -> QuerySet[Any, Any]:
    """``flags`` by item, the item with the most urgent flag first: how many, the top
    priority, the next due date."""
    return (
        flags.order_by()
        .values("item_id")
        # COUNT(*), not of the key: the index holds no id (``flag_item_idx``).
        .annotate(n=Count("*"), top=Max("priority"), due=Min("due_date"))
        .order_by("-top", F("due").asc(nulls_last=True), "item_id")
    )


def item_for_page(*, user: Actor, organization: Organization, pk: int) -> InventoryItem:
    """One item of ``organization`` that ``user`` may see, with its catalogue product;
    ``InventoryItem.DoesNotExist`` otherwise."""
    return (
        InventoryItem.objects.visible_to(user)
        .select_related("organization", "product__vendor")
        .get(organization=organization, pk=pk)
    )


def item_flags(*, item: InventoryItem, user: Actor) -> list[Flag]:
    """Every flag of the item, the active ones first, then by priority."""
    active_first = Case(
        When(status__in=ACTIVE_FLAG_STATUSES, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return list(
        Flag.objects.visible_to(user)
        .filter(item=item)
        .select_related("advisory", "assignee")
        .defer("advisory__raw_document", "advisory__summary", "advisory__action_details")
        .order_by(active_first, "-priority", "due_date", "pk")
    )


ITEM_HISTORY_ROWS = 100


def item_history(*, item: InventoryItem, user: Actor) -> list[FlagEvent]:
    """The latest changes of the item's flags, newest first, with who made them."""
    return list(
        FlagEvent.objects.visible_to(user)
        .filter(flag__item=item)
        .select_related("actor", "flag__advisory")
        .defer("flag__advisory__raw_document", "flag__advisory__summary")
        .order_by("-created_at", "-pk")[:ITEM_HISTORY_ROWS]
    )


def flags_assigned(*, user: Actor) -> QuerySet[Flag, Any]:
    """The flags given to ``user`` that still ask for work, the ones falling due first at the
    top (overdue ones first of all), then the most urgent."""
    return (
        Flag.objects.visible_to(user)
        .filter(assignee_id=user.pk, status__in=ACTIVE_FLAG_STATUSES)
        .order_by(F("due_date").asc(nulls_last=True), "-priority", "pk")
    )


def flags_overdue_unassigned(*, user: Actor, today: date) -> QuerySet[Flag, Any]:
    """Overdue flags nobody has taken, in the organizations where ``user`` triages: the work
    they could pick up next, the longest overdue first."""
    return (
        Flag.objects.with_role(user, Role.ANALYST)
        .filter(assignee__isnull=True, status__in=ACTIVE_FLAG_STATUSES, due_date__lt=today)
        .order_by("due_date", "-priority", "pk")
    )


@dataclass(frozen=True)
class ImportFlags:
    """What an inventory import brought to light: the flags first raised on its items since
    it began, and whether some of its items still wait to be matched."""

    created: int
    matching: bool


def flags_from_import(*, job: ImportJob, user: Actor) -> ImportFlags:
    """The flags an import created, as far as ``user`` may see them: flags first seen since
    the import began, on the items of its organization that came from its kind of file.
    Its items are matched after it commits, by a worker when there is one, so the count
    grows until ``matching`` is false."""
    if job.started_at is None or job.status != ImportStatus.SUCCEEDED:
        return ImportFlags(created=0, matching=False)
    items = InventoryItem.objects.visible_to(user).filter(
        organization_id=job.organization_id, source=IMPORT_SOURCES[job.file_format]
    )
    created = (
        Flag.objects.visible_to(user)
        .filter(
            organization_id=job.organization_id,
            item__in=items.values("pk"),
            first_seen_at__gte=job.started_at,
        )
        .count()
    )
    matching = items.filter(match_requested_at__isnull=False).exists()
    return ImportFlags(created=created, matching=matching)
