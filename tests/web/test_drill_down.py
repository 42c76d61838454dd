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

DRILL = re.compile(r'<a class="drill"(?: data-list="(\w+)")? href="([^"]+)">([\d,]+)</a>')


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
    response = client.get(href)
    assert response.status_code == 200, href
    return response.context["page"].paginator.count


def check_page(client, url: str) -> int:
    body = client.get(url).content.decode()
    links = drills(body)
    for kind, href, number in links:
        assert listed_count(client, kind, href) == number, (href, number)
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
    check_page(client, busy.vendor.get_absolute_url())
    check_page(client, busy.product.get_absolute_url())
