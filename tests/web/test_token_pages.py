"""The API tokens page in the site's style: the secret shown once with a copy button, and
revoking after a confirmation page."""

import pytest
from django.urls import reverse

from orgs.tokens import token_create

pytestmark = pytest.mark.django_db

PAGE = reverse("tokens")


def test_issued_token_is_shown_once_with_a_copy_button(client, tenants):
    client.force_login(tenants.analyst)
    response = client.post(PAGE, {"name": "SIEM export", "access": "read"})
    body = response.content.decode()
    secret = response.context["issued"]
    assert secret in body and 'data-copy="issued-token"' in body
    assert secret not in client.get(PAGE).content.decode()


def test_revoking_asks_first_then_revokes(client, tenants):
    token, _secret = token_create(user=tenants.owner, name="CMDB sync")
    client.force_login(tenants.owner)
    url = reverse("token_revoke", kwargs={"pk": token.pk})
    confirmation = client.get(url)
    assert confirmation.status_code == 200
    assert "Revoke “CMDB sync”?" in confirmation.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    assert client.post(url).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "already revoked" in client.get(url).content.decode()


def test_someone_elses_token_cannot_be_revoked(client, tenants):
    token, _secret = token_create(user=tenants.owner, name="mine", organization=tenants.org_a)
    client.force_login(tenants.outsider)
    url = reverse("token_revoke", kwargs={"pk": token.pk})
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
