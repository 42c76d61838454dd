"""API tokens: issued once, stored as a hash, refused when wrong, expired, revoked or when their
user is inactive; organization tokens narrow every query; a token cannot issue tokens."""

import datetime
import hashlib

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEntry
from orgs.choices import Role, TokenAccess
from orgs.models import ApiToken
from orgs.tokens import token_authenticate
from tests.api.factories import FlagFactory
from tests.factories import InventoryItemFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def bearer(text):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {text}")
    return client


def test_issuing_shows_the_token_once_and_stores_only_its_hash(tenants, api):
    client = api.session(tenants.viewer)
    response = client.post("/api/v1/tokens/", {"name": "SIEM", "access": "read"})
    assert response.status_code == 201
    text = response.json()["token"]
    mark, prefix, secret = text.split("_", 2)
    assert (mark, len(prefix)) == ("vw", 12)
    assert len(secret) >= 43  # 32 random bytes, base64url
    stored = ApiToken.objects.get(pk=response.json()["id"])
    assert stored.prefix == prefix
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert "token" not in client.get(f"/api/v1/tokens/{stored.pk}/").json()
    assert bearer(text).get("/api/v1/flags/").status_code == 200
    assert AuditEntry.objects.filter(action="token.create", actor_id=tenants.viewer.pk).exists()


@pytest.mark.parametrize(
    "header",
    [
        "Bearer vw_000000000000_not-a-real-secret-at-all-000000000000000",
        "Bearer nonsense",
        "Bearer",
        "Bearer a b",
        "Basic b3duZXItYTpjb3JyZWN0LWhvcnNlLWJhdHRlcnktc3RhcGxlLTQy",
    ],
)
def test_bad_or_unsupported_credentials_are_401(tenants, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/flags/")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_wrong_secret_for_a_real_prefix_is_401(tenants, api):
    text = api.token_text(tenants.viewer)
    assert bearer(text[:-4] + "AAAA").get("/api/v1/flags/").status_code == 401


def test_expired_revoked_and_inactive_users_tokens_are_401(tenants, api):
    expired = api.token_text(tenants.viewer)
    ApiToken.objects.filter(prefix=expired.split("_")[1]).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    revoked = api.token_text(tenants.analyst)
    ApiToken.objects.filter(prefix=revoked.split("_")[1]).update(revoked_at=timezone.now())
    inactive = api.token_text(tenants.owner)
    tenants.owner.is_active = False
    tenants.owner.save()
    for text in (expired, revoked, inactive):
        assert bearer(text).get("/api/v1/flags/").status_code == 401


def test_a_read_token_cannot_write(tenants, api):
    flag = FlagFactory(item=InventoryItemFactory(organization=tenants.org_a))
    client = api.token(tenants.analyst, access=TokenAccess.READ)
    response = client.post(f"/api/v1/flags/{flag.pk}/transition/", {"status": "acknowledged"})
    assert response.status_code == 403
    assert client.get(f"/api/v1/flags/{flag.pk}/").status_code == 200


def test_a_token_cannot_issue_tokens(tenants, api):
    client = api.token(tenants.owner)
    response = client.post("/api/v1/tokens/", {"name": "spawn", "access": "read_write"})
    assert response.status_code == 403
    assert ApiToken.objects.count() == 1


def test_an_organization_token_needs_an_admin_of_it(tenants, api):
    response = api.session(tenants.analyst).post(
        "/api/v1/tokens/", {"name": "t", "organization": tenants.org_a.pk}
    )
    assert response.status_code == 400
    assert "organization" in response.json()
    owner = api.session(tenants.owner).post(
        "/api/v1/tokens/", {"name": "t", "organization": tenants.org_a.pk}
    )
    assert owner.status_code == 201


def test_an_organization_token_sees_only_its_organization(tenants, api):
    MembershipFactory(user=tenants.owner, organization=tenants.org_b, role=Role.OWNER)
    flag_a = FlagFactory(item=InventoryItemFactory(organization=tenants.org_a))
    flag_b = FlagFactory(item=InventoryItemFactory(organization=tenants.org_b))
    personal = api.token(tenants.owner)
    narrowed = api.token(tenants.owner, organization=tenants.org_b)
    assert {r["id"] for r in personal.get("/api/v1/flags/").json()["results"]} == {
        flag_a.pk,
        flag_b.pk,
    }
    assert {r["id"] for r in narrowed.get("/api/v1/flags/").json()["results"]} == {flag_b.pk}
    assert narrowed.get(f"/api/v1/flags/{flag_a.pk}/").status_code == 404
    response = narrowed.post(f"/api/v1/flags/{flag_a.pk}/transition/", {"status": "acknowledged"})
    assert response.status_code == 404


def test_an_expiry_in_the_past_is_refused(tenants, api):
    response = api.session(tenants.viewer).post(
        "/api/v1/tokens/", {"name": "t", "expires_at": "2000-01-01T00:00:00Z"}
    )
    assert response.status_code == 400
    assert "expires_at" in response.json()


def test_last_use_is_recorded_at_most_once_a_minute(tenants, api):
    text = api.token_text(tenants.viewer)
    token = ApiToken.objects.get(prefix=text.split("_")[1])
    bearer(text).get("/api/v1/flags/")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    bearer(text).get("/api/v1/flags/")
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - datetime.timedelta(minutes=2))
    bearer(text).get("/api/v1/flags/")
    token.refresh_from_db()
    assert token.last_used_at > first


