"""Matching runs: what each kind of run covers, its locks, its pending markers, its record.

Every run takes its locks (``engine.locks``), opens one REPEATABLE READ transaction, reads the
``match_requested_at`` markers it is responsible for, matches (``engine.match_scope``), clears
those markers only where they are not newer than what it read (``<= read_at``, so a change
committed during the run stays pending), and records a :class:`MatchRun` — all in that
transaction. A run that fails is recorded as failed in a transaction of its own and the error
is re-raised for the task to retry; a run that finds a lock held raises ``MatchingBusy``.

Kinds of run:

* **advisory** — the advisories waiting to be matched (published or withdrawn) against
  every item, in one run (split into one run per advisory only if that fails);
* **organization** — an organization's marked items, and its flags whose item was deleted,
  against every advisory;
* **catalogue** — after a vendor or product changed: re-resolve the unresolved items it
  concerns, then re-match (a) the advisories whose result can depend on vendor names,
  countries or ownership against every item, and (b) every advisory against the changed
  products' items;
* **full** — a periodic safety net, split into **chunks** of whole organizations that any
  number of workers share; each chunk is a row that its worker claims inside its transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from advisories.choices import AdvisoryStatus, TargetKind
from advisories.models import Advisory
from exposure.choices import (
    FlagEventKind,
    FlagStatus,
    MatchRunKind,
    MatchRunStatus,
    ResolutionReason,
)
from exposure.engine import MatchCounts, MatchingBusy, Scope, match_scope
from exposure.engine.locks import matching_locks, matching_transaction
from exposure.models import Flag, FlagEvent, MatchRun
from orgs.models import InventoryItem, Organization
from orgs.resolution import items_resolve
from vendors.match_requests import (
    MATCH_ADVISORIES,
    MATCH_CATALOGUE,
    MATCH_ORGANIZATION,
    matching_request_on_commit,
    matching_request_send,
)
from vendors.models import Product, ProductAlias, Vendor, VendorAlias

logger = logging.getLogger(__name__)

MATCH_CHUNK = "exposure.match_chunk"


@dataclass
class _RunRecord:
    """What is known about a run while it happens."""

    kind: MatchRunKind
    advisory_ids: list[int] = field(default_factory=list)
    organization_ids: list[int] = field(default_factory=list)
    vendor_ids: list[int] = field(default_factory=list)
    product_ids: list[int] = field(default_factory=list)
    started_at: datetime = field(default_factory=timezone.now)
    clock: float = field(default_factory=time.monotonic)

    def values(
        self, counts: MatchCounts, status: MatchRunStatus, error: str = ""
    ) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": status,
            "advisory_ids": self.advisory_ids,
            "organization_ids": self.organization_ids,
            "vendor_ids": self.vendor_ids,
            "product_ids": self.product_ids,
            "started_at": self.started_at,
            "finished_at": timezone.now(),
            "duration": timedelta(seconds=time.monotonic() - self.clock),
            "items_considered": counts.items_considered,
            "flags_created": counts.created,
            "flags_updated": counts.updated,
            "flags_resolved": counts.resolved,
            "flags_reopened": counts.reopened,
            "error": error[:10_000],
        }


@contextmanager
def _failures_recorded(record: _RunRecord) -> Iterator[None]:
    """Record a run that raised as failed (outside its rolled-back transaction), then re-raise."""
    try:
        yield
    except MatchingBusy:
        raise
    except Exception as error:
        with transaction.atomic():
            MatchRun.objects.create(
                **record.values(
                    MatchCounts(), MatchRunStatus.FAILED, f"{type(error).__name__}: {error}"
                )
            )
        logger.exception("matching run failed: %s", record.kind)
        raise


def _succeeded(record: _RunRecord, counts: MatchCounts) -> MatchRun:
    return MatchRun.objects.create(**record.values(counts, MatchRunStatus.SUCCEEDED))


# --- advisories ------------------------------------------------------------------------------


def advisories_match(*, advisory_ids: Sequence[int]) -> list[MatchRun]:
    """Match every advisory waiting to be matched (the given ones among them) in one run.

    A burst of publishes (a feed import) is thus one set-based run, by whichever task gets the
    lock first; the later tasks find nothing waiting. If that run fails, each advisory is
    retried in a run of its own, so that one bad advisory does not hold back the others; the
    first error is then re-raised. ``advisory_ids`` name the advisories that asked, so that
    they go first if the run has to be split.
    """
    with matching_locks(exclusive=True):
        waiting = list(
            Advisory.objects.filter(match_requested_at__isnull=False)
            .order_by("match_requested_at", "pk")
            .values_list("pk", flat=True)
        )
        if not waiting:
            return []
        try:
            run = _advisories_run(waiting)
        except Exception:
            if len(waiting) == 1:
                raise
        else:
            return [run] if run is not None else []
        asked = [pk for pk in advisory_ids if pk in waiting]
        runs: list[MatchRun] = []
        failure: Exception | None = None
        for pk in [*asked, *(pk for pk in waiting if pk not in asked)]:
            try:
                single = _advisories_run([pk])
            except Exception as error:  # recorded by the run; re-raised below
                failure = failure or error
                continue
            if single is not None:
                runs.append(single)
    if failure is not None:
        raise failure
    return runs


def _advisories_run(advisory_ids: list[int]) -> MatchRun | None:
    record = _RunRecord(MatchRunKind.ADVISORY, advisory_ids=sorted(advisory_ids))
    with _failures_recorded(record), matching_transaction():
        read = _waiting(Advisory.objects.filter(pk__in=advisory_ids))
        if not read:
            return None
        record.advisory_ids = sorted(read)
        counts = match_scope(Scope(advisory_ids=tuple(sorted(read))), now=timezone.now())
        Advisory.objects.filter(
            pk__in=list(read), match_requested_at__lte=max(read.values())
        ).update(match_requested_at=None)
        return _succeeded(record, counts)


# --- organizations ---------------------------------------------------------------------------


def organization_match(*, organization_id: int) -> MatchRun | None:
    """Match an organization's marked items against every advisory, and resolve its flags
    whose item was deleted. None when there was nothing to do."""
    record = _RunRecord(MatchRunKind.ORGANIZATION, organization_ids=[organization_id])
    with (
        matching_locks(exclusive=False, organization_ids=[organization_id]),
        _failures_recorded(record),
        matching_transaction(),
    ):
        read_at = InventoryItem.objects.filter(
            organization_id=organization_id, match_requested_at__isnull=False
        ).aggregate(last=Max("match_requested_at"))["last"]
        orphans = (
            Flag.objects.filter(organization_id=organization_id, item=None)
            .exclude(status=FlagStatus.RESOLVED)
            .exists()
        )
        if read_at is None and not orphans:
            return None
        now = timezone.now()
        scope = Scope(organization_ids=(organization_id,), pending_until=read_at or now)
        counts = match_scope(scope, now=now)
        if read_at is not None:
            InventoryItem.objects.filter(
                organization_id=organization_id, match_requested_at__lte=read_at
            ).update(match_requested_at=None)
        return _succeeded(record, counts)


# --- catalogue -------------------------------------------------------------------------------


def catalogue_match(
    *, vendor_ids: Sequence[int] = (), product_ids: Sequence[int] = ()
) -> MatchRun | None:
    """Re-resolve and re-match after catalogue changes (every waiting vendor and product,
    the given ones among them). None when nothing was waiting."""
    record = _RunRecord(MatchRunKind.CATALOGUE)
    with matching_locks(exclusive=True), _failures_recorded(record), matching_transaction():
        vendors = _waiting(Vendor.objects.filter(match_requested_at__isnull=False))
        products = _waiting(Product.objects.filter(match_requested_at__isnull=False))
        if not vendors and not products:
            return None
        record.vendor_ids, record.product_ids = sorted(vendors), sorted(products)
        now = timezone.now()
        resolved = items_resolve(items=_items_to_resolve(vendors, products), now=now)
        counts = MatchCounts()
        if vendors:
            advisories = _advisories_depending_on_vendors(list(vendors))
            if advisories:
                counts.add(match_scope(Scope(advisory_ids=advisories), now=now))
        if products:
            counts.add(match_scope(Scope(product_ids=tuple(sorted(products))), now=now))
        if vendors:
            Vendor.objects.filter(
                pk__in=list(vendors), match_requested_at__lte=max(vendors.values())
            ).update(match_requested_at=None)
        if products:
            Product.objects.filter(
                pk__in=list(products), match_requested_at__lte=max(products.values())
            ).update(match_requested_at=None)
        # Items that now resolve were marked by the resolution; their organizations match them.
        for organization_id in sorted({organization_id for _item, organization_id in resolved}):
            matching_request_on_commit(MATCH_ORGANIZATION, organization_id)
        return _succeeded(record, counts)


def _waiting(rows: Any) -> dict[int, datetime]:
    """``{pk: match_requested_at}`` of the marked rows among ``rows``."""
    return {pk: marked for pk, marked in rows.values_list("pk", "match_requested_at") if marked}


def _items_to_resolve(vendors: dict[int, Any], products: dict[int, Any]) -> Any:
    """Unresolved items that a changed vendor's or product's names or identifiers may name."""
    vendor_names = set(
        Vendor.objects.filter(pk__in=list(vendors)).values_list("normalized_name", flat=True)
    ) | set(
        VendorAlias.objects.filter(vendor_id__in=list(vendors)).values_list(
            "normalized_name", flat=True
        )
    )
    changed_products = Product.objects.filter(
        Q(pk__in=list(products)) | Q(vendor_id__in=list(vendors))
    )
    product_names = set(changed_products.values_list("normalized_name", flat=True)) | set(
        ProductAlias.objects.filter(product__in=changed_products).values_list(
            "normalized_name", flat=True
        )
    )
    named = Q(normalized_vendor__in=vendor_names) | Q(normalized_product__in=product_names)
    for cpe_vendor, cpe_product, purl_type, purl_namespace, purl_name in changed_products.filter(
        pk__in=list(products)
    ).values_list("cpe_vendor", "cpe_product", "purl_type", "purl_namespace", "purl_name"):
        if cpe_vendor and cpe_product:
            named |= Q(cpe_vendor=cpe_vendor, cpe_product=cpe_product)
        if purl_type and purl_name:
            named |= Q(purl_type=purl_type, purl_namespace=purl_namespace, purl_name=purl_name)
    return InventoryItem.objects.filter(product=None).filter(named)


def _advisories_depending_on_vendors(vendor_ids: list[int]) -> tuple[int, ...]:
    """Published advisories whose matches follow vendor names, countries or ownership."""
    return tuple(
        Advisory.objects.filter(status=AdvisoryStatus.PUBLISHED)
        .filter(
            Q(targets__kind=TargetKind.JURISDICTION)
            | Q(targets__kind=TargetKind.VENDOR, targets__include_subsidiaries=True)
            | Q(targets__kind=TargetKind.VENDOR, targets__vendor_id__in=vendor_ids)
        )
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- full re-match ---------------------------------------------------------------------------


def full_rematch_plan(*, items_per_chunk: int | None = None) -> MatchRun:
    """Start a full re-match: a parent run and its PENDING chunks of whole organizations, each
    holding about ``items_per_chunk`` items. The caller dispatches one task per chunk."""
    size = items_per_chunk or settings.MATCHING_CHUNK_ITEMS
    # Grouping the items alone, with COUNT(*), reads the organization index only (COUNT(id)
    # read every row: 370 ms instead of 170 over 1,000,000 items); joining every organization
    # to its items cost a quarter of a steady-state full re-match.
    per_organization = dict(
        InventoryItem.objects.order_by()
        .values("organization_id")
        .annotate(items=Count("*"))
        .values_list("organization_id", "items")
    )
    # Organizations without items still get a chunk: their flags may need resolving.
    counts = [
        (pk, per_organization.get(pk, 0))
        for pk in Organization.objects.order_by("pk").values_list("pk", flat=True)
    ]
    chunks: list[tuple[list[int], int]] = []
    current: list[int] = []
    current_items = 0
    for organization_id, items in counts:
        current.append(organization_id)
        current_items += items
        if current_items >= size:
            chunks.append((current, current_items))
            current, current_items = [], 0
    if current:
        chunks.append((current, current_items))
    with transaction.atomic():
        parent = MatchRun.objects.create(
            kind=MatchRunKind.FULL,
            status=MatchRunStatus.RUNNING,
            started_at=timezone.now(),
            items_considered=sum(items for _organization, items in counts),
        )
        MatchRun.objects.bulk_create(
            MatchRun(
                kind=MatchRunKind.CHUNK,
                status=MatchRunStatus.PENDING,
                parent=parent,
                organization_ids=organization_ids,
                items_considered=items,
            )
            for organization_ids, items in chunks
        )
    return parent


def full_rematch_chunk(*, chunk_id: int) -> MatchRun | None:
    """Do one chunk, unless another worker did or is doing it (then None).

    The claim is a row lock taken with SKIP LOCKED inside the chunk's own transaction: if the
    worker dies, the transaction rolls back, the chunk is PENDING again and the task's
    redelivery (or the sweeper) claims it.
    """
    chunk = MatchRun.objects.filter(pk=chunk_id, kind=MatchRunKind.CHUNK).first()
    if chunk is None or chunk.status != MatchRunStatus.PENDING:
        return None
    started_at, clock = timezone.now(), time.monotonic()
    with matching_locks(exclusive=False, organization_ids=chunk.organization_ids):
        try:
            with matching_transaction():
                claimed = (
                    MatchRun.objects.select_for_update(skip_locked=True)
                    .filter(pk=chunk_id, status=MatchRunStatus.PENDING)
                    .first()
                )
                if claimed is None:
                    return None
                # The plan counted the chunk's items: counting them again would read the
                # chunk's whole share of the organization index once more.
                counts = match_scope(
                    Scope(organization_ids=tuple(claimed.organization_ids)),
                    now=timezone.now(),
                    items_considered=claimed.items_considered,
                )
                record = _RunRecord(
                    MatchRunKind.CHUNK,
                    organization_ids=claimed.organization_ids,
                    started_at=started_at,
                    clock=clock,
                )
                values = record.values(counts, MatchRunStatus.SUCCEEDED)
                values["items_considered"] = counts.items_considered
                for name, value in values.items():
                    setattr(claimed, name, value)
                claimed.save()
        except MatchingBusy:
            raise
        except Exception as error:
            MatchRun.objects.filter(pk=chunk_id).update(
                error=f"{type(error).__name__}: {error}"[:10_000]
            )
            raise
    _full_rematch_finish(claimed.parent_id)
    return claimed


def full_rematch_chunk_failed(*, chunk_id: int, error: str) -> None:
    """Give up on a chunk (its task ran out of retries) and let its full re-match finish."""
    MatchRun.objects.filter(pk=chunk_id, status=MatchRunStatus.PENDING).update(
        status=MatchRunStatus.FAILED, finished_at=timezone.now(), error=error[:10_000]
    )
    parent_id = MatchRun.objects.filter(pk=chunk_id).values_list("parent_id", flat=True).first()
    _full_rematch_finish(parent_id)


def _full_rematch_finish(parent_id: int | None) -> None:
    """Close the full re-match once no chunk is pending: add up its chunks' counts."""
    if parent_id is None:
        return
    chunks = MatchRun.objects.filter(parent_id=parent_id)
    if chunks.filter(status=MatchRunStatus.PENDING).exists():
        return
    totals = chunks.aggregate(
        created=Sum("flags_created"),
        updated=Sum("flags_updated"),
        resolved=Sum("flags_resolved"),
        reopened=Sum("flags_reopened"),
        started=Max("started_at"),
    )
    failed = chunks.filter(status=MatchRunStatus.FAILED).exists()
    parent = MatchRun.objects.filter(pk=parent_id, status=MatchRunStatus.RUNNING).first()
    if parent is None or parent.started_at is None:
        return
    finished = timezone.now()
    MatchRun.objects.filter(pk=parent_id, status=MatchRunStatus.RUNNING).update(
        status=MatchRunStatus.FAILED if failed else MatchRunStatus.SUCCEEDED,
        finished_at=finished,
        duration=finished - parent.started_at,
        flags_created=totals["created"] or 0,
        flags_updated=totals["updated"] or 0,
        flags_resolved=totals["resolved"] or 0,
        flags_reopened=totals["reopened"] or 0,
        error="Some chunks failed; see them." if failed else "",
    )


