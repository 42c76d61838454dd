"""Matching runs: what each kind of run covers, its locks, its pending markers, its record.

An organization run takes its locks (``engine.locks``), opens one REPEATABLE READ
transaction, reads the ``match_requested_at`` markers it is responsible for, matches
(``engine.match_scope``), clears those markers only where they are not newer than what it
read (``<= read_at``, so a change committed during the run stays pending), and records a
:class:`MatchRun` — all in that transaction. A run that fails is recorded as failed in a
transaction of its own and the error is re-raised for the task to retry; a run that finds a
lock held raises ``MatchingBusy``.

Runs that span organizations are **chunked**: a RUNNING parent run and PENDING chunks of
whole organizations (``MATCHING_CHUNK_ITEMS`` items each, or one chunk of every organization
when the advisories match no more items than that, counted), one task per chunk. A chunk takes the
shared matching lock and its organizations' locks, claims its row with SKIP LOCKED and
matches in one REPEATABLE READ transaction; the last chunk to finish closes the run and
clears the markers the run read (``MatchRun.requested_until``). A chunk whose statement
overruns the soft time limit is split in two.

Kinds of run:

* **advisory** — the advisories waiting to be matched (published or withdrawn) against
  every item, in one chunked run (one run per advisory after such a run failed);
* **organization** — an organization's marked items, and its flags whose item was deleted,
  against every advisory, in one piece;
* **catalogue** — after a vendor or product changed: re-resolve the unresolved items it
  concerns, then a chunked run re-matches (a) the advisories whose result can depend on
  vendor names, countries or ownership and (b) every advisory against the changed products'
  items;
* **full** — a periodic safety net: every advisory against every item, chunked.
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
from exposure.engine import (
    MatchCounts,
    MatchingBusy,
    Scope,
    count_hits,
    match_scope,
    statistics_after_run,
)
from exposure.engine.locks import (
    is_statement_timeout,
    matching_locks,
    matching_transaction,
    statement_time_limit,
)
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
    """Plan the advisories waiting to be matched (``advisories_plan``), send the chunks, and
    return the runs as they are after that (finished, when the chunks ran eagerly)."""
    runs = advisories_plan(advisory_ids=advisory_ids)
    _chunks_send(runs)
    return [MatchRun.objects.get(pk=run.pk) for run in runs]


def advisories_plan(*, advisory_ids: Sequence[int]) -> list[MatchRun]:
    """Plan one chunked run of every advisory waiting to be matched (the given ones among
    them); return the runs, their chunks pending.

    A burst of publishes (a feed import) is thus one set-based run, whose chunks of whole
    organizations any number of workers share. Advisories already in a run that is still
    going are left to it: when it finishes, one that changed meanwhile is asked for again.
    An advisory that was in a failed run of several advisories since it was marked is
    planned in a run of its own, so that one bad advisory does not hold back the others.
    ``advisory_ids`` name the advisories that asked; they go first.
    """
    with transaction.atomic():
        waiting = _waiting(
            Advisory.objects.select_for_update()
            .filter(match_requested_at__isnull=False)
            .order_by("match_requested_at", "pk")
        )
        running = _advisories_running()
        waiting = {pk: at for pk, at in waiting.items() if pk not in running}
        if not waiting:
            return []
        failed_together = _advisories_failed_together(since=min(waiting.values()))
        alone = [pk for pk in advisory_ids if pk in failed_together and pk in waiting]
        alone += sorted(pk for pk in waiting if pk in failed_together and pk not in alone)
        together = sorted(pk for pk in waiting if pk not in failed_together)
        groups = ([together] if together else []) + [[pk] for pk in alone]
        runs = [
            _run_plan(
                MatchRunKind.ADVISORY,
                advisory_ids=group,
                requested_until=max(waiting[pk] for pk in group),
                hits=_hits_up_to_a_chunk(group),
            )
            for group in groups
        ]
    return runs


def _hits_up_to_a_chunk(advisory_ids: list[int]) -> int | None:
    """The advisories' matches, counted up to one more than a chunk's items; None when they
    cannot be counted (a target the engine has no rule for: the run's chunk fails and records
    why)."""
    try:
        return count_hits(
            Scope(advisory_ids=tuple(advisory_ids)), up_to=settings.MATCHING_CHUNK_ITEMS
        )
    except ValueError:
        return None


def _advisories_running() -> set[int]:
    """Advisories in an advisory run that has not finished."""
    return {
        pk
        for ids in MatchRun.objects.filter(
            kind=MatchRunKind.ADVISORY, parent=None, status=MatchRunStatus.RUNNING
        ).values_list("advisory_ids", flat=True)
        for pk in ids
    }


def _advisories_failed_together(*, since: datetime) -> set[int]:
    """Advisories of failed advisory runs of several advisories planned after ``since``."""
    return {
        pk
        for ids in MatchRun.objects.filter(
            kind=MatchRunKind.ADVISORY,
            parent=None,
            status=MatchRunStatus.FAILED,
            created_at__gte=since,
        ).values_list("advisory_ids", flat=True)
        if len(ids) > 1
        for pk in ids
    }


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
    """Re-resolve the items a catalogue change concerns, then plan a chunked run that
    re-matches (a) the advisories whose result can depend on vendor names, countries or
    ownership and (b) every advisory against the changed products' items; every waiting
    vendor and product (the given ones among them) is covered. Return the planned run, None
    when nothing was waiting or a catalogue run is still going (its end asks again)."""
    with matching_locks(exclusive=True), transaction.atomic():
        if MatchRun.objects.filter(
            kind=MatchRunKind.CATALOGUE, parent=None, status=MatchRunStatus.RUNNING
        ).exists():
            return None
        vendors = _waiting(
            Vendor.objects.select_for_update().filter(match_requested_at__isnull=False)
        )
        products = _waiting(
            Product.objects.select_for_update().filter(match_requested_at__isnull=False)
        )
        if not vendors and not products:
            return None
        # The resolution writes items: the exclusive lock keeps organization runs out meanwhile.
        resolved = items_resolve(items=_items_to_resolve(vendors, products), now=timezone.now())
        run = _run_plan(
            MatchRunKind.CATALOGUE,
            advisory_ids=_advisories_depending_on_vendors(list(vendors)) if vendors else (),
            vendor_ids=sorted(vendors),
            product_ids=sorted(products),
            requested_until=max([*vendors.values(), *products.values()]),
        )
        # Items that now resolve were marked by the resolution; their organizations match them.
        for organization_id in sorted({organization_id for _item, organization_id in resolved}):
            matching_request_on_commit(MATCH_ORGANIZATION, organization_id)
    _chunks_send([run])
    return MatchRun.objects.get(pk=run.pk)


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


# --- chunked runs ----------------------------------------------------------------------------


def full_rematch_plan(*, items_per_chunk: int | None = None) -> MatchRun:
    """Start a full re-match: a parent run and its PENDING chunks of whole organizations, each
    holding about ``items_per_chunk`` items. The caller dispatches one task per chunk."""
    return _run_plan(MatchRunKind.FULL, items_per_chunk=items_per_chunk)


def _organization_groups(size: int) -> list[tuple[list[int], int]]:
    """Every organization, in groups of consecutive ids holding about ``size`` items each
    (an organization with more is a group of its own), with their item counts."""
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
    groups: list[tuple[list[int], int]] = []
    current: list[int] = []
    current_items = 0
    for organization_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
        current.append(organization_id)
        current_items += per_organization.get(organization_id, 0)
        if current_items >= size:
            groups.append((current, current_items))
            current, current_items = [], 0
    if current:
        groups.append((current, current_items))
    return groups


def _run_plan(
    kind: MatchRunKind,
    *,
    items_per_chunk: int | None = None,
    advisory_ids: Sequence[int] = (),
    vendor_ids: Sequence[int] = (),
    product_ids: Sequence[int] = (),
    requested_until: datetime | None = None,
    hits: int | None = None,
) -> MatchRun:
    """A RUNNING parent run of ``kind`` and its PENDING chunks, one per group of
    organizations (``MATCHING_CHUNK_ITEMS`` items by default).

    Each chunk carries the advisories and products its scope is bounded by (none: every
    advisory against its organizations' items): the engine's one statement, with one bound
    more. A run whose ``hits`` (its matches, counted up to one more than a chunk's items) are
    no more than a chunk's items is one chunk of every organization: a small advisory would
    otherwise read its product's items once per chunk. A catalogue run that has nothing to
    re-match gets no chunk and finishes at once.
    """
    size = items_per_chunk or settings.MATCHING_CHUNK_ITEMS
    nothing_to_match = kind == MatchRunKind.CATALOGUE and not advisory_ids and not product_ids
    if nothing_to_match:
        groups = []
    elif hits is not None and hits <= size:
        organizations = list(Organization.objects.order_by("pk").values_list("pk", flat=True))
        groups = [(organizations, InventoryItem.objects.count())]
    else:
        groups = _organization_groups(size)
    with transaction.atomic():
        parent = MatchRun.objects.create(
            kind=kind,
            status=MatchRunStatus.RUNNING,
            started_at=timezone.now(),
            advisory_ids=list(advisory_ids),
            vendor_ids=list(vendor_ids),
            product_ids=list(product_ids),
            requested_until=requested_until,
            items_considered=sum(items for _organizations, items in groups),
        )
        MatchRun.objects.bulk_create(
            MatchRun(
                kind=MatchRunKind.CHUNK,
                status=MatchRunStatus.PENDING,
                parent=parent,
                advisory_ids=list(advisory_ids),
                product_ids=list(product_ids),
                organization_ids=organization_ids,
                items_considered=items,
            )
            for organization_ids, items in groups
        )
        if not groups:
            _run_finish(parent.pk)
    return parent


def _chunks_send(runs: Sequence[MatchRun]) -> None:
    """Send a task per pending chunk of ``runs``.

    Executed eagerly (no broker), a chunk runs here and its error propagates: the others
    are still sent, then the first error is raised.
    """
    failure: Exception | None = None
    for run in runs:
        for chunk_id in (
            run.chunks.filter(status=MatchRunStatus.PENDING)
            .order_by("pk")
            .values_list("pk", flat=True)
        ):
            try:
                matching_request_send(MATCH_CHUNK, chunk_id)
            except Exception as error:  # only when executed eagerly; recorded by the chunk
                failure = failure or error
    if failure is not None:
        raise failure


class ChunkOverran(Exception):
    """A chunk's statement ran past the time limit of a chunk: split it, or try it again."""


def _chunk_scopes(chunk: MatchRun) -> list[Scope]:
    """What a chunk matches: its run's advisories and (or) products, or every advisory, in
    its organizations."""
    organizations = tuple(chunk.organization_ids)
    # A chunk of several reads its own items first (``Scope.items_first``); a run that is one
    # chunk of every organization would read the whole table so.
    several = MatchRun.objects.filter(parent_id=chunk.parent_id).exclude(pk=chunk.pk).exists()
    if not chunk.advisory_ids and not chunk.product_ids:
        return [Scope(organization_ids=organizations, items_first=several)]
    scopes = []
    if chunk.advisory_ids:
        scopes.append(
            Scope(
                advisory_ids=tuple(chunk.advisory_ids),
                organization_ids=organizations,
                items_first=several,
            )
        )
    if chunk.product_ids:
        scopes.append(
            Scope(
                product_ids=tuple(chunk.product_ids),
                organization_ids=organizations,
                items_first=several,
            )
        )
    return scopes


def chunk_match(*, chunk_id: int) -> MatchRun | None:
    """Do one chunk, unless another worker did or is doing it (then None).

    The claim is a row lock taken with SKIP LOCKED inside the chunk's own transaction: if the
    worker dies, the transaction rolls back, the chunk is PENDING again and the task's
    redelivery (or the sweeper) claims it. No statement of the chunk may run longer than the
    task's soft time limit: past it the database cancels it and :class:`ChunkOverran` is
    raised, for the task to split the chunk.
    """
    chunk = MatchRun.objects.filter(pk=chunk_id, kind=MatchRunKind.CHUNK).first()
    if chunk is None or chunk.status != MatchRunStatus.PENDING:
        return None
    started_at, clock = timezone.now(), time.monotonic()
    with matching_locks(exclusive=False, organization_ids=chunk.organization_ids):
        try:
            with matching_transaction():
                statement_time_limit(seconds=settings.CELERY_TASK_SOFT_TIME_LIMIT)
                claimed = (
                    MatchRun.objects.select_for_update(skip_locked=True)
                    .filter(pk=chunk_id, status=MatchRunStatus.PENDING)
                    .first()
                )
                if claimed is None:
                    return None
                counts = MatchCounts()
                now = timezone.now()
                for scope in _chunk_scopes(claimed):
                    # The plan counted the chunk's items: counting them again would read the
                    # chunk's whole share of the organization index once more. A product
                    # scope covers fewer; it counts its own.
                    planned = None if scope.product_ids else claimed.items_considered
                    counts.add(match_scope(scope, now=now, items_considered=planned))
                record = _RunRecord(
                    MatchRunKind.CHUNK,
                    advisory_ids=claimed.advisory_ids,
                    organization_ids=claimed.organization_ids,
                    product_ids=claimed.product_ids,
                    started_at=started_at,
                    clock=clock,
                )
                for name, value in record.values(counts, MatchRunStatus.SUCCEEDED).items():
                    setattr(claimed, name, value)
                claimed.save()
        except MatchingBusy:
            raise
        except Exception as error:
            # The chunk stays pending; its task decides whether to split, retry or give up.
            MatchRun.objects.filter(pk=chunk_id).update(
                error=f"{type(error).__name__}: {error}"[:10_000]
            )
            if is_statement_timeout(error):
                raise ChunkOverran(f"chunk {chunk_id} overran its time limit") from error
            raise
    _run_finish(claimed.parent_id)
    return claimed


def chunk_split(*, chunk_id: int) -> list[int]:
    """Replace a pending chunk by two of half its organizations (by items); return their ids,
    none when it has a single organization (or is no longer pending)."""
    with transaction.atomic():
        chunk = (
            MatchRun.objects.select_for_update()
            .filter(pk=chunk_id, kind=MatchRunKind.CHUNK, status=MatchRunStatus.PENDING)
            .first()
        )
        if chunk is None or len(chunk.organization_ids) < 2:
            return []
        per_organization = dict(
            InventoryItem.objects.filter(organization_id__in=chunk.organization_ids)
            .order_by()
            .values("organization_id")
            .annotate(items=Count("*"))
            .values_list("organization_id", "items")
        )
        organizations = sorted(chunk.organization_ids)
        total, running, cut = sum(per_organization.values()), 0, 1
        for index, organization_id in enumerate(organizations[:-1], start=1):
            running += per_organization.get(organization_id, 0)
            cut = index
            if running * 2 >= total:
                break
        halves = MatchRun.objects.bulk_create(
            MatchRun(
                kind=MatchRunKind.CHUNK,
                status=MatchRunStatus.PENDING,
                parent_id=chunk.parent_id,
                advisory_ids=chunk.advisory_ids,
                product_ids=chunk.product_ids,
                organization_ids=part,
                items_considered=sum(per_organization.get(pk, 0) for pk in part),
            )
            for part in (organizations[:cut], organizations[cut:])
        )
        chunk.status = MatchRunStatus.SPLIT
        chunk.finished_at = timezone.now()
        chunk.error = (
            f"Overran its time limit; split into chunks {halves[0].pk} and {halves[1].pk}."
        )
        chunk.save(update_fields=["status", "finished_at", "error"])
    return [half.pk for half in halves]


def chunk_failed(*, chunk_id: int, error: str) -> None:
    """Give up on a chunk (its task ran out of retries) and let its run finish."""
    MatchRun.objects.filter(pk=chunk_id, status=MatchRunStatus.PENDING).update(
        status=MatchRunStatus.FAILED, finished_at=timezone.now(), error=error[:10_000]
    )
    parent_id = MatchRun.objects.filter(pk=chunk_id).values_list("parent_id", flat=True).first()
    _run_finish(parent_id)


def _run_finish(parent_id: int | None) -> None:
    """Close a chunked run once no chunk is pending: add up its chunks' counts and, if every
    chunk succeeded, clear the pending markers it read (not newer ones). Work that was marked
    again meanwhile is asked for once this commits.

    Each chunk calls this after its own commit, so the last one to commit sees them all; the
    conditional update lets only one caller close the run.
    """
    if parent_id is None:
        return
    with transaction.atomic():
        chunks = MatchRun.objects.filter(parent_id=parent_id).exclude(status=MatchRunStatus.SPLIT)
        if chunks.filter(status=MatchRunStatus.PENDING).exists():
            return
        parent = MatchRun.objects.filter(pk=parent_id, status=MatchRunStatus.RUNNING).first()
        if parent is None or parent.started_at is None:
            return
        totals = chunks.aggregate(
            created=Sum("flags_created"),
            updated=Sum("flags_updated"),
            resolved=Sum("flags_resolved"),
            reopened=Sum("flags_reopened"),
        )
        failed = chunks.filter(status=MatchRunStatus.FAILED).exists()
        finished = timezone.now()
        closed = MatchRun.objects.filter(pk=parent_id, status=MatchRunStatus.RUNNING).update(
            status=MatchRunStatus.FAILED if failed else MatchRunStatus.SUCCEEDED,
            finished_at=finished,
            duration=finished - parent.started_at,
            flags_created=totals["created"] or 0,
            flags_updated=totals["updated"] or 0,
            flags_resolved=totals["resolved"] or 0,
            flags_reopened=totals["reopened"] or 0,
            error="Some chunks failed; see them." if failed else "",
        )
        if closed:
            _markers_clear(parent, failed=failed)
    if closed:
        statistics_after_run(sum(totals[name] or 0 for name in ("created", "resolved", "reopened")))


def _markers_clear(run: MatchRun, *, failed: bool) -> None:
    """Clear the pending markers a finished advisory or catalogue run read, unless it failed;
    ask again for what is still (or again) marked."""
    until = run.requested_until
    if run.kind == MatchRunKind.ADVISORY:
        advisories = Advisory.objects.filter(pk__in=run.advisory_ids)
        if not failed and until is not None:
            advisories.filter(match_requested_at__lte=until).update(match_requested_at=None)
        if failed and len(run.advisory_ids) < 2:
            return  # the sweeper tries it again later
        if advisories.filter(match_requested_at__isnull=False).exists():
            matching_request_on_commit(MATCH_ADVISORIES, list(run.advisory_ids))
    elif run.kind == MatchRunKind.CATALOGUE:
        vendors = Vendor.objects.filter(pk__in=run.vendor_ids)
        products = Product.objects.filter(pk__in=run.product_ids)
        if failed or until is None:
            return
        vendors.filter(match_requested_at__lte=until).update(match_requested_at=None)
        products.filter(match_requested_at__lte=until).update(match_requested_at=None)
        if (
            Vendor.objects.filter(match_requested_at__isnull=False).exists()
            or Product.objects.filter(match_requested_at__isnull=False).exists()
        ):
            matching_request_on_commit(MATCH_CATALOGUE, [], [])


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
    # Pending chunks that no worker holds (a chunk in progress is row-locked by its claim):
    # their task was lost with a killed worker, or still waits in the queue. Sending one twice
    # is harmless, the first claim wins and the other finds it done.
    with transaction.atomic():
        chunk_ids = list(
            MatchRun.objects.select_for_update(skip_locked=True)
            .filter(kind=MatchRunKind.CHUNK, status=MatchRunStatus.PENDING, created_at__lte=cutoff)
            .values_list("pk", flat=True)
        )
    for chunk_id in chunk_ids:
        matching_request_send(MATCH_CHUNK, chunk_id)
    # A run whose last chunk's worker died between the chunk's commit and closing the run.
    for parent_id in MatchRun.objects.filter(
        parent=None, status=MatchRunStatus.RUNNING, started_at__lte=cutoff
    ).values_list("pk", flat=True):
        _run_finish(parent_id)
    return SweepReport(
        advisories=len(advisory_ids),
        organizations=len(organization_ids),
        catalogue=bool(vendor_ids or product_ids),
        chunks=len(chunk_ids),
    )
