"""In a real browser with Chromium's virtual authenticator (the DevTools WebAuthn domain): a
member sets up a passkey, signs out and signs in with the passkey alone; an editor held by the
second-factor policy may set up a security key instead of an authenticator app.

WebAuthn needs a secure context: the live server is on localhost, which counts as one."""

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def authenticator(page, settings):
    """A platform authenticator that keeps discoverable credentials and verifies its user
    (a phone's or laptop's passkey store)."""
    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    added = devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return devtools, added["authenticatorId"]


def add_key(page, name: str, *, passkey: bool) -> None:
    page.goto("/accounts/2fa/webauthn/add/")
    # Setting up a key asks for the password again first.
    page.wait_for_url("**/accounts/reauthenticate/**")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/accounts/2fa/webauthn/add/")
    page.get_by_label("Name").fill(name)
    if passkey:
        page.get_by_label("Passwordless").check()
    page.get_by_role("button", name="Add").click()
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)


def test_a_member_sets_up_a_passkey_and_signs_in_with_it_alone(
    page, live_server, tenants, authenticator
):
    devtools, authenticator_id = authenticator
    sign_in(page, tenants.analyst.username, TEST_PASSWORD)
    add_key(page, "Laptop", passkey=True)
    key = Authenticator.objects.get(user=tenants.analyst, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().is_passwordless
    credentials = devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(credentials["credentials"]) == 1
    assert credentials["credentials"][0]["isResidentCredential"]

    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_text(tenants.analyst.username).first).to_be_visible()


@pytest.mark.second_factor_policy
def test_an_editor_held_by_the_policy_may_set_up_a_security_key(page, authenticator):
    UserFactory(username="ed", is_advisory_editor=True)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("ed")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/accounts/reauthenticate/**")
    add_key(page, "YubiKey", passkey=False)
    page.goto("/advisories/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Advisories")