# --- deleted items --------------------------------------------------------------------------


def flags_resolve_for_deleted_items(*, items: QuerySet[InventoryItem, Any]) -> int:
    """Resolve ("item removed") the unresolved flags of items about to be deleted; return how
    many. Runs in the deleting transaction, so a flag never outlives its item unresolved; the
    flag keeps the item's label."""
    flags = Flag.objects.filter(item__in=items.order_by().values("pk")).exclude(
        status=FlagStatus.RESOLVED
    )
    rows = list(flags.select_for_update().values_list("pk", "status"))
    if not rows:
        return 0
    now = timezone.now()
    Flag.objects.filter(pk__in=[pk for pk, _status in rows]).update(
        status=FlagStatus.RESOLVED,
        resolution_reason=ResolutionReason.ITEM_REMOVED,
        resolved_at=now,
        status_changed_at=now,
        updated_at=now,
    )
    note = ResolutionReason.ITEM_REMOVED.label
    FlagEvent.objects.bulk_create(
        (
            FlagEvent(
                flag_id=pk,
                kind=FlagEventKind.RESOLVED,
                from_status=status,
                to_status=FlagStatus.RESOLVED,
                note=note,
            )
            for pk, status in rows
        ),
        batch_size=500,
    )
    return len(rows)


# --- the sweeper -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepReport:
    """What the sweeper re-sent."""

    advisories: int
    organizations: int
    catalogue: bool
    chunks: int


