"""The dispatcher: the flags' history (``FlagEvent``) is the outbox of notifications.

The matcher and triage write a flag event in the same transaction as every change they make,
so nothing needs to remember to notify. The dispatcher reads the events after its durable
cursor (:class:`~notifications.models.DispatchCursor`), decides for each organization's
enabled channels which events their rules accept, and writes deliveries: one per channel and
batch for an immediate channel, items added to the open digest for a digest channel
(``digest_collect``, which a campaign's milestone reminders use too). The cursor moves in the
same transaction as the deliveries are written, by an update conditional on the version it
read, so that two dispatchers never hand out the same event and a crash hands out nothing
twice. Deliveries are sent after commit (``notifications.delivery``).

Which events notify:

* ``created`` → a new flag;
* ``resolved`` of a flag whose advisory was withdrawn (and that is why it was resolved) →
  advisory withdrawn;
* ``status_changed``, ``reopened`` and any other ``resolved`` → a status change;
* assignments, comments and priority changes do not notify.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from advisories.choices import SEVERITY_RANK, AdvisoryStatus
from exposure.choices import FlagEventKind, ResolutionReason
from exposure.models import FlagEvent
from notifications.choices import ChannelMode, DeliveryKind, DeliveryStatus, NotificationEvent
from notifications.delivery import deliveries_enqueue
from notifications.models import Channel, Delivery, DeliveryItem, DispatchCursor
from orgs.scoping import CHANNEL_TLPS

logger = logging.getLogger(__name__)

FLAG_EVENTS = "flag-events"
# Events read per transaction, and transactions per run; what is left waits for the next run
# (a minute later at most), so that one run stays well inside the task's time limit.
BATCH = 1000
MAX_BATCHES = 20
# Items per immediate delivery: a burst (an advisory flagging 3,000 items of an organization)
# becomes a few messages, not thousands.
DELIVERY_ITEMS = 200
# Items a digest or a reminder lists at most; more are counted.
COLLECTED_ITEMS = 1000
_RANK: dict[str, int] = {str(severity): rank for severity, rank in SEVERITY_RANK.items()}


@dataclass(frozen=True)
class DispatchReport:
    """What one run of the dispatcher did."""

    events: int
    deliveries: int
    digest_items: int


def gap_seconds() -> float:
    """How long an id below the cursor may still turn up: a transaction that writes flag
    events runs inside a task (or a request), which is killed at the task time limit."""
    return float(settings.CELERY_TASK_TIME_LIMIT) * 2


def notification_event(event: FlagEvent) -> str | None:
    """What ``event`` tells a channel about, or ``None`` when it is not news for a channel (nor
    for any: a channel speaks to an organization, never of a TLP:RED advisory)."""
    if event.flag.advisory.tlp not in CHANNEL_TLPS:
        return None
    if event.kind == FlagEventKind.CREATED:
        return NotificationEvent.NEW_FLAG
    if event.kind == FlagEventKind.RESOLVED:
        flag = event.flag
        if (
            flag.advisory.status == AdvisoryStatus.WITHDRAWN
            and flag.resolution_reason == ResolutionReason.ADVISORY_WITHDRAWN
        ):
            return NotificationEvent.ADVISORY_WITHDRAWN
        return NotificationEvent.STATUS_CHANGED
    if event.kind in (FlagEventKind.STATUS_CHANGED, FlagEventKind.REOPENED):
        return NotificationEvent.STATUS_CHANGED
    return None


def channel_accepts(channel: Channel, *, event: str, severity: str, advisory_kind: str) -> bool:
    """Whether ``channel``'s rules let this event of an advisory of this severity and kind
    through."""
    return (
        event in channel.events
        and _RANK.get(severity, 0) >= _RANK.get(channel.min_severity, 0)
        and (not channel.advisory_kinds or advisory_kind in channel.advisory_kinds)
    )


def severities_at_least(minimum: str) -> list[str]:
    """The severities a channel with this minimum accepts."""
    floor = _RANK.get(minimum, 0)
    return [severity for severity, rank in _RANK.items() if rank >= floor]


# --- the cursor ------------------------------------------------------------------------------


def _cursor() -> DispatchCursor:
    cursor = DispatchCursor.objects.filter(name=FLAG_EVENTS).first()
    if cursor is not None:
        return cursor
    try:
        with transaction.atomic():
            return DispatchCursor.objects.create(name=FLAG_EVENTS)
    except IntegrityError:
        # Another dispatcher created it a moment ago.
        return DispatchCursor.objects.get(name=FLAG_EVENTS)


def _unseen(first: int, last: int, seen: Sequence[int]) -> list[tuple[int, int]]:
    """The ranges of ids from ``first`` to ``last`` (inclusive) that are not in ``seen``
    (sorted)."""
    ranges = []
    expected = first
    for pk in seen:
        if pk < first or pk > last:
            continue
        if pk > expected:
            ranges.append((expected, pk - 1))
        expected = pk + 1
    if expected <= last:
        ranges.append((expected, last))
    return ranges


def _gaps_after(
    gaps: Iterable[list[float]], position: int, new_position: int, seen: Sequence[int], now: float
) -> list[list[float]]:
    """The cursor's gaps once ``seen`` (sorted ids) were read and the position moved from
    ``position`` to ``new_position``: old gaps lose what was found, new ones are the ids
    skipped between the two positions."""
    kept = [
        [first, last, noticed]
        for old_first, old_last, noticed in gaps
        for first, last in _unseen(int(old_first), int(old_last), seen)
    ]
    fresh = [[first, last, now] for first, last in _unseen(position + 1, new_position, seen)]
    return kept + fresh


# --- deliveries ------------------------------------------------------------------------------


def _collecting_digest(channel: Channel, now: datetime) -> Delivery:
    """The channel's open digest, locked; a new one starts where the last one ended."""
    digest = (
        Delivery.objects.select_for_update()
        .filter(channel=channel, status=DeliveryStatus.COLLECTING)
        .first()
    )
    if digest is not None:
        return digest
    previous_end = (
        Delivery.objects.filter(channel=channel, kind=DeliveryKind.DIGEST)
        .exclude(status=DeliveryStatus.COLLECTING)
        .order_by("-period_end")
        .values_list("period_end", flat=True)
        .first()
    )
    return Delivery.objects.create(
        organization_id=channel.organization_id,
        channel=channel,
        kind=DeliveryKind.DIGEST,
        status=DeliveryStatus.COLLECTING,
        period_start=previous_end or channel.created_at,
    )


