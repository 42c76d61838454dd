"""In a real browser, through a real OpenID Connect provider (django-oauth-toolkit in its own
process, tests/oidc_provider/): a person types their work e-mail, signs in at their
organization's provider and comes back signed in, with an account made just in time and the
roles their groups map to; at the next sign-in a changed group changes the role. An unknown
domain and a provider that is down say so and create nobody."""

import pytest
from allauth.socialaccount.models import SocialApp
from playwright.sync_api import expect

from audit.models import AuditEntry
from orgs.choices import Role
from orgs.models import IdentityProvider, Membership, ProviderRule, User
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.oidc_provider.harness import IdentityProviderProcess
from tests.orgs.test_second_factor import totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def identity_provider(tmp_path, live_server):
    provider = IdentityProviderProcess(tmp_path)
    provider.manage(
        "provider_client",
        "vendorwatch",
        "client-s3cret",
        f"{live_server.url}/accounts/oidc/bank-id/login/callback/",
    )
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture
def bank(identity_provider):
    """Bank's own provider, for bank.example; its groups map to Bank's roles, and one (a
    platform provider would not be needed for this) to the advisory editor flag."""
    bank = OrganizationFactory(name="Bank", slug="bank")
    app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id="bank-id",
        name="Bank ID",
        client_id="vendorwatch",
        secret="client-s3cret",
        settings={"server_url": identity_provider.issuer},
    )
    provider = IdentityProvider.objects.create(app=app, email_domains="bank.example")
    for value, grants in [
        ("bank-analysts", {"organization": bank, "role": Role.ANALYST}),
        ("bank-admins", {"organization": bank, "role": Role.ADMIN}),
        ("cert-editors", {"advisory_editor": True}),
    ]:
        rule = ProviderRule(provider=provider, value=value, **grants)
        rule.full_clean()
        rule.save()
    return bank


def sign_in_with_sso(page, live_server, email: str, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Work e-mail").fill(email)
    page.get_by_role("button", name="Continue").click()
    # The provider's own sign-in page, on its own address.
    page.wait_for_url("http://127.0.0.1:*/login/**")
    page.get_by_label("Provider username").fill(username)
    page.get_by_label("Provider password").fill("provider-password")
    page.get_by_role("button", name="Log in to the provider").click()
    page.wait_for_url(f"{live_server.url}/")


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url("**/accounts/login/")


def test_sign_in_through_the_organizations_provider_provisions_and_maps_groups(
    page, live_server, identity_provider, bank
):
    identity_provider.manage(
        "provider_user",
        "ana",
        "--email",
        "ana@bank.example",
        "--groups",
        "bank-analysts",
        "cert-editors",
    )
    sign_in_with_sso(page, live_server, "ana@bank.example", "ana")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()

    ana = User.objects.get(email="ana@bank.example")
    assert not ana.has_usable_password()
    assert ana.is_advisory_editor
    assert Membership.objects.get(user=ana, organization=bank).role == Role.ANALYST
    assert set(
        AuditEntry.objects.filter(object_id=str(ana.pk), via="sso").values_list("action", flat=True)
    ) == {"auth.sso_role_granted", "auth.sso_platform_role_granted"}

    # At the provider, Ana moves from the analysts to the admins and leaves the editors.
    sign_out(page)
    identity_provider.manage(
        "provider_user", "ana", "--email", "ana@bank.example", "--groups", "bank-admins"
    )
    sign_in_with_sso(page, live_server, "ana@bank.example", "ana")
    ana.refresh_from_db()
    assert User.objects.filter(email="ana@bank.example").count() == 1
    assert Membership.objects.get(user=ana, organization=bank).role == Role.ADMIN
    assert not ana.is_advisory_editor
    assert AuditEntry.objects.filter(
        object_id=str(ana.pk), action="auth.sso_platform_role_removed"
    ).exists()


def test_an_unknown_domain_and_a_provider_that_is_down_create_nobody(page, identity_provider, bank):
    users = User.objects.count()
    page.goto("/accounts/login/")
    page.get_by_label("Work e-mail").fill("bob@elsewhere.example")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("No single sign-on is set up for elsewhere.example")).to_be_visible()
    expect(page.get_by_label("Username")).to_be_visible()

    identity_provider.stop()
    page.get_by_label("Work e-mail").fill("ana@bank.example")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Bank ID could not be reached")).to_be_visible()
    assert User.objects.count() == users


