"""In a real browser: an analyst of two organizations and a member of one read the reports
page, change the period, download a list as CSV and XLSX and open an organization's PDF."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from exposure.models import Flag
from orgs.choices import Role
from tests.browser.conftest import screenshot, sign_in
from tests.factories import (
    TEST_PASSWORD,
    InventoryItemFactory,
    MembershipFactory,
    OrganizationFactory,
    ProductFactory,
    PublishedAdvisoryFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def report_world():
    """Three organizations; each has a flag closed within its SLA, one closed late and two
    open, one of them overdue. Ana analyses the first two; Max is a member of the first."""
    now, today = timezone.now(), timezone.localdate()
    product = ProductFactory()
    organizations = [
        OrganizationFactory(name="Stadtwerke Nordhafen", sector="energy"),
        OrganizationFactory(name="Klinikum Lindenau", sector="health"),
        OrganizationFactory(name="Landesamt IT", sector="government"),
    ]
    for organization in organizations:
        for status, opened, closed, due in (
            ("mitigated", 12, 2, 5),
            ("mitigated", 60, 40, -50),
            ("open", 3, None, 10),
            ("open", 50, None, -5),
        ):
            item = InventoryItemFactory(organization=organization, product=product)
            flag = Flag.objects.create(
                advisory=PublishedAdvisoryFactory(),
                item=item,
                organization=organization,
                item_label=str(item),
            )
            Flag.objects.filter(pk=flag.pk).update(
                status=status,
                first_seen_at=now - timedelta(days=opened),
                status_changed_at=now - timedelta(days=closed if closed else opened),
                due_date=today + timedelta(days=due),
            )
    analyst = UserFactory(username="ana")
    member = UserFactory(username="max")
    for organization in organizations[:2]:
        MembershipFactory(user=analyst, organization=organization, role=Role.ANALYST)
    MembershipFactory(user=member, organization=organizations[0], role=Role.VIEWER)
    return organizations


def test_analyst_reads_the_reports_and_downloads_them(page, report_world):
    sign_in(page, "ana", TEST_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
    expect(page.get_by_test_id("sla-percent")).to_have_text("50.0 %")
    table = page.get_by_test_id("organization-table")
    expect(table).to_contain_text("Stadtwerke Nordhafen")
    expect(table).to_contain_text("Klinikum Lindenau")
    assert "Landesamt IT" not in page.get_by_role("main").inner_text()
    sectors = page.get_by_test_id("sector-table")
    expect(sectors).to_contain_text("Energy")
    expect(page.locator(".bars .bar-row")).not_to_have_count(0)
    screenshot(page, "reports-analyst")

    # Closed flags of the last 30 days: only the one closed in time in each organization.
    page.get_by_label("Closed flags of the last").select_option("30")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("sla-percent")).to_have_text("100.0 %")

    section = page.get_by_role("region", name="By organization")
    with page.expect_download() as download:
        section.get_by_role("link", name="XLSX").click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    names = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert names == ["Klinikum Lindenau", "Stadtwerke Nordhafen"]
    with page.expect_download() as download:
        section.get_by_role("link", name="CSV").click()
    assert "Landesamt IT" not in download.value.path().read_text()

    response = page.context.request.get(
        page.get_by_role("link", name="PDF report of Klinikum Lindenau").get_attribute("href")
    )
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")


def test_member_sees_their_own_organizations_report_only(page, report_world):
    sign_in(page, "max", TEST_PASSWORD)
    page.goto("/reports/")
    main = page.get_by_role("main").inner_text()
    assert "Stadtwerke Nordhafen" in main
    assert "Klinikum Lindenau" not in main and "Landesamt IT" not in main
    totals = page.get_by_test_id("report-totals").locator(".stat-value")
    expect(totals.first).to_have_text("2")  # open flags
    expect(page.get_by_test_id("sla-percent")).to_have_text("50.0 %")
    lindenau = report_world[1]
    response = page.context.request.get(f"/reports/organizations/{lindenau.slug}.pdf")
    assert response.status == 404
