"""User text in messages is shown as text: Teams cards escape their Markdown, emails keep each
name on its line (no forged lines, no header injection)."""

from __future__ import annotations

import pytest
from django.core import mail

from advisories.choices import TargetKind
from advisories.services import advisory_create, advisory_publish
from notifications.choices import ChannelKind
from notifications.services import channel_create
from orgs.services import inventory_item_create
from tests.factories import ProductFactory, SourceFactory, VendorFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_receivers_allowed")]

LINK = "[Renew now](https://evil.example/login)"


@pytest.fixture
def hostile(tenants, django_capture_on_commit_callbacks):
    """An advisory and an item whose names carry Markdown and line breaks, flagged for A."""
    tenants.org_a.name = "Alpha\r\nBcc: victim@example.org"
    tenants.org_a.save()
    product = ProductFactory(vendor=VendorFactory(name="Acme"), name="Gateway")
    data = {
        "product": product,
        "raw_vendor": "Acme",
        "raw_product": f"Gateway {LINK} **urgent**",
    }
    with django_capture_on_commit_callbacks(execute=True):
        inventory_item_create(organization=tenants.org_a, data=data)
    advisory = advisory_create(
        source=SourceFactory(),
        identifier="ACME-[1](https://evil.example)",
        title=f"Gateway flaw {LINK}\n  https://evil.example/fake-instructions",
        kind="vulnerability",
        severity="high",
        targets=[{"kind": TargetKind.PRODUCT, "product": product}],
    )
    return advisory


def _publish(advisory, capture):
    with capture(execute=True):
        advisory_publish(advisory=advisory)


def test_a_teams_card_shows_markdown_in_names_as_text(
    tenants, hostile, receiver, django_capture_on_commit_callbacks
):
    channel_create(
        organization=tenants.org_a,
        kind=ChannelKind.TEAMS,
        actor=tenants.owner,
        name="teams",
        url=receiver.url,
    )

    _publish(hostile, django_capture_on_commit_callbacks)

    card = receiver.received[0].json()["attachments"][0]["content"]
    title, container = card["body"]
    heading = container["items"][0]["text"]
    facts = {fact["title"]: fact["value"] for fact in container["items"][1]["facts"]}
    # The only link in the heading is ours, to the advisory; the others are escaped text.
    assert heading.count("](") == 1
    assert heading.startswith(r"[ACME\-\[1\]\(https://evil.example\)](http")
    assert r"\[Renew now\]\(https://evil.example/login\)" in heading
    assert "\n" not in heading
    assert r"\[Renew now\]\(https://evil.example/login\) \*\*urgent\*\*" in facts["Item"]
    assert "](" not in facts["Item"]
    assert "\r" not in title["text"] and "\n" not in title["text"]


def test_an_email_keeps_every_name_on_its_own_line(
    tenants, hostile, django_capture_on_commit_callbacks
):
    channel_create(
        organization=tenants.org_a,
        kind=ChannelKind.EMAIL,
        actor=tenants.owner,
        name="email",
        recipients=["soc@example.org"],
    )

    _publish(hostile, django_capture_on_commit_callbacks)

    [message] = mail.outbox
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.to == ["soc@example.org"]
    assert message.subject == "[Vendorwatch] 1 new flag in Alpha Bcc: victim@example.org"
    assert message.message()["Bcc"] is None
    lines = message.body.splitlines()
    # The title's line break became a space: no line of the body is the forged one.
    assert not any(line.strip().startswith("https://evil.example") for line in lines)
    assert any(
        "Gateway flaw [Renew now](https://evil.example/login)   https://" in x for x in lines
    )
