"""In a real browser, as the analyst who triages and the member who reads: the affected
assets and one triage of all an item's flags; filters that stay (a link's filter survives
refining, a chip removes one filter, a picker names a vendor); a saved view shared with the
organization appears in a colleague's navigation and nowhere else; an overview number leads
to the list that counts it."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from advisories.choices import AdvisoryKind, Severity
from exposure.flag_filters import ORGANIZATIONS_LISTED
from exposure.models import Flag
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_accessibility import axe_page, axe_violations  # noqa: F401
from tests.factories import (
    TEST_PASSWORD,
    InventoryItemFactory,
    MembershipFactory,
    OrganizationFactory,
    PublishedAdvisoryFactory,
)
from tests.web.conftest import flag_for, world  # noqa: F401 (the page tests' small world)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hosts(world):  # noqa: F811
    """Organization A runs the product on two hosts; a critical CVE advisory hits the second."""
    item = world.item_a
    item.hostname, item.site, item.external_ref = "ws-leit-01", "Leitwarte Nord", "CMDB-0001"
    item.save()
    second = InventoryItemFactory(
        organization=world.tenants.org_a,
        product=world.product,
        version="21.3",
        hostname="srv-backup-02",
        site="Rechenzentrum Süd",
    )
    critical = PublishedAdvisoryFactory(
        identifier="CVE-2024-3400",
        title="PAN-OS command injection",
        severity=Severity.CRITICAL,
        kind=AdvisoryKind.VULNERABILITY,
    )
    flag_for(world.warning, second, priority=40)
    flag_for(critical, second, priority=95, due_date=timezone.localdate() - timedelta(days=2))
    return second


def test_analyst_triages_all_flags_of_an_asset_at_once(page, world, hosts):  # noqa: F811
    sign_in(page, world.tenants.analyst.username, TEST_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Assets").click()
    expect(page.get_by_role("heading", name="Affected assets")).to_be_visible()
    rows = page.locator("table.assets tbody tr")
    expect(rows).to_have_count(2)
    # The most urgent asset first, its advisories named, told apart by its host and site.
    expect(rows.first).to_contain_text("srv-backup-02")
    expect(rows.first).to_contain_text("Rechenzentrum Süd")
    expect(rows.first).to_contain_text("CVE-2024-3400")
    expect(rows.first).to_contain_text("BSI-2022-0315")
    screenshot(page, "affected-assets")
    rows.first.get_by_role("checkbox").check()
    expect(page.get_by_text("1 selected")).to_be_visible()
    page.get_by_label("With all open flags of the selected items").select_option("Acknowledge")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("2 flags now acknowledged.")).to_be_visible()
    assert set(Flag.objects.filter(item=hosts).values_list("status", flat=True)) == {"acknowledged"}
    assert Flag.objects.get(pk=world.flag_a.pk).status == "open"
    # The item's page lists both flags and their history.
    page.get_by_role("link", name=str(hosts)).first.click()
    expect(page.get_by_test_id("item-asset")).to_contain_text("srv-backup-02")
    expect(page.locator("ol.timeline li")).to_have_count(2)


def test_a_links_filter_survives_refining_and_a_chip_removes_it(page, world, hosts):  # noqa: F811
    sign_in(page, world.tenants.analyst.username, TEST_PASSWORD)
    page.goto(f"/flags/?advisory={world.warning.pk}")
    chips = page.get_by_role("group", name="Active filters")
    expect(chips).to_contain_text("Advisory: BSI-2022-0315")
    expect(page.locator("table.flags tbody tr")).to_have_count(2)
    # Refining by a severity the advisory does not have: nothing, not every critical flag.
    page.locator("fieldset", has_text="Severity").get_by_label("Critical").check()
    page.get_by_role("button", name="Filter").click()
    expect(chips).to_contain_text("Advisory: BSI-2022-0315")
    expect(chips).to_contain_text("Severity: Critical")
    expect(page.get_by_text("No flag matches these filters.")).to_be_visible()
    # Dropping the advisory chip keeps the severity: the critical flag.
    page.get_by_role("link", name="Remove the filter Advisory: BSI-2022-0315").click()
    expect(chips).not_to_contain_text("Advisory")
    expect(page.locator("table.flags tbody tr")).to_have_count(1)
    expect(page.locator("table.flags tbody tr")).to_contain_text("CVE-2024-3400")


def test_vendor_picker_names_the_vendor(page, world, hosts):  # noqa: F811
    sign_in(page, world.tenants.analyst.username, TEST_PASSWORD)
    page.goto("/flags/")
    page.get_by_role("searchbox", name="Vendor").fill("kasp")
    page.get_by_role("button", name="Kaspersky").click()
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("group", name="Active filters")).to_contain_text("Vendor: Kaspersky")
    assert re.search(rf"vendor={world.vendor.pk}", page.url)
    expect(page.get_by_role("searchbox", name="Vendor")).to_have_value("Kaspersky")


def test_an_analyst_of_many_organizations_picks_one_by_name(axe_page, world, hosts):  # noqa: F811
    """Past ORGANIZATIONS_LISTED organizations the filter and the share field are search
    boxes (no page carries hundreds of options); picking fills them as a drop-down would."""
    page = axe_page
    for n in range(ORGANIZATIONS_LISTED):
        MembershipFactory(
            user=world.tenants.analyst,
            organization=OrganizationFactory(name=f"Gemeinde {n:02}", slug=f"gemeinde-{n:02}"),
            role="analyst",
        )
    sign_in(page, world.tenants.analyst.username, TEST_PASSWORD)
    page.goto("/flags/")
    page.get_by_role("searchbox", name="Organization").fill("alpha")
    page.get_by_role("button", name="Stadtwerke Alpha").click()
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("group", name="Active filters")).to_contain_text(
        "Organization: Stadtwerke Alpha"
    )
    assert re.search(rf"organization={world.tenants.org_a.pk}", page.url)
    expect(page.get_by_role("searchbox", name="Organization")).to_have_value("Stadtwerke Alpha")
    expect(page.locator("table.flags tbody tr")).to_have_count(3)
    assert axe_violations(page) == []

    page.get_by_text("Save this view").click()
    page.get_by_label("Name").fill("Alpha's flags")
    page.get_by_role("searchbox", name="Share with").fill("gemeinde 07")
    page.get_by_role("button", name="Gemeinde 07").click()
    page.get_by_role("button", name="Save the view").click()
    expect(page.get_by_text("Saved as “Alpha's flags”, shared with Gemeinde 07")).to_be_visible()


def test_the_reconciliation_page_picks_one_of_many_organizations_by_name(
    axe_page,  # noqa: F811
    world,  # noqa: F811
):
    """The reconciliation filter is the flag list's picker past ORGANIZATIONS_LISTED
    organizations: typing offers the analyst's own, picking one fills the filter."""
    page = axe_page
    for n in range(ORGANIZATIONS_LISTED):
        organization = OrganizationFactory(name=f"Gemeinde {n:02}", slug=f"gemeinde-{n:02}")
        MembershipFactory(user=world.tenants.analyst, organization=organization, role="analyst")
        InventoryItemFactory(
            organization=organization, product=None, raw_vendor=f"Spelling {n:02}", raw_product="X"
        )
    sign_in(page, world.tenants.analyst.username, TEST_PASSWORD)
    page.goto("/reconciliation/")
    expect(page.locator("table.reconciliation tbody tr")).to_have_count(ORGANIZATIONS_LISTED)
    page.get_by_role("searchbox", name="Organization").fill("gemeinde 07")
    page.get_by_role("button", name="Gemeinde 07").click()
    page.get_by_role("button", name="Filter").click()

    expect(page.locator("table.reconciliation tbody tr")).to_have_count(1)
    expect(page.locator("table.reconciliation tbody tr")).to_contain_text("Spelling 07")
    expect(page.get_by_role("searchbox", name="Organization")).to_have_value("Gemeinde 07")
    assert re.search(r"organization=\d+", page.url)
    assert axe_violations(page) == []


