"""The staff pages of single sign-on: add an OpenID Connect provider, map its groups to roles;
bad input names its field and writes nothing; nobody but staff reaches them."""

import pytest
from allauth.socialaccount.models import SocialApp
from django.urls import reverse

from audit.models import AuditEntry
from orgs.models import IdentityProvider, ProviderRule
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW = reverse("orgs:sso_provider_create")
PROVIDER = {
    "name": "Bank ID",
    "provider_id": "bank-id",
    "issuer_url": "https://id.bank.example/realms/bank",
    "client_id": "vendorwatch",
    "secret": "s3cret",
    "email_domains": "bank.example",
}


def rules_data(*rules, existing=()):
    data = {
        "rules-TOTAL_FORMS": str(len(existing) + len(rules)),
        "rules-INITIAL_FORMS": str(len(existing)),
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
    }
    for index, rule in enumerate([*existing, *rules]):
        for name, value in rule.items():
            data[f"rules-{index}-{name}"] = value
    return data


@pytest.fixture
def staff(client):
    user = UserFactory(is_staff=True)
    client.force_login(user)
    return user


def test_staff_add_a_provider_and_map_its_groups(client, staff):
    bank = OrganizationFactory(name="Bank")
    response = client.post(NEW, {**PROVIDER, "organization": bank.pk})
    provider = IdentityProvider.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("orgs:sso_provider_edit", kwargs={"pk": provider.pk})
    app = provider.app
    assert (app.provider, app.provider_id, app.client_id, app.secret) == (
        "openid_connect",
        "bank-id",
        "vendorwatch",
        "s3cret",
    )
    assert app.settings == {"server_url": "https://id.bank.example/realms/bank"}
    assert provider.organization == bank and provider.domains() == ["bank.example"]
    entry = AuditEntry.objects.get(action="identityprovider.create")
    assert entry.actor_id == staff.pk and "s3cret" not in str(entry.after)

    page = client.get(response.url).content.decode()
    assert "http://testserver/accounts/oidc/bank-id/login/callback/" in page
    assert "s3cret" not in page

    # The secret left empty is kept; a rule is added.
    edited = client.post(
        response.url,
        {
            **PROVIDER,
            "secret": "",
            "organization": bank.pk,
            **rules_data(
                {
                    "claim": "groups",
                    "value": "bank-analysts",
                    "organization": bank.pk,
                    "role": "analyst",
                }
            ),
        },
    )
    assert edited.status_code == 302
    app.refresh_from_db()
    assert app.secret == "s3cret"
    rule = ProviderRule.objects.get()
    assert (rule.value, rule.organization, rule.role) == ("bank-analysts", bank, "analyst")
    assert AuditEntry.objects.filter(action="identityprovider.rules").count() == 1
    listing = client.get(reverse("orgs:sso_provider_list")).content.decode()
    assert "Bank ID" in listing and "bank.example" in listing
    # Staff find the page in the main navigation; nobody else is offered it.
    assert (
        f'href="{reverse("orgs:sso_provider_list")}"'
        in client.get(reverse("home")).content.decode()
    )


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"email_domains": "bank example"}, "email_domains", "Not an e-mail domain"),
        ({"issuer_url": "not a url"}, "issuer_url", "Enter a valid URL"),
        ({"secret": ""}, "secret", "Enter the client secret"),
        ({"provider_id": "taken"}, "provider_id", "already has the id taken"),
    ],
    ids=["domain", "issuer", "secret", "provider-id"],
)
def test_bad_input_names_the_field_and_writes_nothing(client, staff, change, field, message):
    SocialApp.objects.create(provider="openid_connect", provider_id="taken", name="Taken")
    response = client.post(NEW, {**PROVIDER, **change})
    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    assert not IdentityProvider.objects.exists()
    assert SocialApp.objects.count() == 1
    assert not AuditEntry.objects.filter(action__startswith="identityprovider").exists()


def test_a_bad_rule_names_its_field_and_nothing_of_the_save_is_written(client, staff):
    bank, other = OrganizationFactory(), OrganizationFactory()
    client.post(NEW, {**PROVIDER, "organization": bank.pk})
    provider = IdentityProvider.objects.get()
    url = reverse("orgs:sso_provider_edit", kwargs={"pk": provider.pk})
    response = client.post(
        url,
        {
            **PROVIDER,
            "name": "Renamed",
            "organization": bank.pk,
            **rules_data(
                {"claim": "groups", "value": "x", "organization": other.pk, "role": "admin"}
            ),
        },
    )
    assert response.status_code == 200
    assert "grants roles there only" in response.content.decode()
    provider.app.refresh_from_db()
    assert provider.app.name == "Bank ID"
    assert not ProviderRule.objects.exists()


def test_only_staff_reach_the_pages(client):
    bank = OrganizationFactory()
    owner = MembershipFactory(organization=bank, role="owner").user
    client.force_login(owner)
    assert 'href="/sso/"' not in client.get(reverse("home")).content.decode()
    assert client.get(reverse("orgs:sso_provider_list")).status_code == 404
    assert client.post(NEW, {**PROVIDER, "organization": bank.pk}).status_code == 404
    assert not IdentityProvider.objects.exists()


def test_the_admin_edits_providers_with_their_rules_and_validates_them(client):
    from tests.audit.test_write_paths import admin_form

    bank, other = OrganizationFactory(name="Bank"), OrganizationFactory(name="Other")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    app = SocialApp.objects.create(provider="openid_connect", provider_id="bank-id", name="Bank")
    url = reverse("admin:orgs_identityprovider_add")
    data = {
        **admin_form(client, url),
        "app": app.pk,
        "organization": bank.pk,
        "email_domains": "bank.example",
        "rules-0-claim": "groups",
        "rules-0-value": "x",
        "rules-0-organization": other.pk,
        "rules-0-role": "admin",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "grants roles there only" in refused.content.decode()
    assert not IdentityProvider.objects.exists()
    data["rules-0-organization"] = bank.pk
    assert client.post(url, data).status_code == 302
    provider = IdentityProvider.objects.get()
    assert list(provider.rules.values_list("value", "role")) == [("x", "admin")]
    assert AuditEntry.objects.filter(action="identityprovider.admin_create").exists()
    assert AuditEntry.objects.filter(action="identityprovider.admin_rules").exists()