def digest_collect(
    channel: Channel, items: Sequence[DeliveryItem], now: datetime, *, total: int | None = None
) -> None:
    """Add ``items`` (not yet saved, without their delivery) to ``channel``'s open digest, as
    many as it has room for, and count ``total`` of them (default: all of ``items``)."""
    digest = _collecting_digest(channel, now)
    kept = list(items[: max(COLLECTED_ITEMS - digest.items.count(), 0)])
    for item in kept:
        item.delivery = digest
    DeliveryItem.objects.bulk_create(kept, batch_size=500)
    counted = len(items) if total is None else total
    Delivery.objects.filter(pk=digest.pk).update(item_count=F("item_count") + counted)


def _deliveries_write(events: Sequence[FlagEvent], now: datetime) -> tuple[list[int], int]:
    """Write what the channels' rules accept of ``events``; return the ids of the immediate
    deliveries (to send after commit) and how many items went into digests."""
    news: dict[int, list[tuple[FlagEvent, str]]] = defaultdict(list)
    for event in events:
        kind = notification_event(event)
        if kind is not None:
            news[event.flag.organization_id].append((event, kind))
    if not news:
        return [], 0
    channels = Channel.objects.filter(organization_id__in=list(news), enabled=True).order_by("pk")
    immediate: list[int] = []
    digest_items = 0
    for channel in channels:
        accepted = [
            (event, kind)
            for event, kind in news[channel.organization_id]
            if channel_accepts(
                channel,
                event=kind,
                severity=event.flag.advisory.severity,
                advisory_kind=event.flag.advisory.kind,
            )
        ]
        if not accepted:
            continue
        if channel.mode == ChannelMode.DIGEST:
            digest_collect(
                channel,
                [
                    DeliveryItem(flag_id=event.flag_id, event=event, kind=kind)
                    for event, kind in accepted
                ],
                now,
            )
            digest_items += len(accepted)
            continue
        for start in range(0, len(accepted), DELIVERY_ITEMS):
            chunk = accepted[start : start + DELIVERY_ITEMS]
            delivery = Delivery.objects.create(
                organization_id=channel.organization_id,
                channel=channel,
                kind=DeliveryKind.EVENTS,
                item_count=len(chunk),
                next_attempt_at=now,
            )
            _items_write(delivery, chunk)
            immediate.append(delivery.pk)
    return immediate, digest_items


