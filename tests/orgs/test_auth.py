"""Sign-in: Argon2, password rules, lockout with correct client addresses, audit."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from audit.models import AuditEntry
from config.middleware import client_ip
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")


def _attempt(client, username, password, addr="198.51.100.7", forwarded=None):
    extra = {"REMOTE_ADDR": addr}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(LOGIN, {"login": username, "password": password}, **extra)


@pytest.mark.real_password_hashing
def test_passwords_are_stored_with_argon2_and_sign_in_works(client):
    user = UserFactory(username="alice")
    assert user.password.startswith("argon2$")
    response = _attempt(client, "alice", TEST_PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_login_page_renders_a_form(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b'name="login"' in response.content
    assert "Content-Security-Policy" in response.headers


def test_pages_require_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


@pytest.mark.parametrize(
    ("password", "complaint"),
    [
        ("short1!", "too short"),
        ("password123456", "too common"),
        ("839201746352", "entirely numeric"),
    ],
)
def test_weak_passwords_are_refused(password, complaint):
    with pytest.raises(ValidationError) as error:
        validate_password(password)
    assert complaint in " ".join(error.value.messages)


def test_five_failures_lock_the_username_for_that_address(client):
    UserFactory(username="bob")
    statuses = [_attempt(client, "bob", "wrong-password").status_code for _ in range(5)]
    # The fifth failure is the one that locks.
    assert statuses == [200, 200, 200, 200, 429]
    locked = _attempt(client, "bob", TEST_PASSWORD)
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    # Another address is not locked out by someone else's failures.
    assert _attempt(client, "bob", TEST_PASSWORD, addr="203.0.113.9").status_code == 302


def test_forged_forwarded_for_does_not_dodge_the_lockout_without_a_trusted_proxy(client):
    UserFactory(username="carol")
    for n in range(5):
        _attempt(client, "carol", "wrong", forwarded=f"10.0.0.{n}")
    assert _attempt(client, "carol", TEST_PASSWORD, forwarded="10.9.9.9").status_code == 429


def test_behind_one_trusted_proxy_the_client_is_the_last_forwarded_address(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="dave")
    proxy = "192.0.2.1"
    for _ in range(5):
        _attempt(client, "dave", "wrong", addr=proxy, forwarded="spoofed, 203.0.113.50")
    # Same real client (the address the proxy saw), whatever it forges on the left: locked.
    assert (
        _attempt(
            client, "dave", TEST_PASSWORD, addr=proxy, forwarded="1.2.3.4, 203.0.113.50"
        ).status_code
        == 429
    )
    # A different real client behind the same proxy is not locked.
    assert (
        _attempt(client, "dave", TEST_PASSWORD, addr=proxy, forwarded="203.0.113.51").status_code
        == 302
    )


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "198.51.100.1", "6.6.6.6", "198.51.100.1"),
        (1, "10.0.0.1", "6.6.6.6, 203.0.113.4", "203.0.113.4"),
        (2, "10.0.0.1", "6.6.6.6, 203.0.113.4, 10.0.0.2", "203.0.113.4"),
        (2, "10.0.0.1", "203.0.113.4", "10.0.0.1"),
    ],
)
def test_client_ip_counts_trusted_proxies_from_the_right(
    settings, proxies, remote, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_sign_in_success_and_failure_enter_the_audit_trail(client):
    UserFactory(username="erin")
    _attempt(client, "erin", "nope")
    _attempt(client, "erin", TEST_PASSWORD)
    actions = list(
        AuditEntry.objects.order_by("pk").values_list("action", "object_repr", "ip_address")
    )
    assert actions == [
        ("auth.login_failed", "erin", "198.51.100.7"),
        ("auth.login", "erin", "198.51.100.7"),
    ]


def test_sign_out_needs_a_post_and_ends_the_session(client):
    user = UserFactory()
    client.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
    # A GET only asks for confirmation: a link or an image cannot sign anyone out.
    confirm = client.get(reverse("account_logout"))
    assert b'method="post"' in confirm.content
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("account_logout"))
    assert client.get(reverse("home")).status_code == 302


def test_advisory_editor_flag_grants_catalogue_and_advisory_admin_rights(client):
    editor = UserFactory(username="ed", is_staff=True, is_advisory_editor=True)
    assert editor.has_perm("advisories.add_advisory")
    assert editor.has_perm("vendors.change_vendor")
    assert not editor.has_perm("orgs.change_organization")
    assert editor.has_module_perms("advisories")
    assert not editor.has_module_perms("orgs")
    client.force_login(editor, backend="allauth.account.auth_backends.AuthenticationBackend")
    assert client.get(reverse("admin:advisories_advisory_add")).status_code == 200
    assert client.get(reverse("admin:orgs_organization_changelist")).status_code == 403


def test_revoking_the_editor_flag_revokes_the_rights():
    from orgs.models import User

    editor = UserFactory(username="ed2", is_staff=True, is_advisory_editor=True)
    editor.is_advisory_editor = False
    editor.save()
    assert not User.objects.get(pk=editor.pk).has_perm("advisories.add_advisory")


def test_the_sign_in_page_offers_each_configured_identity_provider(client):
    from allauth.socialaccount.models import SocialApp

    assert b"Single sign-on" not in client.get(LOGIN).content
    SocialApp.objects.create(
        provider="openid_connect",
        provider_id="keycloak",
        name="CERT Keycloak",
        client_id="vendorwatch",
        secret="s3cret",
        settings={"server_url": "https://id.cert.example/realms/cert"},
    )
    page = client.get(LOGIN).content.decode()
    assert 'action="/accounts/oidc/keycloak/login/' in page
    assert "Sign in with CERT Keycloak" in page
    assert "s3cret" not in page


def test_an_unreachable_identity_provider_gets_a_clear_page_and_creates_nobody(client):
    from allauth.socialaccount.models import SocialApp

    from orgs.models import User

    SocialApp.objects.create(
        provider="openid_connect",
        provider_id="keycloak",
        name="CERT Keycloak",
        client_id="vendorwatch",
        secret="s3cret",
        # Nothing listens on the discard port.
        settings={"server_url": "http://127.0.0.1:9/realms/cert"},
    )
    users = User.objects.count()
    response = client.post("/accounts/oidc/keycloak/login/")
    assert response.status_code == 502
    assert "CERT Keycloak could not be reached" in response.content.decode()
    assert User.objects.count() == users
    assert client.get(reverse("home")).status_code == 302
