"""Notifications of a restricted advisory (TLP) never leave its audience: immediate emails,
daily digests and webhooks, sent for real (locmem mail, a webhook receiver on 127.0.0.1).

Organizations A, B and C all run the product. The advisory's audience is A; its named user is
a member of B, so that a RED advisory's flag exists in B (and only there). Each organization
has an immediate email channel, a digest email channel and a webhook.
"""

from __future__ import annotations

from typing import Any

import pytest

from advisories.choices import Tlp
from advisories.services import advisory_create, advisory_publish
from exposure.models import Flag
from notifications.choices import ChannelKind, ChannelMode
from notifications.dispatch import digests_close
from notifications.services import channel_create
from orgs.choices import Role
from orgs.models import Organization, User
from orgs.services import inventory_item_create
from tests.factories import MembershipFactory, OrganizationFactory, SourceFactory, UserFactory
from tests.notifications.conftest import Receiver, World

pytestmark = pytest.mark.django_db


def _channels(organization: Organization, owner: User, receiver: Receiver) -> None:
    slug = organization.slug
    channel_create(
        organization=organization,
        kind=ChannelKind.EMAIL,
        actor=owner,
        name="At once",
        recipients=[f"alerts@{slug}.example"],
    )
    channel_create(
        organization=organization,
        kind=ChannelKind.EMAIL,
        actor=owner,
        name="Digest",
        recipients=[f"digest@{slug}.example"],
        mode=ChannelMode.DIGEST,
    )
    channel_create(
        organization=organization,
        kind=ChannelKind.WEBHOOK,
        actor=owner,
        name="SOAR",
        url=f"{receiver.url}/{slug}",
    )


@pytest.mark.parametrize("tlp", [Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED], ids=str)
def test_emails_digests_and_webhooks_of_a_restricted_advisory_reach_its_audience_only(
    world: World,
    receiver: Receiver,
    local_receivers_allowed: None,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
    tlp: str,
) -> None:
    tenants = world.tenants
    org_c = OrganizationFactory(name="Wasserwerk Gamma", slug="wasserwerk-gamma")
    owner_c = UserFactory(username="owner-c")
    MembershipFactory(user=owner_c, organization=org_c, role=Role.OWNER)
    named = UserFactory(username="named-reader")
    MembershipFactory(user=named, organization=tenants.org_b, role=Role.VIEWER)
    data = {"product": world.product, "raw_vendor": "Kaspersky", "raw_product": "Endpoint"}
    with django_capture_on_commit_callbacks(execute=True):
        inventory_item_create(organization=org_c, data=data)
    for organization, owner in (
        (tenants.org_a, tenants.owner),
        (tenants.org_b, tenants.outsider),
        (org_c, owner_c),
    ):
        _channels(organization, owner, receiver)

    advisory = advisory_create(
        source=SourceFactory(),
        identifier="CERT-2026-0042",
        title="Replace Endpoint Security",
        kind="vendor_warning",
        severity="high",
        tlp=tlp,
        audience_organizations=[tenants.org_a],
        audience_users=[named],
        targets=[{"kind": "product", "product": world.product}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        advisory_publish(advisory=advisory)
    with django_capture_on_commit_callbacks(execute=True):
        digests_close()

    flagged = set(
        Flag.objects.filter(advisory=advisory).values_list("organization__slug", flat=True)
    )
    told_by_mail = {address for message in mailoutbox for address in message.to}
    told_by_webhook = {received.path.rsplit("/", 1)[-1] for received in receiver.received}
    if tlp == Tlp.RED:
        # The flag exists where the named user is a member; no channel speaks of RED.
        assert flagged == {"klinikum-beta"}
        assert (told_by_mail, told_by_webhook) == (set(), set())
    else:
        assert flagged == {"stadtwerke-alpha"}
        assert told_by_mail == {
            "alerts@stadtwerke-alpha.example",
            "digest@stadtwerke-alpha.example",
        }
        assert told_by_webhook == {"stadtwerke-alpha"}
        assert all("CERT-2026-0042" in message.body for message in mailoutbox)
