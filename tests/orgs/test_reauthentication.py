"""Sensitive actions ask for the password again: a signed-in session alone (a browser left
open, a stolen cookie) can neither issue an API token nor redirect notifications."""

import pytest
from django.test import Client
from django.urls import reverse

from notifications.models import Channel
from notifications.services import channel_create
from orgs.models import ApiToken
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.reauthentication]

TOKENS = reverse("tokens")
REAUTHENTICATE = reverse("account_reauthenticate")


def signed_in(username: str) -> Client:
    client = Client()
    response = client.post(reverse("account_login"), {"login": username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client


def test_issuing_a_token_asks_for_the_password_then_goes_ahead(tenants):
    client = signed_in(tenants.analyst.username)
    assert client.get(TOKENS).status_code == 200

    asked = client.post(TOKENS, {"name": "SIEM export", "access": "read"})
    assert asked.status_code == 302
    assert asked.url == f"{REAUTHENTICATE}?next=%2Faccounts%2Ftokens%2F"
    assert not ApiToken.objects.exists()

    wrong = client.post(asked.url, {"password": "not-the-password"})
    assert wrong.status_code == 200
    assert not ApiToken.objects.exists()

    # The confirmed password resumes the request that was held: the token is issued.
    confirmed = client.post(asked.url, {"password": TEST_PASSWORD})
    assert confirmed.status_code == 200
    assert "Copy it now" in confirmed.content.decode()
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["SIEM export"]

    # Within the next minutes no second confirmation is needed.
    again = client.post(TOKENS, {"name": "Second", "access": "read"})
    assert again.status_code == 200
    assert ApiToken.objects.count() == 2


def test_expired_confirmation_is_asked_for_again(tenants, settings):
    client = signed_in(tenants.analyst.username)
    client.post(f"{REAUTHENTICATE}?next=%2F", {"password": TEST_PASSWORD})
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 0
    asked = client.post(TOKENS, {"name": "Late", "access": "read"})
    assert asked.status_code == 302
    assert asked.url.startswith(REAUTHENTICATE)
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("action", ["edit", "delete", "rotate"])
def test_changing_a_notification_channel_asks_for_the_password(tenants, action):
    channel, _secret = channel_create(
        organization=tenants.org_a,
        kind="webhook",
        actor=tenants.owner,
        name="SOAR",
        url="https://soar.stadtwerke-alpha.example/hook",
    )
    client = signed_in(tenants.owner.username)
    url = {
        "edit": reverse("notifications:channel_edit", args=[channel.pk]),
        "delete": reverse("notifications:channel_delete", args=[channel.pk]),
        "rotate": reverse("notifications:channel_rotate_secret", args=[channel.pk]),
    }[action]
    before = Channel.objects.values().get(pk=channel.pk)
    response = client.post(url, {"name": "Hijacked", "url": "https://attacker.example/hook"})
    assert response.status_code == 302
    assert response.url.startswith(REAUTHENTICATE)
    assert Channel.objects.values().get(pk=channel.pk) == before


def test_creating_a_notification_channel_asks_for_the_password(tenants):
    client = signed_in(tenants.owner.username)
    assert client.get(reverse("notifications:channel_create")).status_code == 200
    response = client.post(
        reverse("notifications:channel_create"),
        {
            "organization": tenants.org_a.pk,
            "kind": "webhook",
            "name": "New",
            "url": "https://x.example/h",
        },
    )
    assert response.status_code == 302
    assert response.url.startswith(REAUTHENTICATE)
    assert not Channel.objects.exists()
