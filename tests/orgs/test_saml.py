"""SAML 2.0 single sign-on against a real identity provider started for the run
(tests/saml_idp/): sign-in end to end, attribute mapping, and answers that were tampered with
or have expired refused with a clear message, signing in and creating nobody."""

from __future__ import annotations

import base64

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp

from audit.models import AuditEntry
from orgs.choices import Role
from orgs.models import Membership, ProviderRule, User
from orgs.saml import saml_provider_save
from tests.factories import UserFactory
from tests.saml_idp.fixtures import (  # noqa: F401 (fixtures)
    GROUPS,
    PEOPLE,
    saml_app_settings,
    saml_idp,
    saml_sign_in,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def saml_app(saml_idp, tenants) -> SocialApp:  # noqa: F811
    return SocialApp.objects.create(
        provider="saml",
        provider_id="saml-stadtwerke-alpha",
        name="Stadtwerke Alpha SAML",
        client_id=tenants.org_a.slug,
        settings=saml_app_settings(saml_idp),
    )


@pytest.fixture
def alice(tenants, saml_app) -> User:
    """The analyst of organization A, whose account is connected to her provider's NameID."""
    SocialAccount.objects.create(
        user=tenants.analyst, provider=saml_app.provider_id, uid=PEOPLE["alice"]["name_id"]
    )
    return tenants.analyst


def test_a_connected_person_signs_in_through_the_identity_provider(saml_sign_in, alice):  # noqa: F811
    flow = saml_sign_in()
    flow.start("stadtwerke-alpha")
    answer = flow.post_back(flow.sign_in_at_provider("alice"))
    assert answer.status_code == 200
    assert answer.url.endswith("/"), answer.url
    assert alice.username in answer.text
    assert AuditEntry.objects.filter(action="auth.login", actor_name=alice.username).exists()
    # What the provider said is kept with the connection, all values (groups included).
    account = SocialAccount.objects.get(user=alice)
    assert account.extra_data["http://schemas.xmlsoap.org/claims/Group"] == [
        "vw-analysts",
        "staff-all",
    ]


def test_the_sign_in_page_offers_the_organizations_provider(client, saml_app):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Stadtwerke Alpha SAML" in page
    assert 'action="/accounts/saml/stadtwerke-alpha/login/"' in page


def _tampered(fields: dict[str, str], old: str, new: str) -> dict[str, str]:
    xml = base64.b64decode(fields["SAMLResponse"]).decode()
    assert old in xml
    return {**fields, "SAMLResponse": base64.b64encode(xml.replace(old, new).encode()).decode()}


def test_a_tampered_assertion_is_refused_and_signs_in_nobody(saml_sign_in, alice):  # noqa: F811
    users = User.objects.count()
    flow = saml_sign_in()
    flow.start("stadtwerke-alpha")
    # Someone on the way adds a group to the signed assertion.
    fields = _tampered(flow.sign_in_at_provider("alice"), ">staff-all<", ">vw-admins<")
    answer = flow.post_back(fields)
    assert answer.status_code == 401
    assert "Stadtwerke Alpha SAML" in answer.text
    assert "signature" in answer.text
    assert "nobody was signed in" in answer.text
    assert flow.browser.get(flow.base_url + "/").url.startswith(flow.base_url + "/accounts/login/")
    assert User.objects.count() == users
    assert SocialAccount.objects.get().extra_data == {}


def test_an_expired_assertion_is_refused_and_signs_in_nobody(saml_sign_in, alice):  # noqa: F811
    flow = saml_sign_in()
    flow.start("stadtwerke-alpha")
    answer = flow.post_back(flow.sign_in_at_provider("alice", lifetime=-900))
    assert answer.status_code == 401
    assert "expired" in answer.text
    assert "nobody was signed in" in answer.text
    assert flow.browser.get(flow.base_url + "/").url.startswith(flow.base_url + "/accounts/login/")


@pytest.fixture
def saml_provider(saml_idp, tenants):  # noqa: F811
    """Organization A's provider as staff set it up on its page: people of its domain get an
    account at their first sign-in, and the analysts' group makes them analysts there."""
    provider = saml_provider_save(
        actor=UserFactory(username="root", is_staff=True),
        name="Stadtwerke Alpha SAML",
        organization=tenants.org_a,
        entity_id=saml_idp.entity_id,
        sso_url=saml_idp.sso_url,
        certificate=saml_idp.certificate,
        email_attribute="urn:oid:0.9.2342.19200300.100.1.3",
        first_name_attribute="urn:oid:2.5.4.42",
        last_name_attribute="urn:oid:2.5.4.4",
        email_domains="stadtwerke-alpha.example",
    )
    ProviderRule.objects.create(
        provider=provider,
        claim=GROUPS,
        value="vw-analysts",
        organization=tenants.org_a,
        role=Role.ANALYST,
    )
    return provider


def test_a_new_person_gets_an_account_from_the_attributes_and_a_role_from_the_groups(
    saml_sign_in,  # noqa: F811
    saml_provider,
    tenants,
):
    flow = saml_sign_in()
    flow.start("stadtwerke-alpha")
    answer = flow.post_back(flow.sign_in_at_provider("alice"))
    assert answer.url == flow.base_url + "/"
    alice = User.objects.get(email="alice@stadtwerke-alpha.example")
    assert (alice.first_name, alice.last_name) == ("Alice", "Ahlers")
    assert alice.username in answer.text
    assert Membership.objects.get(user=alice).organization == tenants.org_a
    assert Membership.objects.get(user=alice).role == Role.ANALYST
    granted = AuditEntry.objects.get(action="auth.sso_role_granted")
    assert granted.after == {"role": "analyst", "provider": "saml-stadtwerke-alpha"}

    # Bob is in no group a rule names: an account, and no organization.
    flow = saml_sign_in()
    flow.start("stadtwerke-alpha")
    flow.post_back(flow.sign_in_at_provider("bob"))
    bob = User.objects.get(email="bob@stadtwerke-alpha.example")
    assert (bob.first_name, bob.last_name) == ("Bob", "Brandt")
    assert not Membership.objects.filter(user=bob).exists()


@pytest.mark.parametrize("refusal", ["tampered", "expired"])
def test_a_new_person_gets_no_account_from_a_refused_answer(
    saml_sign_in,  # noqa: F811
    saml_provider,
    refusal,
):
    users = User.objects.count()
    flow = saml_sign_in()
    flow.start("stadtwerke-alpha")
    if refusal == "tampered":
        fields = _tampered(flow.sign_in_at_provider("alice"), ">staff-all<", ">vw-admins<")
    else:
        fields = flow.sign_in_at_provider("alice", lifetime=-900)
    assert flow.post_back(fields).status_code == 401
    assert User.objects.count() == users
    assert not SocialAccount.objects.exists()
    assert not Membership.objects.filter(user__email="alice@stadtwerke-alpha.example").exists()


def test_only_the_sign_in_pages_let_forms_go_on_to_the_identity_provider(
    client,
    saml_app,
    saml_idp,  # noqa: F811
):
    # Browsers check form-action on the redirect after a POST, too.
    login = client.get("/accounts/login/")["Content-Security-Policy"]
    assert f"form-action 'self' {saml_idp.url};" in login
    other = client.get("/accounts/password/reset/")["Content-Security-Policy"]
    assert "form-action 'self';" in other
    assert saml_idp.url not in other
