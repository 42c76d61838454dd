"""The dispatcher: flag events become deliveries by each channel's rules, exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from advisories.choices import AdvisoryKind, Severity
from advisories.services import advisory_withdraw
from exposure.choices import FlagEventKind, FlagStatus
from exposure.models import FlagEvent
from exposure.triage import flag_assign, flag_comment, flag_transition
from notifications.choices import ChannelKind, ChannelMode, DeliveryKind, NotificationEvent
from notifications.dispatch import FLAG_EVENTS, flag_events_dispatch, gap_seconds
from notifications.models import Delivery, DeliveryItem, DispatchCursor
from notifications.services import channel_create
from tests.api.factories import FlagFactory
from tests.factories import InventoryItemFactory
from tests.notifications.conftest import flag_of, publish

pytestmark = pytest.mark.django_db


def email_channel(world, organization=None, actor=None, **rules):
    channel, _secret = channel_create(
        organization=organization or world.tenants.org_a,
        kind=ChannelKind.EMAIL,
        actor=actor or world.tenants.owner,
        name=rules.pop("name", "SOC mailbox"),
        recipients=["soc@alpha.example"],
        **rules,
    )
    return channel


def event_for(flag, kind=FlagEventKind.CREATED) -> FlagEvent:
    """A flag event as the matcher or triage writes it."""
    return FlagEvent.objects.create(flag=flag, kind=kind, to_status=FlagStatus.OPEN)


def kinds(channel) -> list[str]:
    return sorted(
        DeliveryItem.objects.filter(delivery__channel=channel).values_list("kind", flat=True)
    )


def test_new_flags_reach_an_immediate_email_channel_once(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    email_channel(world)

    publish(world, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        again = flag_events_dispatch()

    assert again.events == 0
    [mail] = mailoutbox
    assert mail.to == ["soc@alpha.example"]
    assert mail.subject == "[Vendorwatch] 1 new flag in Stadtwerke Alpha"
    assert "BSI-2022-0315" in mail.body
    assert "Klinikum Beta" not in mail.body


def test_a_channel_hears_only_what_its_rules_accept(world, django_capture_on_commit_callbacks):
    critical_only = email_channel(world, name="critical only", min_severity=Severity.CRITICAL)
    prohibitions = email_channel(
        world, name="prohibitions", advisory_kinds=[AdvisoryKind.PROHIBITION]
    )
    no_new_flags = email_channel(
        world, name="status only", events=[NotificationEvent.STATUS_CHANGED]
    )
    everything = email_channel(world, name="everything")

    publish(world, django_capture_on_commit_callbacks, severity=Severity.HIGH)

    assert kinds(critical_only) == []
    assert kinds(prohibitions) == []
    assert kinds(no_new_flags) == []
    assert kinds(everything) == [NotificationEvent.NEW_FLAG]


def test_another_organizations_channel_hears_nothing_of_this_one(
    world, django_capture_on_commit_callbacks
):
    channel_b = email_channel(world, organization=world.tenants.org_b, actor=world.tenants.outsider)
    publish(world, django_capture_on_commit_callbacks)

    items = DeliveryItem.objects.filter(delivery__channel=channel_b).select_related("flag")
    assert [item.flag.organization_id for item in items] == [world.tenants.org_b.pk]


def test_status_changes_notify_and_assignments_and_comments_do_not(
    world, django_capture_on_commit_callbacks
):
    channel = email_channel(world)
    advisory = publish(world, django_capture_on_commit_callbacks)
    flag = flag_of(advisory, world.item_a)
    owner = world.tenants.owner

    flag_transition(flag=flag, status=FlagStatus.ACKNOWLEDGED, user=owner)
    flag_assign(flag=flag, assignee=world.tenants.analyst, user=owner)
    flag_comment(flag=flag, note="Replacement ordered.", user=owner)
    with django_capture_on_commit_callbacks(execute=True):
        report = flag_events_dispatch()

    assert report.events == 3
    assert kinds(channel) == [NotificationEvent.NEW_FLAG, NotificationEvent.STATUS_CHANGED]


def test_a_withdrawal_is_told_as_such(world, django_capture_on_commit_callbacks):
    channel = email_channel(world)
    advisory = publish(world, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        advisory_withdraw(advisory=advisory, reason="Issued in error.")

    assert kinds(channel) == [NotificationEvent.ADVISORY_WITHDRAWN, NotificationEvent.NEW_FLAG]


def test_a_disabled_channel_hears_nothing(world, django_capture_on_commit_callbacks):
    channel = email_channel(world, enabled=False)
    publish(world, django_capture_on_commit_callbacks)
    assert not Delivery.objects.filter(channel=channel).exists()


def test_a_burst_of_flags_becomes_a_few_messages(tenants, mailoutbox, monkeypatch):
    """Each immediate delivery lists at most DELIVERY_ITEMS flags."""
    monkeypatch.setattr("notifications.dispatch.DELIVERY_ITEMS", 2)
    channel, _secret = channel_create(
        organization=tenants.org_a,
        kind=ChannelKind.EMAIL,
        actor=tenants.owner,
        name="SOC",
        recipients=["soc@alpha.example"],
    )
    for _ in range(5):
        event_for(flag=FlagFactory(item=InventoryItemFactory(organization=tenants.org_a)))

    flag_events_dispatch()

    counts = sorted(channel.deliveries.values_list("item_count", flat=True))
    assert counts == [1, 2, 2]


def test_an_event_committed_late_below_the_cursor_is_still_dispatched(tenants):
    """Ids are handed out at insert, rows appear at commit: a long transaction can commit an
    id below ones already read. The cursor remembers the gap and finds it later."""
    channel, _secret = channel_create(
        organization=tenants.org_a,
        kind=ChannelKind.EMAIL,
        actor=tenants.owner,
        name="SOC",
        recipients=["soc@alpha.example"],
    )
    flag = FlagFactory(item=InventoryItemFactory(organization=tenants.org_a))
    first = event_for(flag)
    try:
        with transaction.atomic():
            skipped = event_for(flag)
            raise RuntimeError("rolled back: its id stays unused for now")
    except RuntimeError:
        pass
    third = event_for(flag)

    flag_events_dispatch()
    cursor = DispatchCursor.objects.get(name=FLAG_EVENTS)
    assert cursor.position == third.pk
    assert [skipped.pk, skipped.pk] in [gap[:2] for gap in cursor.gaps]

    late = FlagEvent.objects.create(
        pk=skipped.pk, flag=flag, kind=FlagEventKind.CREATED, to_status=FlagStatus.OPEN
    )
    flag_events_dispatch()

    dispatched = DeliveryItem.objects.filter(delivery__channel=channel)
    assert sorted(dispatched.values_list("event_id", flat=True)) == [first.pk, late.pk, third.pk]
    gaps = DispatchCursor.objects.get(name=FLAG_EVENTS).gaps
    assert not any(first <= skipped.pk <= last for first, last, _noticed in gaps)


def test_a_gap_older_than_any_transaction_is_given_up(tenants):
    flag = FlagFactory(item=InventoryItemFactory(organization=tenants.org_a))
    event_for(flag)
    try:
        with transaction.atomic():
            event_for(flag)
            raise RuntimeError("rolled back for good")
    except RuntimeError:
        pass
    event_for(flag)
    flag_events_dispatch()
    assert DispatchCursor.objects.get(name=FLAG_EVENTS).gaps != []

    flag_events_dispatch(now=timezone.now() + timedelta(seconds=gap_seconds() + 1))

    assert DispatchCursor.objects.get(name=FLAG_EVENTS).gaps == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_hand_out_every_event_exactly_once(tenants):
    channel, _secret = channel_create(
        organization=tenants.org_a,
        kind=ChannelKind.EMAIL,
        actor=tenants.owner,
        name="SOC",
        recipients=["soc@alpha.example"],
        mode=ChannelMode.DIGEST,
    )
    events = [
        event_for(FlagFactory(item=InventoryItemFactory(organization=tenants.org_a))).pk
        for _ in range(60)
    ]
    errors: list[BaseException] = []

    def run() -> None:
        try:
            for _ in range(10):
                flag_events_dispatch(batch=7)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    dispatched = list(
        DeliveryItem.objects.filter(delivery__channel=channel).values_list("event_id", flat=True)
    )
    assert sorted(dispatched) == events
    digest = Delivery.objects.get(channel=channel)
    assert (digest.kind, digest.item_count) == (DeliveryKind.DIGEST, 60)
