"""Reminders before a milestone and escalations after it, through the organization's
notification channels (at once, or in a digest channel's daily digest; escalated, to its
admins and owners too), once per milestone date. Mail is Django's locmem outbox."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from advisories.choices import Tlp
from advisories.services import advisory_update
from campaigns.attestations import attestation_review, attestation_submit
from campaigns.choices import CampaignEventKind
from campaigns.models import Campaign, CampaignEvent, Plan
from campaigns.reminders import campaign_reminders_send
from campaigns.services import campaign_open
from notifications.choices import ChannelKind, ChannelMode, DeliveryKind, DeliveryStatus
from notifications.dispatch import digests_close
from notifications.models import Delivery
from notifications.services import channel_create
from tests.campaigns.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(world: World) -> Campaign:
    campaign = campaign_open(advisory=world.advisory, user=world.analyst)
    channel_create(
        organization=world.tenants.org_a,
        kind=ChannelKind.EMAIL,
        actor=world.tenants.owner,
        name="IT security",
        recipients=["itsec@stadtwerke-alpha.example"],
    )
    return campaign


def test_a_milestone_due_soon_is_reminded_and_a_missed_one_escalated_once(
    world: World, campaign: Campaign, django_capture_on_commit_callbacks: Any
) -> None:
    plan_milestone = campaign.milestones.get(key="plan")
    today = plan_milestone.due_on - datetime.timedelta(days=3)
    # Stadtwerke Alpha attested "identify", and it was accepted: nothing to escalate there.
    attestation = attestation_submit(
        plan=Plan.objects.get(campaign=campaign, organization=world.tenants.org_a),
        milestone=campaign.milestones.get(key="identify"),
        user=world.tenants.owner,
        statement="Three found.",
    )
    attestation_review(attestation=attestation, user=world.analyst, accept=True)

    with django_capture_on_commit_callbacks(execute=True):
        written = campaign_reminders_send(today=today)

    deliveries = Delivery.objects.filter(kind=DeliveryKind.CAMPAIGN)
    assert written == deliveries.count() >= 1
    alpha = deliveries.get(organization=world.tenants.org_a)
    assert alpha.subject.endswith(
        f"'Plan the replacement' due {plan_milestone.due_on:%Y-%m-%d} in Stadtwerke Alpha"
    )
    assert alpha.items.count() == 3
    subjects = [message.subject for message in mail.outbox]
    assert any("Plan the replacement' due" in s and "Stadtwerke Alpha" in s for s in subjects)
    # Klinikum Beta has no channel; its late "identify" escalates to its owner by email.
    beta = [m for m in mail.outbox if "Klinikum Beta" in m.subject]
    assert [m.to for m in beta] == [["outsider-b@example.org"]]
    assert "overdue since" in beta[0].subject
    assert "Still to replace" in beta[0].body
    told = CampaignEvent.objects.filter(
        kind__in=[CampaignEventKind.REMINDED, CampaignEventKind.ESCALATED]
    )
    assert {(e.organization.slug, e.kind, e.data["milestone"]) for e in told} == {
        ("stadtwerke-alpha", "reminded", "plan"),
        ("klinikum-beta", "reminded", "plan"),
        ("klinikum-beta", "escalated", "identify"),
    }

    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_reminders_send(today=today) == 0


def test_nothing_is_reminded_far_from_any_milestone(
    world: World, campaign: Campaign, run_on_commit: Callable[..., Any]
) -> None:
    first = campaign.milestones.get(key="identify")

    assert campaign_reminders_send(today=first.due_on - datetime.timedelta(days=20)) == 0
    assert not CampaignEvent.objects.filter(kind=CampaignEventKind.REMINDED).exists()


def test_a_digest_channel_hears_of_reminders_and_escalations_in_its_daily_digest(
    world: World, campaign: Campaign, django_capture_on_commit_callbacks: Any
) -> None:
    digest, _secret = channel_create(
        organization=world.tenants.org_a,
        kind=ChannelKind.EMAIL,
        actor=world.tenants.owner,
        name="Daily digest",
        recipients=["soc-digest@stadtwerke-alpha.example"],
        mode=ChannelMode.DIGEST,
    )
    identify, plan = campaign.milestones.get(key="identify"), campaign.milestones.get(key="plan")
    # Three days before "plan" is due, "identify" is late in Stadtwerke Alpha (not attested).
    with django_capture_on_commit_callbacks(execute=True):
        campaign_reminders_send(today=plan.due_on - datetime.timedelta(days=3))

    at_once = [m for m in mail.outbox if m.to == ["itsec@stadtwerke-alpha.example"]]
    assert len(at_once) == 2, "the immediate channel hears of both at once"
    assert not [m for m in mail.outbox if "soc-digest@stadtwerke-alpha.example" in m.to]
    assert Delivery.objects.get(channel=digest).status == DeliveryStatus.COLLECTING

    with django_capture_on_commit_callbacks(execute=True):
        digests_close()

    [message] = [m for m in mail.outbox if m.to == ["soc-digest@stadtwerke-alpha.example"]]
    assert message.subject == (
        "[Vendorwatch] Daily digest for Stadtwerke Alpha: 6 campaign items still to replace"
    )
    reminded = f"'Plan the replacement' due {plan.due_on:%Y-%m-%d} in Stadtwerke Alpha"
    escalated = f"'{identify.name}' overdue since {identify.due_on:%Y-%m-%d} in Stadtwerke Alpha"
    assert message.body.count(reminded) == 3 and message.body.count(escalated) == 3
    assert "Klinikum Beta" not in message.body
    # A second run the same day adds nothing to the next digest.
    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_reminders_send(today=plan.due_on - datetime.timedelta(days=3)) == 0
    assert not Delivery.objects.filter(channel=digest, status=DeliveryStatus.COLLECTING).exists()


def test_an_organization_outside_a_narrowed_audience_is_reminded_of_nothing(
    world: World, campaign: Campaign, run_on_commit: Callable[..., Any]
) -> None:
    # Klinikum Beta planned, then the advisory became TLP:AMBER for Stadtwerke Alpha only.
    run_on_commit(
        advisory_update,
        advisory=world.advisory,
        data={"tlp": Tlp.AMBER, "audience_organizations": [world.tenants.org_a]},
    )
    plan = campaign.milestones.get(key="plan")

    campaign_reminders_send(today=plan.due_on - datetime.timedelta(days=3))

    told = CampaignEvent.objects.filter(
        kind__in=[CampaignEventKind.REMINDED, CampaignEventKind.ESCALATED]
    )
    assert {event.organization.slug for event in told} == {"stadtwerke-alpha"}
    assert not Delivery.objects.filter(organization=world.tenants.org_b).exists()
