"""In a real browser: a member of an organization signs in through the organization's SAML
identity provider (tests/saml_idp/, its own process), from the sign-in page's button to the
overview, under the app's Content-Security-Policy."""

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from playwright.sync_api import expect

from tests.saml_idp.fixtures import (  # noqa: F401 (fixtures)
    PASSWORD,
    PEOPLE,
    saml_app_settings,
    saml_idp,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_signs_in_through_the_organizations_saml_provider(page, tenants, saml_idp):  # noqa: F811
    app = SocialApp.objects.create(
        provider="saml",
        provider_id="saml-stadtwerke-alpha",
        name="Stadtwerke Alpha SAML",
        client_id=tenants.org_a.slug,
        settings=saml_app_settings(saml_idp),
    )
    SocialAccount.objects.create(
        user=tenants.analyst, provider=app.provider_id, uid=PEOPLE["alice"]["name_id"]
    )
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Sign in with Stadtwerke Alpha SAML").click()
    page.wait_for_url(f"{saml_idp.url}/sso**")
    page.get_by_label("User").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/")
    expect(page.get_by_text(tenants.analyst.username).first).to_be_visible()
