"""In a real browser: an analyst follows the Kaspersky warning from the dashboard to its
page; an editor drafts and publishes a vendor warning. Screenshots of the main pages go to
var/screenshots/ for review."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from advisories.choices import TargetKind
from advisories.models import Advisory, AffectedTarget
from advisories.services import advisory_publish
from exposure.models import Flag
from tests.browser.conftest import screenshot, sign_in
from tests.factories import (
    TEST_PASSWORD,
    AdvisoryFactory,
    InventoryItemFactory,
    OrganizationFactory,
    ProductFactory,
    PublishedAdvisoryFactory,
    SourceFactory,
    UserFactory,
    VendorFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def kaspersky_world():
    """Four organizations, three of them running Kaspersky, flagged by the BSI warning through
    the real matcher; the flags are then spread over the last two months, some overdue, so
    that the dashboard has a history to draw. Hikvision cameras in two organizations are
    covered by no advisory yet."""
    rng = random.Random(7)
    bsi = SourceFactory(name="BSI", slug="bsi")
    kaspersky = VendorFactory(name="Kaspersky", slug="kaspersky", country="RU")
    endpoint = ProductFactory(
        vendor=kaspersky,
        name="Endpoint Security",
        slug="endpoint-security",
        category="endpoint_protection",
        deep_system_access=True,
        permanent_cloud_connection=True,
    )
    hikvision = VendorFactory(name="Hikvision", slug="hikvision", country="CN")
    camera = ProductFactory(vendor=hikvision, name="DS-2CD2 camera", slug="ds-2cd2")
    names = ["Stadtwerke Nordhafen", "Klinikum Lindenau", "Wasserverband Ost", "Landesamt IT"]
    organizations = [OrganizationFactory(name=name) for name in names]
    for organization in organizations[:3]:
        for _ in range(rng.randint(4, 9)):
            InventoryItemFactory(
                organization=organization, product=endpoint, version=f"21.{rng.randint(1, 9)}"
            )
    for organization in organizations[1:3]:
        InventoryItemFactory.create_batch(2, organization=organization, product=camera)
    InventoryItemFactory(organization=organizations[3])

    warning = AdvisoryFactory(
        source=bsi,
        identifier="BSI-2022-0315",
        title="Replace Kaspersky antivirus products",
        summary="The BSI warns under §7 BSI Act against Kaspersky's antivirus software.",
        kind="vendor_warning",
        severity="high",
        recommended_action="replace",
        action_deadline=timezone.localdate() + timedelta(days=20),
    )
    AffectedTarget.objects.create(advisory=warning, kind=TargetKind.VENDOR, vendor=kaspersky)
    advisory_publish(advisory=warning)
    PublishedAdvisoryFactory(
        source=bsi, identifier="CVE-2024-3400", title="PAN-OS GlobalProtect", severity="critical"
    )
    now = timezone.now()
    for flag in Flag.objects.filter(advisory=warning):
        Flag.objects.filter(pk=flag.pk).update(
            first_seen_at=now - timedelta(days=rng.randint(0, 60)),
            due_date=timezone.localdate() + timedelta(days=rng.randint(-9, 30)),
        )
    return {"warning": warning, "organizations": organizations, "source": bsi}


def test_analyst_sees_the_kaspersky_warnings_impact(page, kaspersky_world):
    UserFactory(username="analyst", is_global_analyst=True)
    flagged = Flag.objects.filter(advisory=kaspersky_world["warning"]).count()
    assert flagged >= 12  # the matcher flagged every Kaspersky item
    sign_in(page, "analyst", TEST_PASSWORD)

    recent = page.get_by_role("region", name="Advisories of the last 30 days")
    row = recent.get_by_role("row").filter(has_text="BSI-2022-0315")
    assert row.get_by_role("cell").last.inner_text() == str(flagged)
    vendors = page.get_by_role("region", name="Vendors behind most exposure")
    assert "Kaspersky" in vendors.inner_text()
    assert page.locator("svg[role=img] desc").count() == 1
    screenshot(page, "01-overview")

    row.get_by_role("link", name="BSI-2022-0315").click()
    page.wait_for_url("**/advisories/*/")
    assert page.get_by_test_id("impact-organizations").inner_text() == "3"
    assert page.get_by_test_id("impact-items").inner_text() == str(flagged)
    assert "Stadtwerke Nordhafen" in page.get_by_role("region", name="Impact").inner_text()
    screenshot(page, "02-advisory-detail")

    page.get_by_role("link", name="Kaspersky", exact=True).first.click()
    page.wait_for_url("**/vendors/kaspersky/")
    screenshot(page, "03-vendor")
    page.get_by_role("link", name="Endpoint Security").first.click()
    screenshot(page, "04-product")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Advisories").click()
    page.get_by_label("Search").fill("kaspersky")
    page.get_by_role("button", name="Filter").click()
    assert page.get_by_role("row").count() == 2  # the header and the BSI warning
    screenshot(page, "05-advisory-list")
    page.goto("/vendors/")
    screenshot(page, "06-vendor-list")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    screenshot(page, "10-overview-phone")


def test_editor_drafts_and_publishes_a_vendor_warning(page, kaspersky_world):
    UserFactory(username="editor", is_advisory_editor=True)
    sign_in(page, "editor", TEST_PASSWORD)
    page.goto("/advisories/new/")
    page.locator("#id_source").select_option(label="BSI")
    page.get_by_label("Identifier").fill("BSI-2026-0001")
    page.locator("#id_title").fill("Replace Hikvision cameras in critical infrastructure")
    page.locator("#id_kind").select_option("vendor_warning")
    page.locator("#id_severity").select_option("high")

    page.get_by_role("button", name="+ Add a target").click()
    row = page.locator("[data-target-row]").last
    row.get_by_label("Kind").select_option("vendor")
    assert row.get_by_label("Version range").is_hidden()
    row.get_by_label("Vendor", exact=True).fill("hikv")
    row.get_by_role("button", name="Hikvision").click()
    expect(row.get_by_label("Vendor", exact=True)).to_have_value("Hikvision")
    expect(page.get_by_test_id("preview-organizations")).to_have_text("2")
    expect(page.get_by_test_id("preview-items")).to_contain_text("4")

    page.get_by_role("button", name="+ Add a target").click()
    ranged = page.locator("[data-target-row]").last
    ranged.get_by_label("Kind").select_option("product_range")
    ranged.get_by_label("Version range").fill("vers:generic/>=5.0|<5.7.3")
    expect(ranged.locator(".range-check")).to_contain_text("Read as ≥ 5 and < 5.7.3")
    # A caveat typed beside the range is part of how the target reads, as it will be stored.
    ranged.get_by_label("Caveat").fill("only on NVR models")
    expect(ranged.locator(".range-check")).to_contain_text(
        "Read as ≥ 5 and < 5.7.3 — condition: only on NVR models"
    )
    ranged.get_by_label("Version range").fill("<V5.7.3_with_the_cloud_module")
    expect(ranged.locator(".range-check")).to_contain_text(
        "Read as < 5.7.3 — condition: with the cloud module; only on NVR models"
    )
    ranged.get_by_label("Version range").fill("up to 5.7")
    expect(ranged.locator(".check-error")).to_be_visible()
    ranged.get_by_label("Remove").check()
    expect(page.get_by_test_id("preview-organizations")).to_have_text("2")
    screenshot(page, "07-editor")

    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url("**/advisories/*/")
    assert "Draft BSI-2026-0001 saved." in page.get_by_role("status").inner_text()
    advisory = Advisory.objects.get(identifier="BSI-2026-0001")
    assert [t.vendor.name for t in advisory.targets.all()] == ["Hikvision"]

    page.get_by_role("link", name="Publish…").click()
    assert "Hikvision" in page.get_by_role("main").inner_text()
    expect(page.get_by_test_id("preview-organizations")).to_have_text("2")
    screenshot(page, "08-publish-confirmation")
    page.get_by_role("button", name="Publish now").click()
    page.wait_for_url(f"**/advisories/{advisory.pk}/")
    assert "is published" in page.get_by_role("status").inner_text()
    advisory.refresh_from_db()
    assert advisory.status == "published"

    # The matcher ran (eagerly, as `make test` configures Celery): the flags are there.
    page.reload()
    expect(page.get_by_test_id("impact-organizations")).to_have_text("2")
    expect(page.get_by_test_id("impact-items")).to_have_text("4")
    impact = page.get_by_role("region", name="Impact").inner_text()
    assert "Klinikum Lindenau" in impact and "Wasserverband Ost" in impact
    screenshot(page, "09-published-advisory")
