"""Sensitive actions ask for the password again (the second factor, where one is set up): a
signed-in session alone (a browser left open, a stolen cookie) can neither issue an API token,
nor redirect notifications, nor change who belongs to an organization or holds which role."""

import pytest
from django.test import Client
from django.urls import reverse

from notifications.models import Channel
from notifications.services import channel_create
from orgs.choices import Role
from orgs.models import ApiToken, Membership
from orgs.tokens import token_create
from tests.factories import TEST_PASSWORD, MembershipFactory, UserFactory
from tests.orgs.test_second_factor import enrol, totp

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


def test_issuing_a_token_through_the_api_from_a_session_asks_for_a_confirmation(tenants):
    client = signed_in(tenants.analyst.username)
    body = {"name": "Script", "access": "read"}
    refused = client.post("/api/v1/tokens/", body, content_type="application/json")
    assert refused.status_code == 403
    assert REAUTHENTICATE in refused.json()["detail"]
    assert not ApiToken.objects.exists()
    # Listing is not sensitive.
    assert client.get("/api/v1/tokens/").status_code == 200

    client.post(f"{REAUTHENTICATE}?next=%2F", {"password": TEST_PASSWORD})
    issued = client.post("/api/v1/tokens/", body, content_type="application/json")
    assert issued.status_code == 201
    assert issued.json()["token"].startswith("vw_")


def test_changing_memberships_through_the_api_from_a_session_asks_for_a_confirmation(tenants):
    client = signed_in(tenants.owner.username)
    newcomer = UserFactory(username="newcomer")
    MembershipFactory(user=newcomer, organization=tenants.org_b)
    viewer = Membership.objects.get(user=tenants.viewer)
    before = sorted(Membership.objects.values_list("user__username", "role"))
    attempts = [
        client.post(
            "/api/v1/memberships/",
            {"organization": tenants.org_a.pk, "user": newcomer.pk, "role": "viewer"},
            content_type="application/json",
        ),
        client.patch(
            f"/api/v1/memberships/{viewer.pk}/", {"role": "admin"}, content_type="application/json"
        ),
        client.delete(f"/api/v1/memberships/{viewer.pk}/"),
    ]
    assert [a.status_code for a in attempts] == [403, 403, 403]
    assert sorted(Membership.objects.values_list("user__username", "role")) == before

    client.post(f"{REAUTHENTICATE}?next=%2F", {"password": TEST_PASSWORD})
    changed = client.patch(
        f"/api/v1/memberships/{viewer.pk}/", {"role": "analyst"}, content_type="application/json"
    )
    assert changed.status_code == 200
    assert Membership.objects.get(pk=viewer.pk).role == Role.ANALYST


def test_a_token_changes_memberships_without_a_session_to_confirm(tenants):
    # The token was issued after a confirmation; it has no session that could give another.
    _token, text = token_create(user=tenants.owner, name="Script", access="read_write")
    viewer = Membership.objects.get(user=tenants.viewer)
    response = Client().patch(
        f"/api/v1/memberships/{viewer.pk}/",
        {"role": "analyst"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {text}",
    )
    assert response.status_code == 200


@pytest.fixture
def superuser_client() -> Client:
    UserFactory(username="root", is_staff=True, is_superuser=True)
    return signed_in("root")


def test_admin_membership_changes_ask_for_a_confirmation(tenants, superuser_client):
    viewer = Membership.objects.get(user=tenants.viewer)
    deleting = superuser_client.post(
        reverse("admin:orgs_membership_delete", args=[viewer.pk]), {"post": "yes"}
    )
    assert deleting.url.startswith(REAUTHENTICATE)
    assert Membership.objects.filter(pk=viewer.pk).exists()

    change = reverse("admin:orgs_membership_change", args=[viewer.pk])
    assert superuser_client.get(change).status_code == 200
    asked = superuser_client.post(
        change,
        {"user": tenants.viewer.pk, "organization": tenants.org_a.pk, "role": "analyst"},
    )
    assert asked.status_code == 302
    assert asked.url.startswith(REAUTHENTICATE)
    assert Membership.objects.get(pk=viewer.pk).role == Role.VIEWER

    # Confirmed, the change that was held (the last one) goes through.
    resumed = superuser_client.post(asked.url, {"password": TEST_PASSWORD})
    assert resumed.status_code == 302
    assert Membership.objects.get(pk=viewer.pk).role == Role.ANALYST


def test_admin_organization_members_and_platform_roles_ask_for_a_confirmation(
    tenants, superuser_client
):
    organization = superuser_client.post(
        reverse("admin:orgs_organization_change", args=[tenants.org_a.pk]), {"name": "Renamed"}
    )
    assert organization.url.startswith(REAUTHENTICATE)
    user = superuser_client.post(
        reverse("admin:orgs_user_change", args=[tenants.viewer.pk]),
        {"username": "viewer-a", "is_advisory_editor": "on"},
    )
    assert user.url.startswith(REAUTHENTICATE)
    ended = superuser_client.post(
        reverse("admin:orgs_user_changelist"),
        {"action": "end_sessions", "_selected_action": [tenants.viewer.pk]},
    )
    assert ended.url.startswith(REAUTHENTICATE)
    tenants.viewer.refresh_from_db()
    tenants.org_a.refresh_from_db()
    assert (tenants.org_a.name, tenants.viewer.is_advisory_editor) == ("Stadtwerke Alpha", False)


def test_with_a_second_factor_the_confirmation_asks_for_it_not_the_password(tenants, settings):
    settings.MFA_TOTP_TOLERANCE = 1
    first = signed_in(tenants.analyst.username)
    secret, codes = enrol(first)

    client = Client()
    client.post(
        reverse("account_login"), {"login": tenants.analyst.username, "password": TEST_PASSWORD}
    )
    assert client.post(reverse("mfa_authenticate"), {"code": codes[0]}).status_code == 302

    asked = client.post(TOKENS, {"name": "SIEM export", "access": "read"})
    assert asked.status_code == 302
    assert asked.url == f"{reverse('mfa_reauthenticate')}?next=%2Faccounts%2Ftokens%2F"
    # The password form is not offered: it leads to the second factor.
    password_page = client.get(f"{REAUTHENTICATE}?next=%2Faccounts%2Ftokens%2F")
    assert password_page.status_code == 302
    assert password_page.url.startswith(reverse("mfa_reauthenticate"))
    client.post(f"{REAUTHENTICATE}?next=%2Faccounts%2Ftokens%2F", {"password": TEST_PASSWORD})
    assert not ApiToken.objects.exists()

    wrong = client.post(asked.url, {"code": "000000"})
    assert wrong.status_code == 200
    assert not ApiToken.objects.exists()
    confirmed = client.post(asked.url, {"code": totp(secret, step=1)})
    assert confirmed.status_code == 200
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["SIEM export"]


def test_a_person_without_a_password_or_second_factor_cannot_confirm_and_issues_nothing(tenants):
    # People who sign in only through single sign-on have no password to confirm with; until
    # they set up a second factor, a sensitive action stays refused rather than unguarded.
    tenants.analyst.set_unusable_password()
    tenants.analyst.save()
    client = Client()
    client.force_login(tenants.analyst)
    refused = client.post(TOKENS, {"name": "SIEM export", "access": "read"})
    assert refused.status_code == 403
    assert not ApiToken.objects.exists()