def test_revoking_stops_the_token_keeps_it_listed_and_is_audited(tenants, api):
    text = api.token_text(tenants.viewer)
    token = ApiToken.objects.get(prefix=text.split("_")[1])
    client = api.session(tenants.viewer)
    assert client.delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    assert bearer(text).get("/api/v1/flags/").status_code == 401
    assert client.get(f"/api/v1/tokens/{token.pk}/").json()["status"] == "revoked"
    assert client.delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    assert AuditEntry.objects.filter(action="token.revoke").count() == 1


def test_a_token_may_revoke_itself(tenants, api):
    text = api.token_text(tenants.viewer)
    token = ApiToken.objects.get(prefix=text.split("_")[1])
    assert bearer(text).delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    assert bearer(text).get("/api/v1/flags/").status_code == 401


def test_admins_see_and_revoke_their_organizations_tokens_but_not_personal_ones(tenants, api):
    admin = UserFactory(username="admin-a")
    MembershipFactory(user=admin, organization=tenants.org_a, role=Role.ADMIN)
    org_token = ApiToken.objects.get(
        prefix=api.token_text(tenants.owner, organization=tenants.org_a).split("_")[1]
    )
    personal = ApiToken.objects.get(prefix=api.token_text(tenants.owner).split("_")[1])
    client = api.session(admin)
    assert {row["id"] for row in client.get("/api/v1/tokens/").json()["results"]} == {org_token.pk}
    assert client.delete(f"/api/v1/tokens/{personal.pk}/").status_code == 404
    assert client.delete(f"/api/v1/tokens/{org_token.pk}/").status_code == 204


def test_nobody_else_sees_a_token(tenants, api):
    token = ApiToken.objects.get(prefix=api.token_text(tenants.owner).split("_")[1])
    for user in (tenants.viewer, tenants.outsider):
        assert api.session(user).get(f"/api/v1/tokens/{token.pk}/").status_code == 404


def test_session_writes_need_the_csrf_token(tenants):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(tenants.viewer)
    response = client.post("/api/v1/tokens/", {"name": "t"})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_the_tokens_page_issues_shows_once_and_revokes(tenants, client):
    client.force_login(tenants.owner)
    page = client.post(
        "/accounts/tokens/",
        {"name": "CMDB sync", "access": "read_write", "organization": tenants.org_a.pk},
    )
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    text = page.context["issued"]
    assert text.startswith("vw_") and text in page.content.decode()
    token = ApiToken.objects.get(name="CMDB sync")
    assert token.organization == tenants.org_a
    listing = client.get("/accounts/tokens/").content.decode()
    assert "CMDB sync" in listing and text not in listing
    revoked = client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert revoked.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_tokens_page_offers_only_administered_organizations(tenants, client):
    client.force_login(tenants.analyst)
    page = client.post(
        "/accounts/tokens/", {"name": "x", "access": "read", "organization": tenants.org_a.pk}
    )
    assert "organization" in page.context["form"].errors
    assert not ApiToken.objects.exists()


def test_the_tokens_page_refuses_a_past_expiry(tenants, client):
    client.force_login(tenants.viewer)
    page = client.post(
        "/accounts/tokens/", {"name": "x", "access": "read", "expires_on": "2000-01-01"}
    )
    assert "expires_on" in page.context["form"].errors


def test_authentication_loads_the_token_with_its_user_in_one_query(
    tenants, api, django_assert_num_queries
):
    text = api.token_text(tenants.owner, organization=tenants.org_a)
    # Used a moment ago: the lookup does not write its last use again.
    ApiToken.objects.update(last_used_at=timezone.now())
    with django_assert_num_queries(1):
        token = token_authenticate(text)
        assert token.user == tenants.owner
    assert token_authenticate(f"vw_{'z' * 12}_{text.split('_')[2]}") is None
