"""The notifications API: channels for the admins of their organization, and the delivery log."""

from __future__ import annotations

import pytest

from audit.models import AuditEntry
from notifications.choices import ChannelKind
from notifications.models import Channel, Delivery
from notifications.services import channel_create
from orgs.choices import TokenAccess
from tests.api.base import TenantListTests, TenantRetrieveTests

pytestmark = pytest.mark.django_db

CHANNELS = "/api/v1/notification-channels/"
DELIVERIES = "/api/v1/notification-deliveries/"


def webhook_of(tenants, organization):
    actor = tenants.owner if organization == tenants.org_a else tenants.outsider
    channel, _secret = channel_create(
        organization=organization,
        kind=ChannelKind.WEBHOOK,
        actor=actor,
        name=f"Webhook of {organization.name}",
        url=f"https://hooks.example.org/{organization.slug}/s3cr3t",
    )
    return channel


class TestChannels(TenantListTests, TenantRetrieveTests):
    basename = "notificationchannel"
    model = Channel
    reader = "owner"

    def make(self, tenants, organization):
        return webhook_of(tenants, organization)


class TestDeliveries(TenantListTests, TenantRetrieveTests):
    basename = "delivery"
    model = Delivery
    reader = "owner"

    def make(self, tenants, organization):
        return Delivery.objects.create(
            organization=organization, channel=webhook_of(tenants, organization), kind="test"
        )


def test_creating_a_webhook_returns_its_secret_once_and_never_the_url(tenants, api):
    client = api.session(tenants.owner)

    response = client.post(
        CHANNELS,
        {
            "organization": tenants.org_a.pk,
            "name": "SOAR",
            "kind": "webhook",
            "url": "https://soar.example.org/hook/s3cr3t",
            "min_severity": "high",
            "events": ["new_flag"],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    created = response.json()
    channel = Channel.objects.get()
    assert created["secret"] == channel.secret
    assert "url" not in created
    assert created["target"] == "https://soar.example.org/…"
    shown = client.get(f"{CHANNELS}{channel.pk}/").json()
    assert "secret" not in shown and "url" not in shown
    assert "s3cr3t" not in str(client.get(CHANNELS).json())
    assert AuditEntry.objects.filter(action="notification_channel.create").count() == 1


def test_a_channel_for_an_organization_one_does_not_administer_is_refused(tenants, api):
    for user in (tenants.viewer, tenants.analyst, tenants.outsider):
        response = api.session(user).post(
            CHANNELS,
            {
                "organization": tenants.org_a.pk,
                "name": "Forged",
                "kind": "email",
                "recipients": ["x@example.org"],
            },
            format="json",
        )
        assert response.status_code == 400
        assert "organization" in response.json()
    assert not Channel.objects.exists()


def test_viewers_and_analysts_see_no_channels_and_change_none(tenants, api):
    channel = webhook_of(tenants, tenants.org_a)
    for user in (tenants.viewer, tenants.analyst):
        client = api.session(user)
        assert client.get(CHANNELS).json()["results"] == []
        assert client.get(f"{CHANNELS}{channel.pk}/").status_code == 404
        assert client.patch(f"{CHANNELS}{channel.pk}/", {"name": "x"}).status_code == 404
        assert client.delete(f"{CHANNELS}{channel.pk}/").status_code == 404
        assert client.post(f"{CHANNELS}{channel.pk}/test/").status_code == 404


def test_an_admin_changes_the_rules_and_the_kind_stays(tenants, api):
    channel = webhook_of(tenants, tenants.org_a)
    client = api.session(tenants.owner)

    response = client.patch(
        f"{CHANNELS}{channel.pk}/",
        {"min_severity": "critical", "advisory_kinds": ["prohibition"], "mode": "digest"},
        format="json",
    )
    refused = client.patch(f"{CHANNELS}{channel.pk}/", {"kind": "slack"}, format="json")

    assert response.status_code == 200, response.json()
    channel.refresh_from_db()
    assert (channel.min_severity, channel.advisory_kinds, channel.mode) == (
        "critical",
        ["prohibition"],
        "digest",
    )
    assert refused.status_code == 400 and "kind" in refused.json()
    entry = AuditEntry.objects.get(action="notification_channel.update")
    assert entry.before["min_severity"] == "none" and entry.after["min_severity"] == "critical"


def test_rotating_the_secret_returns_the_new_one(tenants, api):
    channel = webhook_of(tenants, tenants.org_a)

    response = api.session(tenants.owner).post(f"{CHANNELS}{channel.pk}/rotate-secret/")

    channel.refresh_from_db()
    assert response.json() == {"secret": channel.secret}


def test_the_test_action_returns_the_queued_delivery(tenants, api):
    channel = webhook_of(tenants, tenants.org_a)

    response = api.session(tenants.owner).post(f"{CHANNELS}{channel.pk}/test/")

    assert response.status_code == 202
    assert response.json()["kind"] == "test"
    assert Delivery.objects.get(channel=channel).pk == response.json()["id"]


def test_a_read_token_reads_channels_but_does_not_change_them(tenants, api):
    channel = webhook_of(tenants, tenants.org_a)
    client = api.token(tenants.owner, access=TokenAccess.READ)

    assert client.get(f"{CHANNELS}{channel.pk}/").status_code == 200
    assert client.delete(f"{CHANNELS}{channel.pk}/").status_code == 403
    assert Channel.objects.filter(pk=channel.pk).exists()


def test_deliveries_filter_by_status(tenants, api):
    channel = webhook_of(tenants, tenants.org_a)
    sent = Delivery.objects.create(
        organization=tenants.org_a, channel=channel, kind="test", status="sent"
    )
    Delivery.objects.create(
        organization=tenants.org_a, channel=channel, kind="test", status="failed"
    )

    response = api.session(tenants.owner).get(DELIVERIES, {"status": "sent"})

    assert [row["id"] for row in response.json()["results"]] == [sent.pk]