def pending_sweep(*, min_age: timedelta | None = None) -> SweepReport:
    """Re-send the matching work that is still marked pending after ``min_age``.

    Normally the task sent after commit has done it within seconds; what is left was lost to
    a broker outage or a crash. Younger markers are left alone, their task is on its way.
    """
    now = timezone.now()
    cutoff = now - (
        min_age if min_age is not None else timedelta(seconds=settings.MATCHING_SWEEP_MIN_AGE)
    )
    advisory_ids = list(
        Advisory.objects.filter(match_requested_at__lte=cutoff)
        .order_by("match_requested_at")
        .values_list("pk", flat=True)
    )
    if advisory_ids:
        matching_request_send(MATCH_ADVISORIES, advisory_ids)
    organization_ids = set(
        InventoryItem.objects.filter(match_requested_at__lte=cutoff)
        .values_list("organization_id", flat=True)
        .distinct()
    ) | set(
        Flag.objects.filter(item=None)
        .exclude(status=FlagStatus.RESOLVED)
        .values_list("organization_id", flat=True)
        .distinct()
    )
    for organization_id in sorted(organization_ids):
        matching_request_send(MATCH_ORGANIZATION, organization_id)
    vendor_ids = list(
        Vendor.objects.filter(match_requested_at__lte=cutoff).values_list("pk", flat=True)
    )
    product_ids = list(
        Product.objects.filter(match_requested_at__lte=cutoff).values_list("pk", flat=True)
    )
    if vendor_ids or product_ids:
        matching_request_send(MATCH_CATALOGUE, vendor_ids, product_ids)
    stale = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    chunk_ids = list(
        MatchRun.objects.filter(
            kind=MatchRunKind.CHUNK, status=MatchRunStatus.PENDING, created_at__lte=stale
        ).values_list("pk", flat=True)
    )
    for chunk_id in chunk_ids:
        matching_request_send(MATCH_CHUNK, chunk_id)
    return SweepReport(
        advisories=len(advisory_ids),
        organizations=len(organization_ids),
        catalogue=bool(vendor_ids or product_ids),
        chunks=len(chunk_ids),
    )