def _items_write(delivery: Delivery, accepted: Sequence[tuple[FlagEvent, str]]) -> None:
    DeliveryItem.objects.bulk_create(
        (
            DeliveryItem(delivery=delivery, flag_id=event.flag_id, event=event, kind=kind)
            for event, kind in accepted
        ),
        batch_size=500,
    )


# --- the run ---------------------------------------------------------------------------------


def _dispatch_batch(now: datetime, batch: int) -> tuple[int, int, int, bool]:
    """One transaction: claim the next events, write their deliveries. Returns the events
    read, deliveries written, digest items added, and whether more may be waiting."""
    with transaction.atomic():
        cursor = _cursor()
        horizon = now.timestamp() - gap_seconds()
        gaps = [gap for gap in cursor.gaps if gap[2] >= horizon]
        expired = len(gaps) != len(cursor.gaps)
        wanted = Q(pk__gt=cursor.position)
        for first, last, _noticed in gaps:
            wanted |= Q(pk__gte=int(first), pk__lte=int(last))
        events = list(
            FlagEvent.objects.filter(wanted)
            .select_related("flag__advisory")
            # An imported advisory's source document is large and not needed to notify.
            .defer("flag__advisory__raw_document")
            .order_by("pk")[:batch]
        )
        if not events and not expired:
            return 0, 0, 0, False
        seen = [event.pk for event in events]
        position = max([pk for pk in seen if pk > cursor.position], default=cursor.position)
        claimed = DispatchCursor.objects.filter(pk=cursor.pk, version=cursor.version).update(
            position=position,
            gaps=_gaps_after(gaps, cursor.position, position, seen, now.timestamp()),
            version=F("version") + 1,
            updated_at=now,
        )
        if not claimed:
            # Another dispatcher moved the cursor since it was read; those events are its.
            return 0, 0, 0, False
        immediate, digest_items = _deliveries_write(events, now)
        transaction.on_commit(lambda: deliveries_enqueue(immediate))
    return len(events), len(immediate), digest_items, len(events) == batch


def flag_events_dispatch(*, batch: int = BATCH, now: datetime | None = None) -> DispatchReport:
    """Turn the flag events written since the last run into deliveries."""
    now = now or timezone.now()
    events = deliveries = digest_items = 0
    for _round in range(MAX_BATCHES):
        read, written, collected, more = _dispatch_batch(now, batch)
        events += read
        deliveries += written
        digest_items += collected
        if not more:
            break
    if events:
        logger.info(
            "dispatched %d flag events: %d deliveries, %d digest items",
            events,
            deliveries,
            digest_items,
        )
    return DispatchReport(events=events, deliveries=deliveries, digest_items=digest_items)


def digests_close(*, now: datetime | None = None) -> list[int]:
    """End the period of every open digest and send it; return the digests' ids.

    The digest's conditional update (still collecting) is its claim: a digest closed by
    another run is left alone.
    """
    now = now or timezone.now()
    closed = []
    for pk in Delivery.objects.filter(status=DeliveryStatus.COLLECTING).values_list(
        "pk", flat=True
    ):
        if Delivery.objects.filter(pk=pk, status=DeliveryStatus.COLLECTING).update(
            status=DeliveryStatus.PENDING, period_end=now, next_attempt_at=now
        ):
            closed.append(pk)
    deliveries_enqueue(closed)
    return closed
