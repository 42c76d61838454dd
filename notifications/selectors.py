"""Reads of notifications: the channels and deliveries an admin may see, overdue flags, and
what a delivery says."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.db.models import BooleanField, Case, Count, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone

from exposure.choices import ACTIVE_FLAG_STATUSES, FlagEventKind, FlagStatus
from exposure.models import Flag
from notifications.choices import ChannelKind, DeliveryKind, NotificationEvent
from notifications.models import Channel, Delivery, DeliveryItem
from orgs.choices import Role
from orgs.models import Organization
from orgs.scoping import Actor

# Flags a chat message or an email lists; the rest are counted ("and 12 more").
MESSAGE_ENTRIES = 20


def channels_visible_to(*, user: Actor) -> QuerySet[Channel, Any]:
    """The channels of the organizations ``user`` administers."""
    return Channel.objects.with_role(user, Role.ADMIN).select_related("organization")


def deliveries_visible_to(*, user: Actor) -> QuerySet[Delivery, Any]:
    """The delivery log of the organizations ``user`` administers."""
    return Delivery.objects.with_role(user, Role.ADMIN).select_related(
        "organization", "channel", "recipient_user"
    )


def organizations_administered(*, user: Actor) -> QuerySet[Organization, Any]:
    """The organizations whose channels and SLAs ``user`` may change."""
    return Organization.objects.with_role(user, Role.ADMIN)


def flags_overdue(*, today: datetime.date | None = None) -> QuerySet[Flag, Any]:
    """Flags that still ask for work (open or acknowledged) and whose due date has passed.

    Not scoped: callers scope it (``.visible_to(user)``) or are the system's reminder. List
    pages can use it as a filter, or :func:`flags_with_overdue` to mark rows.
    """
    today = today or timezone.localdate()
    return Flag.objects.filter(status__in=ACTIVE_FLAG_STATUSES, due_date__lt=today)


def flags_with_overdue(
    flags: QuerySet[Flag, Any], *, today: datetime.date | None = None
) -> QuerySet[Flag, Any]:
    """``flags`` annotated with ``is_overdue``, for a list that highlights overdue rows."""
    today = today or timezone.localdate()
    return flags.annotate(
        is_overdue=Case(
            When(Q(status__in=ACTIVE_FLAG_STATUSES, due_date__lt=today), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def absolute_url(path: str) -> str:
    """``path`` on the site's public address, for links in messages."""
    return urljoin(settings.NOTIFICATIONS_BASE_URL.rstrip("/") + "/", path.lstrip("/"))


@dataclass(frozen=True)
class Entry:
    """One flag a message tells about."""

    kind: str
    headline: str
    flag_id: int
    status: str
    status_label: str
    priority: int
    due_date: datetime.date | None
    item: str
    assignee: str
    advisory_id: int
    advisory_identifier: str
    advisory_title: str
    advisory_kind: str
    severity: str
    severity_label: str
    advisory_url: str
    at: datetime.datetime | None
    from_status: str
    to_status: str
    note: str


@dataclass(frozen=True)
class Message:
    """What a delivery says, before it is put in a channel's format."""

    delivery_id: int
    kind: str
    organization_id: int
    organization: str
    title: str
    entries: list[Entry]
    total: int
    period_start: datetime.datetime | None
    period_end: datetime.datetime | None

    @property
    def more(self) -> int:
        """Flags counted but not listed."""
        return max(self.total - len(self.entries), 0)


def _headline(
    kind: str, event_kind: str, from_status: str, to_status: str, flag: Flag, delivery_kind: str
) -> str:
    labels = dict(FlagStatus.choices)
    if delivery_kind == DeliveryKind.CAMPAIGN:
        return "Still to replace"
    if kind == NotificationEvent.NEW_FLAG:
        return "New flag"
    if kind == NotificationEvent.OVERDUE:
        return f"Overdue since {flag.due_date:%Y-%m-%d}" if flag.due_date else "Overdue"
    if kind == NotificationEvent.ADVISORY_WITHDRAWN:
        return "Advisory withdrawn: flag resolved"
    if event_kind == FlagEventKind.REOPENED:
        return "Reopened"
    return f"{labels.get(from_status, from_status or '—')} → {labels.get(to_status, to_status)}"


