"""Single sign-on without a browser: the rules that turn a provider's groups into roles (and
take them away again), their validation, routing by e-mail domain, organizations that switch
passwords off or require a second factor."""

import pytest
from allauth.socialaccount.models import SocialApp
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.models import AuditEntry
from orgs.administration import organization_update
from orgs.choices import Role
from orgs.models import IdentityProvider, Membership, ProviderRule
from orgs.sso import provider_for_email, provisioning_apply
from tests.factories import TEST_PASSWORD, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def make_provider(*, organization=None, domains="cert.example", provider_id="keycloak"):
    app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id=provider_id,
        name=f"{provider_id} sign-on",
        client_id="vendorwatch",
        secret="s3cret",
        settings={"server_url": "http://127.0.0.1:9/realms/cert"},
    )
    return IdentityProvider.objects.create(
        app=app, organization=organization, email_domains=domains
    )


def rule(provider, value, **grants):
    made = ProviderRule(provider=provider, value=value, **grants)
    made.full_clean()
    made.save()
    return made


def test_groups_grant_memberships_and_platform_roles_and_a_removed_group_removes_them():
    bank, water = OrganizationFactory(name="Bank"), OrganizationFactory(name="Water")
    provider = make_provider()
    rule(provider, "bank-analysts", organization=bank, role=Role.ANALYST)
    rule(provider, "bank-admins", organization=bank, role=Role.ADMIN)
    rule(provider, "water-viewers", organization=water, role=Role.VIEWER)
    rule(provider, "cert-editors", advisory_editor=True)
    user = UserFactory()

    claims = {"groups": ["bank-analysts", "bank-admins", "cert-editors", "unrelated"]}
    provisioning_apply(user=user, provider=provider, claims=claims)
    user.refresh_from_db()
    # The highest role a matching rule grants wins.
    assert {m.organization.name: m.role for m in user.memberships.all()} == {"Bank": "admin"}
    assert user.is_advisory_editor and not user.is_global_analyst

    provisioning_apply(user=user, provider=provider, claims={"groups": ["water-viewers"]})
    user.refresh_from_db()
    assert {m.organization.name: m.role for m in user.memberships.all()} == {"Water": "viewer"}
    assert not user.is_advisory_editor

    actions = list(
        AuditEntry.objects.filter(object_id=str(user.pk), via="sso")
        .order_by("id")
        .values_list("action", "organization_name", "after")
    )
    assert actions == [
        ("auth.sso_role_granted", "Bank", {"role": "admin", "provider": "keycloak"}),
        (
            "auth.sso_platform_role_granted",
            "",
            {"role": "advisory_editor", "provider": "keycloak"},
        ),
        ("auth.sso_role_removed", "Bank", {"role": None, "provider": "keycloak"}),
        ("auth.sso_role_granted", "Water", {"role": "viewer", "provider": "keycloak"}),
        (
            "auth.sso_platform_role_removed",
            "",
            {"role": "advisory_editor", "provider": "keycloak"},
        ),
    ]


def test_roles_the_provider_does_not_govern_are_left_alone():
    bank, other = OrganizationFactory(), OrganizationFactory()
    provider = make_provider()
    rule(provider, "bank-analysts", organization=bank, role=Role.ANALYST)
    user = UserFactory(is_global_analyst=True)
    MembershipFactory(user=user, organization=other, role=Role.ADMIN)

    provisioning_apply(user=user, provider=provider, claims={"groups": []})
    user.refresh_from_db()
    # No rule names the other organization or the global analyst flag.
    assert list(user.memberships.values_list("organization", "role")) == [(other.pk, "admin")]
    assert user.is_global_analyst


def test_a_single_group_claim_and_other_claims_match_too():
    bank = OrganizationFactory()
    provider = make_provider()
    rule(provider, "Security", claim="department", organization=bank, role=Role.ANALYST)
    user = UserFactory()
    provisioning_apply(user=user, provider=provider, claims={"department": "Security"})
    assert Membership.objects.get(user=user, organization=bank).role == Role.ANALYST


def test_the_last_owner_of_an_organization_is_never_removed_by_a_provider():
    bank = OrganizationFactory()
    provider = make_provider()
    rule(provider, "bank-owners", organization=bank, role=Role.OWNER)
    user = UserFactory()
    provisioning_apply(user=user, provider=provider, claims={"groups": ["bank-owners"]})
    provisioning_apply(user=user, provider=provider, claims={"groups": []})
    assert Membership.objects.get(user=user, organization=bank).role == Role.OWNER


@pytest.mark.parametrize(
    ("grants", "field"),
    [
        ({}, "role"),
        ({"role": Role.ANALYST}, "role"),
        ({"organization": "own"}, "role"),
        ({"organization": "other", "role": Role.ANALYST}, "organization"),
        ({"advisory_editor": True}, "advisory_editor"),
        ({"global_analyst": True}, "advisory_editor"),
    ],
    ids=["nothing", "role-alone", "organization-alone", "other-org", "editor", "analyst"],
)
def test_an_organizations_provider_only_grants_roles_in_that_organization(grants, field):
    own, other = OrganizationFactory(), OrganizationFactory()
    provider = make_provider(organization=own)
    named = {"own": own, "other": other}
    if "organization" in grants:
        grants = {**grants, "organization": named[grants["organization"]]}
    with pytest.raises(ValidationError) as refused:
        rule(provider, "group", **grants)
    assert field in refused.value.message_dict
    rule(provider, "analysts", organization=own, role=Role.ANALYST)


