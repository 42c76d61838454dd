"""Every number drills down: each figure on the overview and on the organization, advisory,
vendor and product pages links to the filtered list that produces it, and that list counts
exactly the figure. Overdue lists have "see all"."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from advisories.choices import AdvisoryKind, Severity
from tests.factories import InventoryItemFactory, PublishedAdvisoryFactory
from tests.web.conftest import flag_for

pytestmark = pytest.mark.django_db

DRILL = re.compile(r'<a class="drill"(?: data-list="([\w-]+)")? href="([^"]+)">([\d,]+)</a>')
# A figure shown on its own: a table's number cell or a summary value that is not a link.
BARE = re.compile(r'<(?:td class="num[^"]*"|span class="stat-value[^"]*"[^>]*)>\s*([\d,]+)\s*</')


@pytest.fixture
def busy(world):
    """Organization A with flags of every kind the pages count: several severities and kinds,
    overdue, possible, closed, on two items of the vendor's product."""
    org = world.tenants.org_a
    today = timezone.localdate()
    critical = PublishedAdvisoryFactory(
        identifier="CVE-2024-3400", severity=Severity.CRITICAL, kind=AdvisoryKind.VULNERABILITY
    )
    second = InventoryItemFactory(organization=org, product=world.product, version="21.2")
    third = InventoryItemFactory(organization=org, raw_product="Unlisted appliance")
    flag_for(critical, world.item_a, due_date=today - timedelta(days=9))
    flag_for(critical, second, confidence="possible", possible_reason="version unknown")
    flag_for(world.warning, second, status="acknowledged")
    flag_for(critical, third, status="mitigated")
    flag_for(world.warning, third, status="false_positive", status_reason="Not ours")
    return world


def drills(body: str) -> list[tuple[str, str, int]]:
    found = [
        (kind or "flags", unescape(href), int(number.replace(",", "")))
        for kind, href, number in DRILL.findall(body)
    ]
    assert found, "the page has no drill-down links"
    return found


def listed_count(client, kind: str, href: str) -> int:
    """What the list a figure links to shows for it: its length; the total quantity of the
    items (installations); the organizations of the advisory's or vendor's table (impact,
    affected); the top row's
    priority (a highest priority)."""
    response = client.get(href)
    assert response.status_code == 200, href
    if kind == "installations":
        return response.context["installations"]
    if kind == "impact":
        return response.context["impact_rows"].paginator.count
    if kind == "affected":
        return response.context["organizations"].paginator.count
    if kind == "top-priority":
        return response.context["page"].object_list[0].priority
    return response.context["page"].paginator.count


def check_page(client, url: str) -> int:
    """Follows every figure of the page to its list, which must count the same; and finds no
    figure other than zero that is not a link."""
    body = client.get(url).content.decode()
    links = drills(body)
    for kind, href, number in links:
        assert listed_count(client, kind, href) == number, (href, number)
    bare = [number for number in BARE.findall(body) if number != "0"]
    assert not bare, f"figures without a link on {url}: {bare}"
    return len(links)


def test_every_overview_number_links_to_the_list_that_counts_it(client, busy):
    client.force_login(busy.tenants.viewer)
    assert check_page(client, reverse("home")) >= 15


def test_overview_of_a_global_analyst_drills_down_too(client, busy):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="cert", is_global_analyst=True))
    check_page(client, reverse("home"))


def test_overdue_list_has_see_all(client, busy):
    client.force_login(busy.tenants.viewer)
    body = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("exposure:flag_list")}?overdue=true">See all 2 →' in body


def test_organization_page_numbers_drill_down(client, busy):
    client.force_login(busy.tenants.viewer)
    url = reverse("orgs:organization_detail", kwargs={"slug": busy.tenants.org_a.slug})
    assert check_page(client, url) >= 10


def test_advisory_page_numbers_drill_down(client, busy):
    client.force_login(busy.tenants.viewer)
    advisory = busy.warning
    assert check_page(client, advisory.get_absolute_url()) >= 5


def test_vendor_and_product_page_numbers_drill_down(client, busy):
    client.force_login(busy.tenants.viewer)
    assert check_page(client, busy.vendor.get_absolute_url()) >= 4
    assert check_page(client, busy.product.get_absolute_url()) >= 4


def test_product_items_drill_down_across_organizations_and_by_version(client, busy):
    """The vendor's product rows and the product's versions count items of every organization
    the user sees: the inventory of all of them, filtered to the product (and version, or no
    version), lists exactly those; another organization's items stay out."""
    tenants = busy.tenants
    InventoryItemFactory(organization=tenants.org_b, product=busy.product, version="21.3")
    InventoryItemFactory(organization=tenants.org_b, product=busy.product, version="")
    client.force_login(tenants.viewer)
    check_page(client, busy.vendor.get_absolute_url())
    check_page(client, busy.product.get_absolute_url())
    listed = client.get(reverse("orgs:inventory_all"), {"product": busy.product.pk})
    organizations = {item.organization_id for item in listed.context["page"].object_list}
    assert organizations == {tenants.org_a.pk}
    assert tenants.org_b.name not in listed.content.decode()


def test_inventory_list_keeps_the_filters_a_link_gave_it(client, busy):
    """Refining a drilled-into inventory keeps its product and version: each is a chip that
    removes it alone, and a hidden field of the filter form."""
    client.force_login(busy.tenants.viewer)
    url = reverse("orgs:inventory_all")
    body = client.get(url, {"product": busy.product.pk, "version": "21.2"}).content.decode()
    assert f"Product: {busy.product}" in unescape(body)
    assert "Version: 21.2" in body
    assert f'<input type="hidden" name="product" value="{busy.product.pk}">' in body
    assert '<input type="hidden" name="version" value="21.2">' in body
    assert f'href="{url}?product={busy.product.pk}" class="chip-remove"' in body
