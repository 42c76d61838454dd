"""The notification and SLA pages: admins manage their organizations' channels and SLAs; the
secret is shown once; nobody else sees any of it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from notifications.choices import ChannelKind
from notifications.models import Channel, Delivery
from notifications.services import channel_create
from orgs.choices import Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhook(tenants):
    channel, _secret = channel_create(
        organization=tenants.org_a,
        kind=ChannelKind.WEBHOOK,
        actor=tenants.owner,
        name="SOAR intake",
        url="https://soar.alpha.example/hooks/t0ps3cr3t-path",
    )
    return channel


def test_an_admin_creates_a_webhook_and_sees_its_secret_once(client, tenants):
    client.force_login(tenants.owner)

    response = client.post(
        reverse("notifications:channel_create"),
        {
            "organization": tenants.org_a.pk,
            "name": "SOAR intake",
            "kind": ChannelKind.WEBHOOK,
            "url": "https://soar.alpha.example/hooks/t0ps3cr3t-path",
            "enabled": "on",
            "mode": "immediate",
            "events": ["new_flag", "overdue"],
            "min_severity": "high",
        },
    )

    channel = Channel.objects.get()
    assert response.status_code == 200
    assert channel.secret and channel.secret in response.content.decode()
    assert (channel.min_severity, channel.events) == ("high", ["new_flag", "overdue"])
    page = client.get(reverse("notifications:channel_edit", kwargs={"pk": channel.pk}))
    listing = client.get(reverse("notifications:channel_list"))
    for later in (page, listing):
        body = later.content.decode()
        assert channel.secret not in body
        assert "t0ps3cr3t-path" not in body
        assert "https://soar.alpha.example/…" in body


def test_an_edit_without_a_url_keeps_the_saved_one(client, tenants, webhook):
    client.force_login(tenants.owner)

    response = client.post(
        reverse("notifications:channel_edit", kwargs={"pk": webhook.pk}),
        {
            "name": "SOAR",
            "url": "",
            "mode": "digest",
            "events": ["new_flag"],
            "min_severity": "low",
        },
    )

    assert response.status_code == 302
    webhook.refresh_from_db()
    assert (webhook.name, webhook.mode, webhook.enabled) == ("SOAR", "digest", False)
    assert webhook.url == "https://soar.alpha.example/hooks/t0ps3cr3t-path"


def test_a_new_secret_replaces_the_old_one_and_is_shown_once(client, tenants, webhook):
    client.force_login(tenants.owner)
    old = webhook.secret

    response = client.post(
        reverse("notifications:channel_rotate_secret", kwargs={"pk": webhook.pk})
    )

    webhook.refresh_from_db()
    assert webhook.secret != old
    assert webhook.secret in response.content.decode()
    entry = AuditEntry.objects.get(action="notification_channel.rotate_secret")
    assert webhook.secret not in str(entry.after) and old not in str(entry.after)


def test_the_test_button_queues_a_test_delivery(client, tenants, webhook):
    client.force_login(tenants.owner)

    response = client.post(reverse("notifications:channel_test", kwargs={"pk": webhook.pk}))

    delivery = Delivery.objects.get(channel=webhook)
    assert response.url == reverse("notifications:delivery_detail", kwargs={"pk": delivery.pk})
    assert client.get(response.url).status_code == 200


def test_deleting_asks_first_then_deletes(client, tenants, webhook):
    client.force_login(tenants.owner)
    url = reverse("notifications:channel_delete", kwargs={"pk": webhook.pk})

    assert client.get(url).status_code == 200
    assert Channel.objects.exists()
    client.post(url)
    assert not Channel.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "viewer", "analyst"])
def test_only_admins_of_the_organization_reach_its_channels(client, tenants, webhook, who):
    client.force_login(getattr(tenants, who))
    Delivery.objects.create(organization=tenants.org_a, channel=webhook, kind="test")
    delivery = Delivery.objects.get()

    for name, kwargs in [
        ("notifications:channel_edit", {"pk": webhook.pk}),
        ("notifications:channel_delete", {"pk": webhook.pk}),
        ("notifications:delivery_detail", {"pk": delivery.pk}),
        ("notifications:sla_edit", {"slug": tenants.org_a.slug}),
    ]:
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 404
    for name in ("notifications:channel_test", "notifications:channel_rotate_secret"):
        assert client.post(reverse(name, kwargs={"pk": webhook.pk})).status_code == 404
    for name in ("notifications:channel_list", "notifications:delivery_list"):
        body = client.get(reverse(name)).content.decode()
        assert "SOAR intake" not in body and "Stadtwerke Alpha" not in body
    # The outsider administers organization B, so may create channels there; the others none.
    expected = 200 if who == "outsider" else 404
    assert client.get(reverse("notifications:channel_create")).status_code == expected


def test_an_admin_member_manages_channels_like_the_owner(client, tenants, webhook):
    admin = UserFactory(username="admin-a")
    MembershipFactory(user=admin, organization=tenants.org_a, role=Role.ADMIN)
    client.force_login(admin)

    assert "SOAR intake" in client.get(reverse("notifications:channel_list")).content.decode()
    assert (
        client.get(reverse("notifications:channel_edit", kwargs={"pk": webhook.pk})).status_code
        == 200
    )


def test_an_admin_changes_the_sla_days_and_the_change_is_audited(client, tenants):
    client.force_login(tenants.owner)

    response = client.post(
        reverse("notifications:sla_edit", kwargs={"slug": tenants.org_a.slug}),
        {"sla_critical_days": 3, "sla_high_days": 14, "sla_medium_days": 90, "sla_low_days": 180},
    )

    assert response.status_code == 302
    tenants.org_a.refresh_from_db()
    assert (tenants.org_a.sla_critical_days, tenants.org_a.sla_high_days) == (3, 14)
    entry = AuditEntry.objects.get(action="organization.update")
    assert entry.actor_id == tenants.owner.pk
    assert (entry.before["sla_critical_days"], entry.after["sla_critical_days"]) == (7, 3)
    assert (entry.before["sla_high_days"], entry.after["sla_high_days"]) == (30, 14)


def test_the_sla_form_refuses_zero_days(client, tenants):
    client.force_login(tenants.owner)

    response = client.post(
        reverse("notifications:sla_edit", kwargs={"slug": tenants.org_a.slug}),
        {"sla_critical_days": 0, "sla_high_days": 14, "sla_medium_days": 90, "sla_low_days": 180},
    )

    assert response.status_code == 400
    tenants.org_a.refresh_from_db()
    assert tenants.org_a.sla_critical_days == 7


@pytest.mark.parametrize(
    "name", ["notifications:channel_list", "notifications:delivery_list", "channel_edit"]
)
def test_lists_cost_the_same_queries_for_one_row_and_many(
    client, tenants, webhook, name, django_assert_max_num_queries
):
    client.force_login(tenants.owner)
    url = (
        reverse("notifications:channel_edit", kwargs={"pk": webhook.pk})
        if name == "channel_edit"
        else reverse(name)
    )
    Delivery.objects.create(organization=tenants.org_a, channel=webhook, kind="test")
    with django_assert_max_num_queries(20) as few:
        assert client.get(url).status_code == 200

    for number in range(12):
        channel_create(
            organization=tenants.org_a,
            kind=ChannelKind.EMAIL,
            actor=tenants.owner,
            name=f"Mailbox {number}",
            recipients=[f"soc{number}@alpha.example"],
        )
        Delivery.objects.create(organization=tenants.org_a, channel=webhook, kind="test")

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_delivery_pages_write_dates_as_every_other_page_does(client, tenants, webhook):
    """'7 Dec 2026 09:30', as the flag and advisory pages write them, never '2026-12-07'."""
    import datetime

    from django.utils import timezone

    start = timezone.make_aware(datetime.datetime(2026, 12, 7, 9, 30))
    delivery = Delivery.objects.create(
        organization=tenants.org_a,
        channel=webhook,
        kind="digest",
        period_start=start,
        period_end=start + datetime.timedelta(days=1),
    )
    Delivery.objects.filter(pk=delivery.pk).update(created_at=start)
    client.force_login(tenants.owner)
    detail = client.get(reverse("notifications:delivery_detail", kwargs={"pk": delivery.pk}))
    listed = client.get(reverse("notifications:delivery_list"))
    for body in (detail.content.decode(), listed.content.decode()):
        assert "7 Dec 2026 09:30" in body
        assert "2026-12-07 09:30" not in body
    assert "8 Dec 2026 09:30" in detail.content.decode()
