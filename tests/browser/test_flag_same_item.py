"""In a real browser, as an analyst: a flag's page lists the other advisories that flag the
same item, and leads to their flags."""

import pytest
from playwright.sync_api import expect

from advisories.choices import TargetKind
from advisories.models import AffectedTarget
from advisories.services import advisory_publish
from exposure.models import Flag
from orgs.choices import Role
from tests.browser.conftest import sign_in
from tests.factories import (
    TEST_PASSWORD,
    AdvisoryFactory,
    InventoryItemFactory,
    MembershipFactory,
    OrganizationFactory,
    ProductFactory,
    UserFactory,
    VendorFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_analyst_sees_the_other_advisories_on_a_flags_item(page):
    kaspersky = VendorFactory(name="Kaspersky", slug="kaspersky")
    endpoint = ProductFactory(vendor=kaspersky, name="Endpoint Security", slug="endpoint")
    organization = OrganizationFactory(name="Stadtwerke Nordhafen")
    item = InventoryItemFactory(organization=organization, product=endpoint, version="21.3")
    warning = AdvisoryFactory(identifier="BSI-2022-0315", title="Replace Kaspersky products")
    AffectedTarget.objects.create(advisory=warning, kind=TargetKind.VENDOR, vendor=kaspersky)
    flaw = AdvisoryFactory(identifier="CVE-2026-1111", title="Kaspersky driver flaw")
    AffectedTarget.objects.create(advisory=flaw, kind=TargetKind.PRODUCT, product=endpoint)
    for advisory in (warning, flaw):
        advisory_publish(advisory=advisory)  # matched eagerly, as `make test` runs Celery
    analyst = UserFactory(username="ana")
    MembershipFactory(user=analyst, organization=organization, role=Role.ANALYST)

    sign_in(page, "ana", TEST_PASSWORD)
    page.goto(Flag.objects.get(advisory=warning, item=item).get_absolute_url())
    others = page.get_by_role("region", name="Other advisories flagging this item")
    expect(others).to_contain_text("Kaspersky driver flaw")
    assert "BSI-2022-0315" not in others.inner_text()
    others.get_by_role("link", name="CVE-2026-1111 Kaspersky driver flaw").click()
    page.wait_for_url(Flag.objects.get(advisory=flaw, item=item).get_absolute_url())
    expect(page.get_by_role("region", name="Other advisories flagging this item")).to_contain_text(
        "Replace Kaspersky products"
    )