def test_email_domains_are_validated_and_belong_to_one_provider():
    first = make_provider(domains="Bank.example\nbank.example\ncorp.bank.example")
    first.full_clean()
    assert first.email_domains == "bank.example\ncorp.bank.example"
    second = make_provider(domains="corp.bank.example", provider_id="entra")
    with pytest.raises(ValidationError, match="corp.bank.example already signs in with"):
        second.full_clean()
    second.email_domains = "not a domain"
    with pytest.raises(ValidationError) as refused:
        second.full_clean()
    assert refused.value.message_dict["email_domains"] == ["Not an e-mail domain: not, a, domain."]
    second.email_domains = "entra.example"
    second.full_clean()
    second.save()
    assert provider_for_email("Ana@CORP.bank.example") == first.app
    assert provider_for_email("ana@elsewhere.example") is None


def test_an_unknown_domain_goes_back_to_the_password_form_with_a_message(client):
    make_provider(domains="bank.example")
    page = client.get(reverse("account_login")).content.decode()
    assert 'action="/accounts/sso/"' in page
    # A provider reached by e-mail gets no button: the page would list every customer.
    assert "Sign in with keycloak" not in page
    response = client.post(reverse("sso_start"), {"email": "ana@elsewhere.example"}, follow=True)
    assert response.redirect_chain == [(reverse("account_login"), 302)]
    assert "No single sign-on is set up for elsewhere.example" in response.content.decode()
    response = client.post(reverse("sso_start"), {"email": "not an address"}, follow=True)
    assert "Enter your work e-mail address" in response.content.decode()


def test_a_provider_that_cannot_be_reached_gets_a_clear_page_from_the_email_form(client):
    make_provider(domains="bank.example")
    response = client.post(reverse("sso_start"), {"email": "ana@bank.example"})
    assert response.status_code == 502
    assert "keycloak sign-on could not be reached" in response.content.decode()


def test_members_of_an_organization_without_passwords_are_told_to_use_sso(client):
    bank = OrganizationFactory(name="Bank")
    member = MembershipFactory(organization=bank).user
    outsider = UserFactory()
    superuser = UserFactory(is_superuser=True, is_staff=True)
    organization_update(organization=bank, actor=superuser, local_passwords_allowed=False)
    assert AuditEntry.objects.filter(
        action="organization.update", after__local_passwords_allowed=False
    ).exists()

    refused = client.post(
        reverse("account_login"), {"login": member.username, "password": TEST_PASSWORD}
    )
    assert refused.status_code == 200
    assert "Bank signs in with single sign-on, not passwords" in refused.content.decode()
    assert client.get(reverse("home")).status_code == 302
    # A wrong password says nothing about single sign-on.
    wrong = client.post(reverse("account_login"), {"login": member.username, "password": "x"})
    assert "single sign-on" not in wrong.content.decode()
    signed_in = client.post(
        reverse("account_login"), {"login": outsider.username, "password": TEST_PASSWORD}
    )
    assert signed_in.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_only_superusers_change_how_an_organization_signs_in():
    bank = OrganizationFactory()
    owner = MembershipFactory(organization=bank, role=Role.OWNER).user
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        organization_update(organization=bank, actor=owner, second_factor_required=True)


def test_an_organization_can_require_a_second_factor_of_all_its_members(client, settings):
    settings.SECOND_FACTOR_REQUIRED = False
    bank = OrganizationFactory(second_factor_required=True)
    member = MembershipFactory(organization=bank, role=Role.VIEWER).user
    outsider = UserFactory()
    client.force_login(member)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")
    assert client.get("/api/v1/organizations/").status_code == 403
    client.force_login(outsider)
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.reauthentication
def test_someone_without_a_password_confirms_a_sensitive_action_at_their_provider(client):
    from allauth.socialaccount.models import SocialAccount

    provider = make_provider(domains="bank.example")
    user = UserFactory()
    user.set_unusable_password()
    user.save()
    SocialAccount.objects.create(user=user, provider="keycloak", uid="ana", extra_data={})
    client.force_login(user)

    # Issuing a token needs a recent sign-in; with no password, that is one at the provider.
    held = client.post(reverse("tokens"), {"name": "SIEM", "access": "read"})
    assert held.status_code == 302
    assert held.url == f"{reverse('sso_reauthenticate')}?next=%2Faccounts%2Ftokens%2F"
    page = client.get(held.url).content.decode()
    assert "Sign in at keycloak sign-on" in page
    assert 'name="next" value="/accounts/tokens/"' in page
    # The provider (nothing listens on its port) cannot be reached: said, nothing issued.
    response = client.post(reverse("sso_reauthenticate"), {"next": "/accounts/tokens/"})
    assert response.status_code == 502
    assert not user.api_tokens.exists()
    assert provider.app.name in response.content.decode()

    # Someone with a password is not sent there.
    client.force_login(UserFactory())
    assert client.get(reverse("sso_reauthenticate")).status_code == 404


def test_the_admin_sign_in_is_the_sign_in_page_so_passwords_switched_off_stay_off(client):
    bank = OrganizationFactory(local_passwords_allowed=False)
    staff = MembershipFactory(organization=bank, user=UserFactory(is_staff=True)).user
    response = client.post("/admin/login/", {"username": staff.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert client.get("/admin/").status_code == 302
    refused = client.post(
        reverse("account_login"), {"login": staff.username, "password": TEST_PASSWORD}
    )
    assert "signs in with single sign-on" in refused.content.decode()