def test_a_shared_view_reaches_a_colleague_and_no_one_else(page, world, hosts):  # noqa: F811
    sign_in(page, world.tenants.analyst.username, TEST_PASSWORD)
    page.goto("/flags/?severity=critical&status=open")
    page.get_by_text("Save this view").click()
    page.get_by_label("Name").fill("Critical, open")
    page.get_by_label("Share with").select_option(label="Stadtwerke Alpha's members")
    page.get_by_role("button", name="Save the view").click()
    expect(
        page.get_by_text("Saved as “Critical, open”, shared with Stadtwerke Alpha")
    ).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, world.tenants.viewer.username, TEST_PASSWORD)
    page.get_by_text("Views", exact=True).click()
    page.get_by_role("link", name="Critical, open").click()
    expect(page.locator("table.flags tbody tr")).to_have_count(1)
    expect(page.locator("table.flags tbody tr")).to_contain_text("CVE-2024-3400")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, world.tenants.outsider.username, TEST_PASSWORD)
    page.get_by_text("Views", exact=True).click()
    expect(page.get_by_role("link", name="Critical, open")).to_have_count(0)


def test_member_follows_an_overview_number_to_its_list(page, world, hosts):  # noqa: F811
    sign_in(page, world.tenants.viewer.username, TEST_PASSWORD)
    tile = page.locator(".stat", has_text="overdue").locator("a.drill")
    number = int(tile.inner_text())
    tile.click()
    expect(page.locator("table.flags tbody tr")).to_have_count(number)
    page.goto("/")
    page.get_by_role("link", name=re.compile("See all")).click()
    expect(page.locator("table.flags tbody tr")).to_have_count(number)
