"""The flags CSV export: scoped to what the caller may see, filtered, streamed, formula-safe."""

import csv
import io

import pytest
from rest_framework.test import APIClient

from exposure.choices import FlagStatus
from exposure.export import COLUMNS
from exposure.models import Flag
from listing.pages import csv_cell
from orgs.choices import TokenAccess
from orgs.tokens import token_create
from tests.factories import InventoryItemFactory, PublishedAdvisoryFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/flags/export.csv"


def flag_for(organization, *, advisory=None, label="Widget 1.0", **fields) -> Flag:
    item = InventoryItemFactory(organization=organization)
    return Flag.objects.create(
        advisory=advisory or PublishedAdvisoryFactory(),
        item=item,
        organization=organization,
        item_label=label,
        **fields,
    )


def export(client: APIClient, query: str = "") -> tuple[object, list[dict[str, str]]]:
    response = client.get(f"{URL}{query}")
    body = b"".join(response.streaming_content).decode() if response.streaming else ""
    return response, list(csv.DictReader(io.StringIO(body)))


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_export_is_a_streamed_csv_attachment_with_a_header_row(tenants):
    flag = flag_for(tenants.org_a, label="Kaspersky Endpoint Security 11.1")

    response, rows = export(client_for(tenants.viewer))

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="vendorwatch-flags-')
    assert list(rows[0]) == [name for name, _ in COLUMNS]
    assert rows[0]["flag_id"] == str(flag.pk)
    assert rows[0]["organization"] == "Stadtwerke Alpha"
    assert rows[0]["advisory"] == flag.advisory.identifier
    assert rows[0]["item"] == "Kaspersky Endpoint Security 11.1"
    assert rows[0]["status"] == "open"


def test_export_holds_only_the_organizations_the_caller_may_see(tenants):
    flag_for(tenants.org_a, label="alpha's item")
    flag_for(tenants.org_b, label="beta's item")

    _, outsider_rows = export(client_for(tenants.outsider))
    _, member_rows = export(client_for(tenants.viewer))

    assert [row["item"] for row in outsider_rows] == ["beta's item"]
    assert [row["item"] for row in member_rows] == ["alpha's item"]


def test_organization_token_exports_only_its_organization(tenants):
    advisory = PublishedAdvisoryFactory()
    flag_for(tenants.org_a, advisory=advisory, label="alpha's item")
    flag_for(tenants.org_b, advisory=advisory, label="beta's item")
    tenants.outsider.memberships.create(organization=tenants.org_a, role="owner")
    _, secret = token_create(
        user=tenants.outsider, name="siem", access=TokenAccess.READ, organization=tenants.org_b
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    response, rows = export(client)

    assert response.status_code == 200
    assert [row["item"] for row in rows] == ["beta's item"]


def test_filtering_for_another_organization_is_refused_not_answered(tenants):
    flag_for(tenants.org_a)

    response, _ = export(client_for(tenants.outsider), f"?organization={tenants.org_a.pk}")

    assert response.status_code == 400
    assert "organization" in response.json()


def test_export_honours_the_flag_list_filters(tenants):
    flag_for(tenants.org_a, label="open one")
    flag_for(tenants.org_a, label="acknowledged one", status=FlagStatus.ACKNOWLEDGED)
    flag_for(tenants.org_a, label="found by search", status=FlagStatus.ACKNOWLEDGED)

    _, by_status = export(client_for(tenants.viewer), "?status=acknowledged")
    _, by_status_and_text = export(client_for(tenants.viewer), "?status=acknowledged&q=search")

    assert sorted(row["item"] for row in by_status) == ["acknowledged one", "found by search"]
    assert [row["item"] for row in by_status_and_text] == ["found by search"]


def test_export_rows_follow_the_flag_list_order(tenants):
    flag_for(tenants.org_a, label="low", priority=10)
    flag_for(tenants.org_a, label="high", priority=90)

    _, rows = export(client_for(tenants.viewer))

    assert [row["item"] for row in rows] == ["high", "low"]


def test_export_takes_the_flag_list_ordering(tenants):
    flag_for(tenants.org_a, label="low", priority=10)
    flag_for(tenants.org_a, label="high", priority=90)

    _, rows = export(client_for(tenants.viewer), "?ordering=priority")
    response, _ = export(client_for(tenants.viewer), "?ordering=item_label")

    assert [row["item"] for row in rows] == ["low", "high"]
    assert response.status_code == 400
    assert "ordering" in response.json()


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_quoted(tenants):
    flag_for(tenants.org_a, label='=HYPERLINK("http://evil.example/","click me")')
    advisory = PublishedAdvisoryFactory(title="@SUM(1+1)*cmd|' /C calc'!A0")
    flag_for(tenants.org_a, advisory=advisory, label="+1-2", priority=50)

    _, rows = export(client_for(tenants.viewer))

    labels = {row["item"] for row in rows}
    assert '\'=HYPERLINK("http://evil.example/","click me")' in labels
    assert "'+1-2" in labels
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in {row["advisory_title"] for row in rows}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Kaspersky", "Kaspersky"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (42, "42"),
        (-5, "-5"),
    ],
)
def test_csv_cell_prefixes_only_formula_triggers(value, expected):
    assert csv_cell(value) == expected


def test_anonymous_export_is_refused(tenants):
    flag_for(tenants.org_a)

    response = APIClient().get(URL)

    assert response.status_code == 401


def test_the_flag_list_page_downloads_the_same_file_as_the_api(tenants, client):
    flag_for(tenants.org_a, label="=cmd")
    flag_for(tenants.org_a, label="Kühlung Nord", priority=90)
    client.force_login(tenants.viewer)
    page = client.get("/flags/", {"format": "csv"})
    response = client_for(tenants.viewer).get(URL)
    assert page["Content-Disposition"] == response["Content-Disposition"]
    assert b"".join(page.streaming_content) == b"".join(response.streaming_content)
