"""SLAs: daily reminders of overdue flags, and risk acceptances that expire.

A flag falls due on its advisory's action deadline, or on the day it was first seen plus the
organization's SLA days for the advisory's severity (the matcher sets ``due_date``; the days
are the organization's settings, changed through ``orgs.administration.organization_update``).
It is *overdue* while it still asks for work (open, acknowledged) after that day.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from audit.services import audit_record
from exposure.choices import FlagEventKind, FlagStatus
from exposure.models import Flag, FlagEvent
from notifications.choices import DeliveryKind, NotificationEvent
from notifications.delivery import deliveries_enqueue
from notifications.dispatch import COLLECTED_ITEMS, severities_at_least
from notifications.models import Channel, Delivery, DeliveryItem
from notifications.selectors import flags_overdue
from orgs.models import Membership
from orgs.scoping import CHANNEL_TLPS

# Flags reopened per transaction when risk acceptances expire.
EXPIRY_BATCH = 500


@dataclass(frozen=True)
class ReminderReport:
    """The reminders one run wrote: emails to assignees, messages to channels."""

    assignees: int
    channels: int


def _reminder(
    *, dedupe_key: str, flag_ids: list[int], total: int, **destination: object
) -> Delivery | None:
    """An overdue reminder listing ``flag_ids``, unless the day's reminder to this
    destination exists already (the task ran twice)."""
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                kind=DeliveryKind.OVERDUE,
                item_count=total,
                dedupe_key=dedupe_key,
                next_attempt_at=timezone.now(),
                **destination,
            )
            DeliveryItem.objects.bulk_create(
                (
                    DeliveryItem(delivery=delivery, flag_id=pk, kind=NotificationEvent.OVERDUE)
                    for pk in flag_ids
                ),
                batch_size=500,
            )
    except IntegrityError:
        return None
    return delivery


def overdue_reminders_send(*, today: datetime.date | None = None) -> ReminderReport:
    """Write and send today's reminders of overdue flags.

    Each assignee gets one email per organization listing their overdue flags (while they are
    still a member of it); each enabled channel that asks for ``overdue`` gets one message
    listing its organization's overdue flags that its severity and kind rules accept. A second
    run on the same day writes nothing.
    """
    today = today or timezone.localdate()
    overdue = flags_overdue(today=today).order_by("-priority", "due_date", "pk")
    mine: dict[tuple[int, int], list[int]] = defaultdict(list)
    for pk, assignee_id, organization_id in (
        overdue.filter(assignee__isnull=False, assignee__is_active=True)
        # A TLP:RED advisory's flag is told only to an assignee it names.
        .filter(Q(advisory__tlp__in=CHANNEL_TLPS) | Q(advisory__audience_users=F("assignee")))
        .filter(
            Exists(
                Membership.objects.filter(
                    user=OuterRef("assignee"), organization=OuterRef("organization")
                )
            )
        )
        .values_list("pk", "assignee_id", "organization_id")
    ):
        mine[(assignee_id, organization_id)].append(pk)
    written = []
    for (assignee_id, organization_id), flag_ids in mine.items():
        delivery = _reminder(
            dedupe_key=f"overdue:{today}:user:{assignee_id}:organization:{organization_id}",
            flag_ids=flag_ids[:COLLECTED_ITEMS],
            total=len(flag_ids),
            organization_id=organization_id,
            recipient_user_id=assignee_id,
        )
        if delivery is not None:
            written.append(delivery.pk)
    assignees = len(written)
    for channel in Channel.objects.filter(enabled=True).order_by("pk"):
        if NotificationEvent.OVERDUE not in channel.events:
            continue
        flags = overdue.filter(
            organization_id=channel.organization_id,
            advisory__severity__in=severities_at_least(channel.min_severity),
            advisory__tlp__in=CHANNEL_TLPS,
        )
        if channel.advisory_kinds:
            flags = flags.filter(advisory__kind__in=channel.advisory_kinds)
        flag_ids = list(flags.values_list("pk", flat=True)[:COLLECTED_ITEMS])
        if not flag_ids:
            continue
        delivery = _reminder(
            dedupe_key=f"overdue:{today}:channel:{channel.pk}",
            flag_ids=flag_ids,
            total=flags.count() if len(flag_ids) == COLLECTED_ITEMS else len(flag_ids),
            organization_id=channel.organization_id,
            channel=channel,
        )
        if delivery is not None:
            written.append(delivery.pk)
    deliveries_enqueue(written)
    return ReminderReport(assignees=assignees, channels=len(written) - assignees)


def risk_acceptances_expire(*, today: datetime.date | None = None) -> int:
    """Reopen every flag whose risk was accepted until a day before ``today``; return how
    many. Each reopening is in the flag's history (``reopened``, with a note) and in the
    audit trail as done by the system."""
    today = today or timezone.localdate()
    reopened = 0
    while True:
        done = _expire_batch(today)
        reopened += done
        if done < EXPIRY_BATCH:
            return reopened


@transaction.atomic
def _expire_batch(today: datetime.date) -> int:
    # SKIP LOCKED: a flag someone is triaging right now is left for the next run.
    flags = list(
        Flag.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status=FlagStatus.RISK_ACCEPTED, risk_accepted_until__lt=today)
        .select_related("organization")
        .order_by("pk")[:EXPIRY_BATCH]
    )
    now = timezone.now()
    for flag in flags:
        until = flag.risk_accepted_until
        assert until is not None  # the status's check constraint guarantees it
        note = f"The risk acceptance expired on {until:%Y-%m-%d}."
        before = {
            "status": flag.status,
            "reason": flag.status_reason,
            "risk_accepted_until": until.isoformat(),
        }
        flag.status = FlagStatus.OPEN
        flag.status_reason = ""
        flag.risk_accepted_until = None
        flag.status_changed_at = now
        flag.save(
            update_fields=[
                "status",
                "status_reason",
                "risk_accepted_until",
                "status_changed_at",
                "updated_at",
            ]
        )
        FlagEvent.objects.create(
            flag=flag,
            kind=FlagEventKind.REOPENED,
            from_status=FlagStatus.RISK_ACCEPTED,
            to_status=FlagStatus.OPEN,
            note=note,
            data={"risk_accepted_until": until.isoformat()},
        )
        audit_record(
            action="flag.reopen",
            organization=flag.organization,
            obj=flag,
            before=before,
            after={"status": FlagStatus.OPEN, "reason": note},
            via="task",
        )
    return len(flags)
