"""Daily digests: each holds exactly the flags of its period, of its own organization."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from exposure.choices import FlagEventKind, FlagStatus
from exposure.models import FlagEvent
from notifications.choices import ChannelKind, ChannelMode, DeliveryKind, DeliveryStatus
from notifications.dispatch import digests_close, flag_events_dispatch
from notifications.models import Delivery
from notifications.services import channel_create
from tests.api.factories import FlagFactory
from tests.factories import InventoryItemFactory

pytestmark = pytest.mark.django_db


def new_flag(organization, label):
    flag = FlagFactory(item=InventoryItemFactory(organization=organization), item_label=label)
    FlagEvent.objects.create(flag=flag, kind=FlagEventKind.CREATED, to_status=FlagStatus.OPEN)
    return flag


def digest_channel(tenants, organization, actor):
    channel, _secret = channel_create(
        organization=organization,
        kind=ChannelKind.EMAIL,
        actor=actor,
        name="Daily digest",
        recipients=["digest@example.org"],
        mode=ChannelMode.DIGEST,
    )
    return channel


def test_a_digest_holds_exactly_the_flags_of_its_period_and_nothing_of_other_organizations(
    tenants, mailoutbox, django_capture_on_commit_callbacks
):
    channel_a = digest_channel(tenants, tenants.org_a, tenants.owner)
    digest_channel(tenants, tenants.org_b, tenants.outsider)
    monday = [new_flag(tenants.org_a, "Monday item 1"), new_flag(tenants.org_a, "Monday item 2")]
    new_flag(tenants.org_b, "Beta item")
    flag_events_dispatch()
    assert mailoutbox == [], "a digest waits for its period to end"

    with django_capture_on_commit_callbacks(execute=True):
        first_ids = digests_close()
    tuesday = [new_flag(tenants.org_a, "Tuesday item")]
    flag_events_dispatch()
    with django_capture_on_commit_callbacks(execute=True):
        second_ids = digests_close(now=timezone.now() + timedelta(days=1))

    first, second = (
        Delivery.objects.get(channel=channel_a, pk__in=first_ids),
        Delivery.objects.get(channel=channel_a, pk__in=second_ids),
    )
    assert {item.flag_id for item in first.items.all()} == {flag.pk for flag in monday}
    assert {item.flag_id for item in second.items.all()} == {flag.pk for flag in tuesday}
    assert first.kind == second.kind == DeliveryKind.DIGEST
    assert first.period_end == second.period_start
    assert first.period_start < first.period_end < second.period_end
    assert (first.status, second.status) == (DeliveryStatus.SENT, DeliveryStatus.SENT)
    alpha_mails = [mail for mail in mailoutbox if "Stadtwerke Alpha" in mail.subject]
    assert [mail.subject for mail in alpha_mails] == [
        "[Vendorwatch] Daily digest for Stadtwerke Alpha: 2 new flags",
        "[Vendorwatch] Daily digest for Stadtwerke Alpha: 1 new flag",
    ]
    assert "Monday item 1" in alpha_mails[0].body and "Beta item" not in alpha_mails[0].body
    assert "Monday" not in alpha_mails[1].body and "Tuesday item" in alpha_mails[1].body


def test_a_quiet_day_sends_no_digest(tenants, mailoutbox, django_capture_on_commit_callbacks):
    digest_channel(tenants, tenants.org_a, tenants.owner)

    with django_capture_on_commit_callbacks(execute=True):
        closed = digests_close()

    assert closed == []
    assert mailoutbox == []


def test_closing_digests_twice_sends_each_once(
    tenants, mailoutbox, django_capture_on_commit_callbacks
):
    digest_channel(tenants, tenants.org_a, tenants.owner)
    new_flag(tenants.org_a, "Item")
    flag_events_dispatch()

    with django_capture_on_commit_callbacks(execute=True):
        digests_close()
        digests_close()

    assert len(mailoutbox) == 1
