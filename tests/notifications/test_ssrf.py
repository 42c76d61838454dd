"""The SSRF guard: webhooks never reach addresses that are not public, unless an operator
allows the host."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ValidationError

import outbound
from notifications.choices import ChannelKind
from notifications.services import channel_create, channel_test

REFUSED = [
    "http://127.0.0.1/hook",
    "http://127.1.2.3:8080/hook",
    "http://[::1]/hook",
    "http://10.0.0.1/hook",
    "http://10.255.12.7/hook",
    "http://192.168.1.20/hook",
    "http://172.16.5.4/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/hook",
    "http://0.0.0.0/hook",
    "http://224.0.0.251/hook",
    "http://240.0.0.1/hook",
    "http://100.64.0.1/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "https://localhost/hook",
]


@pytest.mark.parametrize("url", REFUSED)
def test_addresses_that_are_not_public_are_refused(url):
    with pytest.raises(outbound.OutboundRefused, match="not public"):
        outbound.request("POST", url, body=b"{}", headers={})


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/hook", "file:///etc/passwd", "gopher://example.org/", "//example.org/"],
)
def test_only_http_and_https_are_called(url):
    with pytest.raises(outbound.OutboundRefused, match="Only http and https"):
        outbound.request("POST", url, body=b"{}", headers={})


def test_credentials_in_the_url_are_refused():
    with pytest.raises(outbound.OutboundRefused, match="Credentials"):
        outbound.request("POST", "https://user:pass@example.org/hook", body=b"{}", headers={})


def fake_dns(monkeypatch, answers: dict[str, list[str]]) -> None:
    """Answer for these names as a resolver would; everything else resolves for real."""
    real_resolve = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host not in answers:
            return real_resolve(host, port, *args, **kwargs)
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (address, port),
            )
            for address in answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def test_a_host_name_that_resolves_to_a_private_address_is_refused(monkeypatch):
    fake_dns(monkeypatch, {"hooks.example.org": ["10.20.30.40"]})
    with pytest.raises(outbound.OutboundRefused, match=r"10\.20\.30\.40"):
        outbound.request("POST", "https://hooks.example.org/hook", body=b"{}", headers={})


def test_every_address_of_a_name_is_checked_not_only_the_first(monkeypatch):
    fake_dns(monkeypatch, {"hooks.example.org": ["93.184.216.34", "192.168.0.9"]})
    with pytest.raises(outbound.OutboundRefused, match=r"192\.168\.0\.9"):
        outbound.request("POST", "https://hooks.example.org/hook", body=b"{}", headers={})


@pytest.mark.django_db
def test_an_allowed_host_is_reached_although_it_is_loopback(receiver, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]

    response = outbound.request("POST", receiver.url, body=b'{"a": 1}', headers={"X-Test": "yes"})

    assert response.status == 200
    assert receiver.received[0].body == b'{"a": 1}'


def test_the_allow_list_names_hosts_not_whatever_they_resolve_to(monkeypatch, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["relay.intranet.example"]
    fake_dns(monkeypatch, {"evil.example.org": ["127.0.0.1"]})
    with pytest.raises(outbound.OutboundRefused):
        outbound.request("POST", "http://evil.example.org/hook", body=b"{}", headers={})


def test_the_answer_is_read_up_to_the_size_cap(receiver, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    cut = outbound.Limits(max_bytes=5, truncate=True)

    response = outbound.request("POST", receiver.url, body=b"{}", headers={}, limits=cut)

    assert response.body == b'{"ok"'
    with pytest.raises(outbound.OutboundFailed, match="larger than 5 bytes"):
        outbound.request("POST", receiver.url, limits=outbound.Limits(max_bytes=5))


def test_a_silent_endpoint_times_out(settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        with pytest.raises(outbound.OutboundFailed, match="No answer from"):
            outbound.request(
                "POST",
                f"http://127.0.0.1:{port}/hook",
                body=b"{}",
                limits=outbound.Limits(read_timeout=0.3),
            )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["http://10.0.0.1/hook", "http://169.254.169.254/", "http://127.0.0.1:9/hook"]
)
def test_a_channel_cannot_be_saved_with_an_address_that_is_not_public(tenants, url):
    with pytest.raises(ValidationError, match="not a public address"):
        channel_create(
            organization=tenants.org_a,
            kind=ChannelKind.WEBHOOK,
            actor=tenants.owner,
            name="internal",
            url=url,
        )


@pytest.mark.django_db
def test_a_name_resolving_to_loopback_fails_its_delivery_without_retrying(
    tenants, django_capture_on_commit_callbacks
):
    webhook, _secret = channel_create(
        organization=tenants.org_a,
        kind=ChannelKind.WEBHOOK,
        actor=tenants.owner,
        name="sneaky",
        url="http://localhost:8000/hook",
    )

    with django_capture_on_commit_callbacks(execute=True):
        delivery = channel_test(channel=webhook, actor=tenants.owner)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error.startswith("Refused: localhost resolves to an address")
