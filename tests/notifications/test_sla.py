"""SLAs: overdue flags, their daily reminders, and risk acceptances that expire."""

from __future__ import annotations

import datetime

import pytest

from audit.models import AuditEntry
from exposure.choices import FlagEventKind, FlagStatus
from exposure.models import Flag
from notifications.choices import ChannelKind, DeliveryStatus, NotificationEvent
from notifications.models import Delivery
from notifications.selectors import flags_overdue, flags_with_overdue
from notifications.services import channel_create
from notifications.sla import overdue_reminders_send, risk_acceptances_expire
from orgs.choices import Role
from tests.api.factories import FlagFactory
from tests.factories import InventoryItemFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 15)
YESTERDAY = TODAY - datetime.timedelta(days=1)


def flag(organization, **fields):
    return FlagFactory(item=InventoryItemFactory(organization=organization), **fields)


def test_a_flag_is_overdue_while_it_asks_for_work_after_its_due_date(tenants):
    overdue = flag(tenants.org_a, due_date=YESTERDAY)
    acknowledged = flag(tenants.org_a, due_date=YESTERDAY, status=FlagStatus.ACKNOWLEDGED)
    due_today = flag(tenants.org_a, due_date=TODAY)
    mitigated = flag(tenants.org_a, due_date=YESTERDAY, status=FlagStatus.MITIGATED)
    no_date = flag(tenants.org_a, due_date=None)

    assert set(flags_overdue(today=TODAY)) == {overdue, acknowledged}
    marked = dict(
        flags_with_overdue(Flag.objects.all(), today=TODAY).values_list("pk", "is_overdue")
    )
    assert marked == {
        overdue.pk: True,
        acknowledged.pk: True,
        due_today.pk: False,
        mitigated.pk: False,
        no_date.pk: False,
    }


def test_the_overdue_reminder_goes_to_the_assignee(
    tenants, mailoutbox, django_capture_on_commit_callbacks
):
    mine = flag(tenants.org_a, due_date=YESTERDAY, assignee=tenants.analyst, item_label="Mine")
    flag(tenants.org_a, due_date=YESTERDAY, assignee=tenants.viewer, item_label="Someone's")
    flag(tenants.org_a, due_date=TODAY, assignee=tenants.analyst, item_label="Not yet due")

    with django_capture_on_commit_callbacks(execute=True):
        report = overdue_reminders_send(today=TODAY)

    assert report.assignees == 2
    [to_analyst] = [mail for mail in mailoutbox if mail.to == [tenants.analyst.email]]
    assert to_analyst.subject == "[Vendorwatch] 1 overdue flag in Stadtwerke Alpha"
    assert "Mine" in to_analyst.body
    assert "Someone's" not in to_analyst.body and "Not yet due" not in to_analyst.body
    assert f"Overdue since {YESTERDAY:%Y-%m-%d}" in to_analyst.body
    delivery = Delivery.objects.get(recipient_user=tenants.analyst)
    assert (delivery.kind, delivery.status, delivery.channel) == ("overdue", "sent", None)
    assert [item.flag_id for item in delivery.items.all()] == [mine.pk]


def test_a_day_gets_one_reminder_however_often_the_task_runs(
    tenants, mailoutbox, django_capture_on_commit_callbacks
):
    flag(tenants.org_a, due_date=YESTERDAY, assignee=tenants.analyst)

    with django_capture_on_commit_callbacks(execute=True):
        overdue_reminders_send(today=TODAY)
        again = overdue_reminders_send(today=TODAY)

    assert (again.assignees, again.channels) == (0, 0)
    assert len(mailoutbox) == 1


def test_a_former_member_is_not_reminded(tenants, mailoutbox, django_capture_on_commit_callbacks):
    leaver = UserFactory(username="leaver")
    membership = MembershipFactory(user=leaver, organization=tenants.org_a, role=Role.ANALYST)
    flag(tenants.org_a, due_date=YESTERDAY, assignee=leaver)
    membership.delete()

    with django_capture_on_commit_callbacks(execute=True):
        overdue_reminders_send(today=TODAY)

    assert mailoutbox == []


def test_channels_asking_for_overdue_get_their_organizations_overdue_flags(
    tenants, mailoutbox, django_capture_on_commit_callbacks
):
    channel, _secret = channel_create(
        organization=tenants.org_a,
        kind=ChannelKind.EMAIL,
        actor=tenants.owner,
        name="SOC",
        recipients=["soc@alpha.example"],
        events=[NotificationEvent.OVERDUE],
    )
    channel_create(
        organization=tenants.org_a,
        kind=ChannelKind.EMAIL,
        actor=tenants.owner,
        name="New flags only",
        recipients=["new@alpha.example"],
        events=[NotificationEvent.NEW_FLAG],
    )
    flag(tenants.org_a, due_date=YESTERDAY, item_label="Unassigned overdue")
    flag(tenants.org_b, due_date=YESTERDAY, item_label="Beta's overdue")

    with django_capture_on_commit_callbacks(execute=True):
        report = overdue_reminders_send(today=TODAY)

    assert report.channels == 1
    [mail] = mailoutbox
    assert mail.to == ["soc@alpha.example"]
    assert "Unassigned overdue" in mail.body and "Beta's overdue" not in mail.body
    assert channel.deliveries.get().status == DeliveryStatus.SENT


def test_an_expired_risk_acceptance_reopens_its_flag(tenants):
    expired = flag(
        tenants.org_a,
        status=FlagStatus.RISK_ACCEPTED,
        status_reason="Replacement in Q1.",
        risk_accepted_until=YESTERDAY,
    )
    last_day = flag(tenants.org_a, status=FlagStatus.RISK_ACCEPTED, risk_accepted_until=TODAY)

    assert risk_acceptances_expire(today=TODAY) == 1

    expired.refresh_from_db()
    last_day.refresh_from_db()
    assert (expired.status, expired.risk_accepted_until, expired.status_reason) == (
        FlagStatus.OPEN,
        None,
        "",
    )
    assert last_day.status == FlagStatus.RISK_ACCEPTED
    event = expired.events.get()
    assert (event.kind, event.from_status, event.to_status, event.actor) == (
        FlagEventKind.REOPENED,
        FlagStatus.RISK_ACCEPTED,
        FlagStatus.OPEN,
        None,
    )
    assert event.note == f"The risk acceptance expired on {YESTERDAY:%Y-%m-%d}."
    entry = AuditEntry.objects.get(action="flag.reopen")
    assert (entry.actor_id, entry.actor_name, entry.via) == (None, "", "task")
    assert entry.organization_id == tenants.org_a.pk
    assert entry.object_id == str(expired.pk)
    assert entry.before["status"] == FlagStatus.RISK_ACCEPTED
    assert entry.after["status"] == FlagStatus.OPEN
    assert risk_acceptances_expire(today=TODAY) == 0
