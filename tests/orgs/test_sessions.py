"""Sessions: a person sees theirs and ends the others; an admin ends all of a user's; an ended
session stops working at once and the audit trail says who ended it."""

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def signed_in(username: str, agent: str) -> Client:
    client = Client(HTTP_USER_AGENT=agent)
    response = client.post(reverse("account_login"), {"login": username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client


def test_a_user_lists_their_sessions_and_ends_the_others(tenants):
    laptop = signed_in(tenants.analyst.username, "Laptop Firefox")
    phone = signed_in(tenants.analyst.username, "Phone Safari")
    signed_in(tenants.viewer.username, "Someone Else")

    page = laptop.get(reverse("usersessions_list")).content.decode()
    assert "Laptop Firefox" in page and "Phone Safari" in page
    assert "Someone Else" not in page

    assert laptop.post(reverse("usersessions_list")).status_code == 302
    assert phone.get(reverse("home")).status_code == 302
    assert laptop.get(reverse("home")).status_code == 200
    ended = AuditEntry.objects.get(action="auth.session_end")
    assert (ended.actor_name, ended.object_repr) == (tenants.analyst.username, "analyst-a")
    assert ended.after["user_agent"] == "Phone Safari"


def test_an_admin_ends_every_session_of_a_user(tenants):
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    admin = signed_in(admin_user.username, "Admin")
    first = signed_in(tenants.owner.username, "One")
    second = signed_in(tenants.owner.username, "Two")
    other = signed_in(tenants.viewer.username, "Three")

    response = admin.post(
        reverse("admin:orgs_user_changelist"),
        {"action": "end_sessions", "_selected_action": [tenants.owner.pk]},
    )
    assert response.status_code == 302
    assert first.get(reverse("home")).status_code == 302
    assert second.get(reverse("home")).status_code == 302
    assert other.get(reverse("home")).status_code == 200
    assert admin.get(reverse("home")).status_code == 200
    entries = AuditEntry.objects.filter(action="auth.session_end")
    assert sorted(entries.values_list("actor_name", "object_repr")) == [
        ("root", "owner-a"),
        ("root", "owner-a"),
    ]
