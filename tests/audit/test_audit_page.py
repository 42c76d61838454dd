"""The audit trail's page: admins read their organizations' entries, filter, page and export
them; nobody reads another organization's."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.services import audit_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("audit:entry_list")


@pytest.fixture
def entries(tenants):
    audit_record(
        action="flag.status_change",
        actor=tenants.analyst,
        organization=tenants.org_a,
        object_repr="alpha-flag",
        before={"status": "open"},
        after={"status": "acknowledged"},
    )
    audit_record(
        action="membership.role_change",
        actor=tenants.owner,
        organization=tenants.org_a,
        object_repr="alpha-membership",
    )
    audit_record(
        action="flag.assign",
        actor=tenants.outsider,
        organization=tenants.org_b,
        object_repr="beta-flag",
    )
    audit_record(action="auth.login_failed", object_repr="platform-login")


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_an_admin_reads_the_entries_of_their_organization_only(client, tenants, entries):
    client.force_login(tenants.owner)

    page = body(client.get(URL))

    assert "alpha-flag" in page and "alpha-membership" in page
    assert "beta-flag" not in page and "platform-login" not in page
    assert "Klinikum Beta" not in page


@pytest.mark.parametrize("who", ["viewer", "analyst"])
def test_members_who_are_not_admins_read_nothing(client, tenants, entries, who):
    client.force_login(getattr(tenants, who))

    page = body(client.get(URL))

    assert "alpha-flag" not in page
    assert "you administer no organization" in page


def test_an_outsider_reads_nothing_of_another_organization(client, tenants, entries):
    client.force_login(tenants.outsider)

    page = body(client.get(URL))
    export = body(client.get(URL, {"format": "csv"}))

    assert "beta-flag" in page
    for text in (page, export):
        assert "alpha-flag" not in text and "Stadtwerke Alpha" not in text
    assert "Stadtwerke Alpha" not in body(client.get(URL, {"organization": tenants.org_a.pk}))


def test_a_superuser_also_reads_platform_entries(client, tenants, entries):
    client.force_login(UserFactory(username="root", is_superuser=True))

    page = body(client.get(URL))

    assert "platform-login" in page and "beta-flag" in page and "alpha-flag" in page


def test_entries_filter_by_actor_action_organization_object_type_and_time(client, tenants, entries):
    client.force_login(tenants.owner)
    audit_record(
        action="inventory.item_create",
        actor=tenants.owner,
        organization=tenants.org_a,
        object_type="orgs.inventoryitem",
        object_repr="alpha-item",
    )

    def shown(**query) -> set[str]:
        page = body(client.get(URL, query))
        return {name for name in ("alpha-flag", "alpha-membership", "alpha-item") if name in page}

    assert shown(actor=tenants.analyst.pk) == {"alpha-flag"}
    assert shown(action_prefix="membership.") == {"alpha-membership"}
    assert shown(object_type="orgs.inventoryitem") == {"alpha-item"}
    assert shown(organization=tenants.org_a.pk) == {"alpha-flag", "alpha-membership", "alpha-item"}
    later = (timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    earlier = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert shown(created_after=later) == set()
    assert shown(created_after=earlier, created_before=later) == {
        "alpha-flag",
        "alpha-membership",
        "alpha-item",
    }


def test_the_page_shows_the_values_before_and_after(client, tenants, entries):
    client.force_login(tenants.owner)

    page = body(client.get(URL, {"action_prefix": "flag."}))

    assert "<del>&quot;open&quot;</del> → &quot;acknowledged&quot;" in page


def test_the_list_is_paginated(client, tenants):
    for number in range(55):
        audit_record(action="test.event", organization=tenants.org_a, object_repr=f"entry-{number}")
    client.force_login(tenants.owner)

    first, second = body(client.get(URL)), body(client.get(URL, {"page": 2}))

    assert "entry-54" in first and "entry-0<" not in first
    assert "entry-0<" in second and "entry-54" not in second


def test_the_csv_export_holds_the_filtered_entries_safe_for_spreadsheets(client, tenants, entries):
    audit_record(
        action="inventory.item_create",
        actor=tenants.owner,
        organization=tenants.org_a,
        object_repr='=HYPERLINK("http://evil.example")',
    )
    client.force_login(tenants.owner)

    response = client.get(URL, {"format": "csv", "action_prefix": "inventory."})

    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert [row["action"] for row in rows] == ["inventory.item_create"]
    assert rows[0]["object"].startswith("'=")
    assert rows[0]["organization"] == "Stadtwerke Alpha"


def test_the_list_costs_the_same_queries_for_one_entry_and_many(
    client, tenants, django_assert_max_num_queries
):
    client.force_login(tenants.owner)
    audit_record(action="test.event", actor=tenants.owner, organization=tenants.org_a)
    with django_assert_max_num_queries(15) as few:
        assert client.get(URL).status_code == 200

    for _ in range(40):
        audit_record(
            action="test.event",
            actor=tenants.analyst,
            organization=tenants.org_a,
            before={"a": 1},
            after={"a": 2},
        )

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(URL).status_code == 200