def _title(delivery: Delivery, counts: dict[str, int], total: int) -> str:
    organization = delivery.organization.name
    if delivery.subject:
        return delivery.subject
    if delivery.kind == DeliveryKind.TEST:
        return f"Test notification from Vendorwatch for {organization}"
    if delivery.kind == DeliveryKind.OVERDUE:
        return f"{total} overdue flag{'s' if total != 1 else ''} in {organization}"
    parts = []
    for kind, (one, many) in {
        NotificationEvent.NEW_FLAG: ("new flag", "new flags"),
        NotificationEvent.STATUS_CHANGED: ("status change", "status changes"),
        NotificationEvent.ADVISORY_WITHDRAWN: (
            "flag resolved by a withdrawal",
            "flags resolved by withdrawals",
        ),
        # Overdue reminders are messages of their own; in a digest these items are a
        # campaign milestone's reminder or escalation (campaigns/reminders.py).
        NotificationEvent.OVERDUE: (
            "campaign item still to replace",
            "campaign items still to replace",
        ),
    }.items():
        count = counts.get(kind, 0)
        if count:
            parts.append(f"{count} {one if count == 1 else many}")
    summary = ", ".join(parts) or "nothing new"
    if delivery.kind == DeliveryKind.DIGEST:
        return f"Daily digest for {organization}: {summary}"
    return f"{summary[:1].upper()}{summary[1:]} in {organization}"


def delivery_message(*, delivery: Delivery, limit: int | None = MESSAGE_ENTRIES) -> Message:
    """What ``delivery`` says: its title and (up to ``limit``) its entries, most urgent first.

    Flags are described as they stand now (label, advisory, due date); the change an event
    made is described as it was recorded.
    """
    items = (
        DeliveryItem.objects.filter(delivery=delivery)
        .select_related("flag__advisory", "flag__assignee", "event")
        .order_by("-flag__priority", "flag__due_date", "pk")
    )
    counts = dict(
        DeliveryItem.objects.filter(delivery=delivery)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    total = max(delivery.item_count, sum(counts.values()))
    entries = []
    for item in items[:limit] if limit is not None else items:
        flag = item.flag
        advisory = flag.advisory
        event = item.event
        entries.append(
            Entry(
                kind=item.kind,
                headline=item.headline
                or _headline(
                    item.kind,
                    event.kind if event else "",
                    event.from_status if event else "",
                    event.to_status if event else "",
                    flag,
                    delivery.kind,
                ),
                flag_id=flag.pk,
                status=flag.status,
                status_label=flag.get_status_display(),
                priority=flag.priority,
                due_date=flag.due_date,
                item=flag.item_label,
                assignee=flag.assignee.get_username() if flag.assignee else "",
                advisory_id=advisory.pk,
                advisory_identifier=advisory.identifier,
                advisory_title=advisory.title,
                advisory_kind=advisory.kind,
                severity=advisory.severity,
                severity_label=advisory.get_severity_display(),
                advisory_url=absolute_url(
                    reverse("advisories:advisory_detail", kwargs={"pk": advisory.pk})
                ),
                at=event.created_at if event else None,
                from_status=event.from_status if event else "",
                to_status=event.to_status if event else "",
                note=event.note if event else "",
            )
        )
    return Message(
        delivery_id=delivery.pk,
        kind=delivery.kind,
        organization_id=delivery.organization_id,
        organization=delivery.organization.name,
        title=_title(delivery, counts, total),
        entries=entries,
        total=total,
        period_start=delivery.period_start,
        period_end=delivery.period_end,
    )


def organizations_of_member(*, user: Actor) -> QuerySet[Organization, Any]:
    """The organizations ``user`` belongs to (not those a platform role lets them see): the
    ones whose SLA and notifications concern them as a member."""
    return Organization.objects.visible_to(user).filter(memberships__user_id=user.pk)


def channels_emailing(*, user: Actor) -> list[Channel]:
    """The email channels of ``user``'s organizations that write to their address."""
    email = (getattr(user, "email", "") or "").strip().lower()
    if not email:
        return []
    channels = (
        Channel.objects.visible_to(user)
        .filter(kind=ChannelKind.EMAIL, organization__in=organizations_of_member(user=user))
        .select_related("organization")
        .order_by("organization__name", "name", "pk")
    )
    return [
        channel
        for channel in channels
        if email in {recipient.strip().lower() for recipient in channel.recipients}
    ]
