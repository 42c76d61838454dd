"""The staff pages of an organization's SAML identity provider: added and changed with its
group rules, audited without secrets; bad input names its field and writes nothing; nobody
but staff reaches them, and changes ask for the password again."""

import pytest
from allauth.socialaccount.models import SocialApp
from django.urls import reverse

from audit.models import AuditEntry
from orgs.models import IdentityProvider, ProviderRule
from tests.factories import TEST_PASSWORD, MembershipFactory, OrganizationFactory, UserFactory
from tests.saml_idp.fixtures import GROUPS, key_and_certificate
from tests.web.test_sso_pages import rules_data

pytestmark = pytest.mark.django_db

NEW = reverse("orgs:saml_provider_create")
_KEY, CERTIFICATE = key_and_certificate("Bank IdP")


def provider_data(**changes):
    return {
        "name": "Bank SAML",
        "entity_id": "https://idp.bank.example/saml",
        "sso_url": "https://idp.bank.example/saml/sso",
        "certificate": CERTIFICATE,
        "email_attribute": "urn:oid:0.9.2342.19200300.100.1.3",
        "first_name_attribute": "urn:oid:2.5.4.42",
        "last_name_attribute": "",
        "email_domains": "bank.example",
        **changes,
    }


@pytest.fixture
def staff(client):
    user = UserFactory(is_staff=True)
    client.force_login(user)
    return user


def test_staff_add_an_organizations_saml_provider_and_map_its_groups(client, staff):
    bank = OrganizationFactory(name="Bank", slug="bank")
    response = client.post(NEW, provider_data(organization=bank.pk))
    provider = IdentityProvider.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("orgs:saml_provider_edit", kwargs={"pk": provider.pk})
    app = provider.app
    assert (app.provider, app.provider_id, app.client_id) == ("saml", "saml-bank", "bank")
    assert app.settings["idp"]["entity_id"] == "https://idp.bank.example/saml"
    assert app.settings["attribute_mapping"] == {
        "email": ["urn:oid:0.9.2342.19200300.100.1.3"],
        "first_name": ["urn:oid:2.5.4.42"],
    }
    assert app.settings["advanced"] == {"want_assertion_signed": True}
    assert provider.organization == bank and provider.domains() == ["bank.example"]
    entry = AuditEntry.objects.get(action="identityprovider.create")
    assert entry.after["certificate"].startswith("SHA-256 ")
    assert "BEGIN CERTIFICATE" not in str(entry.after)

    page = client.get(response.url).content.decode()
    assert "http://testserver/accounts/saml/bank/acs/" in page
    edit = provider_data(organization=bank.pk, name="Bank SSO") | rules_data(
        {"claim": GROUPS, "value": "vw-analysts", "organization": bank.pk, "role": "analyst"}
    )
    assert client.post(response.url, edit).status_code == 302
    rule = ProviderRule.objects.get()
    assert (rule.claim, rule.value, rule.role) == (GROUPS, "vw-analysts", "analyst")
    assert SocialApp.objects.get().name == "Bank SSO"
    # The list links each provider to its own kind of page.
    listing = client.get(reverse("orgs:sso_provider_list")).content.decode()
    assert reverse("orgs:saml_provider_edit", kwargs={"pk": provider.pk}) in listing


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"certificate": "not a certificate"}, "certificate", "Not a PEM certificate"),
        ({"sso_url": "https://"}, "sso_url", "Enter a valid URL"),
        ({"email_attribute": ""}, "email_attribute", "This field is required"),
        ({"email_domains": "bank"}, "email_domains", "Not an e-mail domain"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(client, staff, change, field, message):
    bank = OrganizationFactory(name="Bank", slug="bank")
    response = client.post(NEW, provider_data(organization=bank.pk, **change))
    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    assert not SocialApp.objects.exists() and not IdentityProvider.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="identityprovider").exists()


def test_an_organization_has_one_saml_provider(client, staff):
    bank = OrganizationFactory(name="Bank", slug="bank")
    client.post(NEW, provider_data(organization=bank.pk))
    again = client.post(NEW, provider_data(organization=bank.pk, name="Second"))
    assert "already has a SAML identity provider" in str(again.context["form"].errors)
    assert SocialApp.objects.count() == 1


def test_only_staff_reach_the_pages(client):
    bank = OrganizationFactory(name="Bank", slug="bank")
    admin = UserFactory()
    MembershipFactory(user=admin, organization=bank, role="owner")
    client.force_login(admin)
    assert client.get(NEW).status_code == 404
    assert client.post(NEW, provider_data(organization=bank.pk)).status_code == 404
    assert not SocialApp.objects.exists()


@pytest.mark.reauthentication
def test_changing_sso_settings_asks_for_the_password_again(client):
    bank = OrganizationFactory(name="Bank", slug="bank")
    UserFactory(username="root", is_staff=True)
    client.post(reverse("account_login"), {"login": "root", "password": TEST_PASSWORD})
    asked = client.post(NEW, provider_data(organization=bank.pk))
    assert asked.status_code == 302
    assert asked.url.startswith(reverse("account_reauthenticate"))
    assert not SocialApp.objects.exists()
    resumed = client.post(asked.url, {"password": TEST_PASSWORD})
    assert resumed.status_code == 302
    assert IdentityProvider.objects.get().app.provider_id == "saml-bank"
