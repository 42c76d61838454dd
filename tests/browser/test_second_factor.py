"""In a real browser: an advisory editor without a second factor is led to enrolment at
sign-in, sets up an authenticator app with a code computed here, keeps the recovery codes
and then reaches the app; allauth's pages render under the Content-Security-Policy (the
``page`` fixture fails the test on a console error or a refused script or style)."""

import pytest
from playwright.sync_api import expect

from tests.factories import TEST_PASSWORD, UserFactory
from tests.orgs.test_second_factor import totp

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.second_factor_policy,
]


def test_an_editor_enrols_an_authenticator_app_at_sign_in(page):
    UserFactory(username="ed", is_advisory_editor=True)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("ed")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    # Setting up asks for the password once more.
    page.wait_for_url("**/accounts/reauthenticate/**")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    page.goto("/advisories/")
    page.wait_for_url("**/accounts/2fa/totp/activate/")

    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(totp(secret))
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url("**/accounts/2fa/recovery-codes/")
    codes = page.locator("#recovery_codes").input_value().split()
    assert len(codes) == 10

    page.goto("/advisories/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Advisories")
