"""The second-factor policy, with codes computed here (RFC 6238) as an authenticator app
would: enrolment before any other page, sign-in with a code, recovery codes used once."""

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.second_factor_policy]


def totp(secret: str, *, step: int = 0) -> str:
    """The six-digit code of ``secret`` for now (``step`` periods of 30 s later)."""
    counter = int(time.time()) // 30 + step
    digest = hmac.new(
        base64.b32decode(secret, casefold=True), struct.pack(">Q", counter), hashlib.sha1
    ).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def sign_in(client: Client, username: str) -> object:
    return client.post(reverse("account_login"), {"login": username, "password": TEST_PASSWORD})


def enrol(client: Client) -> tuple[str, list[str]]:
    """Set up an authenticator app through the pages; return its secret and recovery codes."""
    page = client.get(reverse("mfa_activate_totp"))
    # Setting up a second factor asks for the password again first.
    assert page.status_code == 302
    assert page.url.startswith(reverse("account_reauthenticate"))
    confirmed = client.post(page.url, {"password": TEST_PASSWORD})
    assert confirmed.status_code == 302
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    assert secret in page.content.decode()
    done = client.post(reverse("mfa_activate_totp"), {"code": totp(secret)})
    assert done.status_code == 302
    codes_page = client.get(done.url)
    codes = re.findall(r"\b[0-9a-f]{8}\b", codes_page.content.decode())
    assert len(codes) == 10
    return secret, codes


@pytest.mark.parametrize(
    "flags",
    [{"is_advisory_editor": True}, {"is_global_analyst": True}, {"is_staff": True}],
    ids=["editor", "global-analyst", "staff"],
)
def test_covered_users_reach_only_enrolment_until_they_have_a_second_factor(flags):
    UserFactory(username="ed", **flags)
    client = Client()
    assert sign_in(client, "ed").status_code == 302
    for page in (reverse("home"), reverse("tokens"), reverse("advisories:advisory_list")):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response.url == reverse("mfa_activate_totp")
    api = client.get("/api/v1/advisories/")
    assert api.status_code == 403
    assert "two-factor" in api.json()["detail"]

    enrol(client)
    assert client.get(reverse("home")).status_code == 200
    assert client.get("/api/v1/advisories/").status_code == 200


def test_members_without_platform_roles_are_not_held(tenants):
    client = Client()
    assert sign_in(client, tenants.analyst.username).status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_sign_in_asks_for_the_code_and_refuses_a_wrong_one(
    settings, django_capture_on_commit_callbacks
):
    settings.MFA_TOTP_TOLERANCE = 1
    UserFactory(username="ed", is_advisory_editor=True)
    client = Client()
    sign_in(client, "ed")
    # allauth reports a new authenticator once its transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        secret, _codes = enrol(client)
    client.post(reverse("account_logout"))

    second = Client()
    response = sign_in(second, "ed")
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    # The password alone does not sign in.
    assert second.get(reverse("home")).status_code == 302
    wrong = second.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "Incorrect code" in wrong.content.decode()
    # The code of the next period (within the tolerance), not the one used at enrolment.
    assert (
        second.post(reverse("mfa_authenticate"), {"code": totp(secret, step=1)}).status_code == 302
    )
    assert second.get(reverse("home")).status_code == 200
    trail = list(
        AuditEntry.objects.filter(action__startswith="auth.mfa")
        .order_by("pk")
        .values_list("action", "object_repr", "after")
    )
    assert trail == [
        ("auth.mfa_added", "ed", {"type": "totp"}),
        ("auth.mfa_added", "ed", {"type": "recovery_codes"}),
        ("auth.mfa_failed", "ed", None),
    ]
    assert secret not in str(AuditEntry.objects.values_list("after", flat=True))


def test_a_recovery_code_signs_in_once():
    UserFactory(username="ed", is_advisory_editor=True)
    first = Client()
    sign_in(first, "ed")
    _secret, codes = enrol(first)

    second = Client()
    sign_in(second, "ed")
    assert second.post(reverse("mfa_authenticate"), {"code": codes[0]}).status_code == 302
    assert second.get(reverse("home")).status_code == 200

    third = Client()
    sign_in(third, "ed")
    again = third.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert again.status_code == 200
    assert third.get(reverse("home")).status_code == 302
    assert third.post(reverse("mfa_authenticate"), {"code": codes[1]}).status_code == 302
    assert AuditEntry.objects.filter(action="auth.login", actor_name="ed").count() == 3