def test_a_provider_account_outside_its_domains_gets_no_account_here(page, identity_provider, bank):
    # Someone signs in at Bank's provider with an account whose address is not Bank's.
    identity_provider.manage(
        "provider_user", "eve", "--email", "eve@elsewhere.example", "--groups", "bank-admins"
    )
    users = User.objects.count()
    page.goto("/accounts/login/")
    page.get_by_label("Work e-mail").fill("eve@bank.example")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("http://127.0.0.1:*/login/**")
    page.get_by_label("Provider username").fill("eve")
    page.get_by_label("Provider password").fill("provider-password")
    page.get_by_role("button", name="Log in to the provider").click()
    expect(page.get_by_role("heading", name="No account here")).to_be_visible()
    assert User.objects.count() == users
    assert not Membership.objects.filter(organization=bank).exists()
    page.goto("/")
    page.wait_for_url("**/accounts/login/**")


def test_an_organization_that_requires_a_second_factor_leads_its_sso_people_to_enrolment(
    page, live_server, identity_provider, bank
):
    # Ana has no password here: her fresh sign-in at the provider is what confirms it is her
    # when setting up the authenticator app asks for that.
    bank.second_factor_required = True
    bank.save(update_fields=["second_factor_required"])
    identity_provider.manage(
        "provider_user", "ana", "--email", "ana@bank.example", "--groups", "bank-analysts"
    )
    page.goto("/accounts/login/")
    page.get_by_label("Work e-mail").fill("ana@bank.example")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Provider username").fill("ana")
    page.get_by_label("Provider password").fill("provider-password")
    page.get_by_role("button", name="Log in to the provider").click()
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(totp(secret))
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url("**/accounts/2fa/recovery-codes/")
    page.goto("/")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def test_a_member_from_before_single_sign_on_signs_in_to_their_own_account(
    page, live_server, identity_provider, bank
):
    # Ana had a password and a viewer membership before Bank switched to its provider.
    ana = UserFactory(username="ana.local", email="Ana@bank.example")
    MembershipFactory(user=ana, organization=bank, role=Role.VIEWER)
    staff = UserFactory(username="sam", email="sam@bank.example", is_staff=True)
    provider = IdentityProvider.objects.get()
    provider.organization = bank
    provider.save()
    ProviderRule.objects.filter(advisory_editor=True).delete()
    bank.local_passwords_allowed = False
    bank.save(update_fields=["local_passwords_allowed"])
    identity_provider.manage(
        "provider_user", "ana", "--email", "ana@bank.example", "--groups", "bank-analysts"
    )
    identity_provider.manage("provider_user", "sam", "--email", "sam@bank.example")
    users = User.objects.count()

    sign_in_with_sso(page, live_server, "ana@bank.example", "ana")
    assert User.objects.count() == users
    assert Membership.objects.get(user=ana, organization=bank).role == Role.ANALYST
    assert ana.socialaccount_set.get().provider == "bank-id"
    assert AuditEntry.objects.filter(action="auth.sso_connected", object_id=str(ana.pk)).exists()

    # Bank's provider does not answer for platform staff: Sam gets no way into their account.
    sign_out(page)
    page.context.clear_cookies()  # Ana's session at the provider too
    page.goto("/accounts/login/")
    page.get_by_label("Work e-mail").fill("sam@bank.example")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Provider username").fill("sam")
    page.get_by_label("Provider password").fill("provider-password")
    page.get_by_role("button", name="Log in to the provider").click()
    expect(page.get_by_role("heading", name="No account here")).to_be_visible()
    assert not staff.socialaccount_set.exists()
    assert User.objects.count() == users
