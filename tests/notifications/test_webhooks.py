"""Channels that post: the signed generic webhook, Slack, Teams; retries, backoff, failure."""

from __future__ import annotations

import hashlib
import hmac
import socket

import pytest

from notifications.choices import ChannelKind, DeliveryStatus
from notifications.models import Delivery
from notifications.services import channel_create, channel_test
from tests.notifications.conftest import flag_of, publish

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_receivers_allowed")]


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does (the README's example): recompute and compare in constant time."""
    timestamp = headers["X-Vendorwatch-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(f"sha256={expected.hexdigest()}", headers["X-Signature"])


def channel(world, kind, url, **rules):
    return channel_create(
        organization=world.tenants.org_a,
        kind=kind,
        actor=world.tenants.owner,
        name=f"{kind} channel",
        url=url,
        **rules,
    )


def test_a_new_flag_reaches_the_webhook_signed_so_that_the_signature_verifies(
    world, receiver, django_capture_on_commit_callbacks
):
    _channel, secret = channel(world, ChannelKind.WEBHOOK, receiver.url)

    advisory = publish(world, django_capture_on_commit_callbacks)

    [request] = receiver.received
    assert request.path == "/hooks/vendorwatch"
    assert verify(secret, request.headers, request.body)
    assert not verify("another secret", request.headers, request.body)
    payload = request.json()
    assert payload["organization"]["name"] == "Stadtwerke Alpha"
    assert payload["type"] == "events"
    [entry] = payload["flags"]
    assert entry["event"] == "new_flag"
    assert entry["flag"]["id"] == flag_of(advisory, world.item_a).pk
    assert entry["advisory"]["identifier"] == "BSI-2022-0315"
    assert entry["advisory"]["url"].endswith(f"/advisories/{advisory.pk}/")
    assert "Klinikum Beta" not in request.body.decode()
    assert request.headers["X-Vendorwatch-Delivery"] == str(payload["delivery"])
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("sent", 1, 200)


def test_a_tampered_body_or_timestamp_does_not_verify(
    world, receiver, django_capture_on_commit_callbacks
):
    _channel, secret = channel(world, ChannelKind.WEBHOOK, receiver.url)
    publish(world, django_capture_on_commit_callbacks)
    [request] = receiver.received

    assert not verify(secret, request.headers, request.body.replace(b"Alpha", b"Gamma"))
    older = {**request.headers, "X-Vendorwatch-Timestamp": "1000000000"}
    assert not verify(secret, older, request.body)


def test_slack_receives_blocks_with_a_header_and_a_section_per_flag(
    world, receiver, django_capture_on_commit_callbacks
):
    channel(world, ChannelKind.SLACK, receiver.url)

    publish(world, django_capture_on_commit_callbacks)

    payload = receiver.received[0].json()
    assert payload["text"] == "1 new flag in Stadtwerke Alpha"
    header, section, footer = payload["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "1 new flag in Stadtwerke Alpha"},
    }
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    assert "|BSI-2022-0315>*" in section["text"]["text"]
    assert footer["type"] == "context"
    assert "X-Signature" not in receiver.received[0].headers


def test_teams_receives_an_adaptive_card(world, receiver, django_capture_on_commit_callbacks):
    channel(world, ChannelKind.TEAMS, receiver.url)

    publish(world, django_capture_on_commit_callbacks)

    payload = receiver.received[0].json()
    assert payload["type"] == "message"
    [attachment] = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    title, container = card["body"]
    assert title["text"] == "1 new flag in Stadtwerke Alpha"
    facts = {fact["title"]: fact["value"] for fact in container["items"][1]["facts"]}
    assert facts["Severity"] == "High"
    assert facts["Event"] == "New flag"
    assert card["actions"][0]["type"] == "Action.OpenUrl"


def test_a_failing_endpoint_is_retried_with_exponential_backoff_then_marked_failed(
    world, receiver, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 30
    receiver.statuses = [500]
    webhook, _secret = channel(world, ChannelKind.WEBHOOK, receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        delivery = channel_test(channel=webhook, actor=world.tenants.owner)

    delivery.refresh_from_db()
    assert len(receiver.received) == 5
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 5
    assert delivery.response_code == 500
    assert delivery.last_error == "HTTP 500: receiver says no"
    attempts = list(delivery.attempt_log.order_by("number"))
    assert [a.number for a in attempts] == [1, 2, 3, 4, 5]
    assert [a.retry_in for a in attempts] == [30, 60, 120, 240, None]
    assert all(a.response_code == 500 for a in attempts)


def test_an_endpoint_that_recovers_gets_the_message_on_the_retry(
    world, receiver, django_capture_on_commit_callbacks
):
    receiver.statuses = [503, 200]
    webhook, _secret = channel(world, ChannelKind.WEBHOOK, receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        delivery = channel_test(channel=webhook, actor=world.tenants.owner)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")
    assert [a.retry_in for a in delivery.attempt_log.order_by("number")] == [60, None]
    assert receiver.received[0].body == receiver.received[1].body


def test_a_client_error_fails_at_once_since_retrying_cannot_fix_it(
    world, receiver, django_capture_on_commit_callbacks
):
    receiver.statuses = [404]
    webhook, _secret = channel(world, ChannelKind.SLACK, receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        delivery = channel_test(channel=webhook, actor=world.tenants.owner)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 1, 404)


def test_a_redirect_is_not_followed(world, receiver, django_capture_on_commit_callbacks):
    receiver.statuses = [302]
    receiver.location = "http://169.254.169.254/latest/meta-data/"
    webhook, _secret = channel(world, ChannelKind.WEBHOOK, receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        delivery = channel_test(channel=webhook, actor=world.tenants.owner)

    delivery.refresh_from_db()
    assert len(receiver.received) == 1
    assert (delivery.status, delivery.response_code) == ("failed", 302)
    assert "redirects are not followed" in delivery.last_error


def test_the_request_goes_to_the_address_that_was_checked_with_the_original_host(
    world, receiver, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """The host is resolved once; the connection goes to that address while the request
    still names the host (Host header), so a second, different DNS answer is never used."""
    settings.OUTBOUND_ALLOWED_HOSTS = ["hooks.intranet.example"]
    port = int(receiver.url.split(":")[2].split("/")[0])
    answers = iter(["127.0.0.1", "10.66.66.66"])
    lookups = []
    real_resolve = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host != "hooks.intranet.example":
            return real_resolve(host, port, *args, **kwargs)
        lookups.append(host)
        address = next(answers)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    webhook, _secret = channel(
        world, ChannelKind.WEBHOOK, f"http://hooks.intranet.example:{port}/hooks/vendorwatch"
    )

    with django_capture_on_commit_callbacks(execute=True):
        delivery = channel_test(channel=webhook, actor=world.tenants.owner)

    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert lookups == ["hooks.intranet.example"]
    assert receiver.received[0].headers["Host"] == f"hooks.intranet.example:{port}"
