"""In a real browser, as an advisory editor: the impact preview and Save stay in the viewport
while the last target is edited, the preview follows typing (not leaving a field) and agrees
with the range check, a look-alike is named before saving, and long words wrap."""

import pytest
from playwright.sync_api import expect

from advisories.choices import TargetKind
from advisories.models import AffectedTarget
from advisories.services import advisory_publish
from tests.browser.conftest import screenshot, sign_in
from tests.factories import (
    TEST_PASSWORD,
    AdvisoryFactory,
    InventoryItemFactory,
    OrganizationFactory,
    ProductFactory,
    SourceFactory,
    UserFactory,
    VendorFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def editing_world():
    """A draft with eight ranged targets (a long form), Kaspersky 21.x in two organizations,
    and a published warning that covers the same vendor."""
    source = SourceFactory(name="BSI", slug="bsi")
    kaspersky = VendorFactory(name="Kaspersky", slug="kaspersky", country="RU")
    endpoint = ProductFactory(vendor=kaspersky, name="Endpoint Security", slug="endpoint-security")
    for name, version in (("Stadtwerke Nordhafen", "21.3"), ("Klinikum Lindenau", "11.0")):
        InventoryItemFactory(
            organization=OrganizationFactory(name=name), product=endpoint, version=version
        )
    warning = AdvisoryFactory(
        source=source, identifier="BSI-2022-0315", title="Replace Kaspersky antivirus products"
    )
    AffectedTarget.objects.create(advisory=warning, kind=TargetKind.VENDOR, vendor=kaspersky)
    advisory_publish(advisory=warning)
    draft = AdvisoryFactory(source=source, identifier="BSI-2026-0100", title="Kaspersky ranges")
    for major in range(1, 9):
        AffectedTarget.objects.create(
            advisory=draft,
            kind=TargetKind.PRODUCT_RANGE,
            product=endpoint,
            version_range=f"vers:generic/>={major}.0|<{major}.5",
        )
    UserFactory(username="editor", is_advisory_editor=True)
    return {"draft": draft, "warning": warning}


def _in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    width = page.viewport_size["width"]
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= height
        and box["x"] >= 0
        and box["x"] + box["width"] <= width
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_preview_and_save_stay_in_view_while_the_last_target_is_edited(page, editing_world, width):
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, "editor", TEST_PASSWORD)
    page.goto(f"/advisories/{editing_world['draft'].pk}/edit/")
    expect(page.get_by_test_id("preview-organizations")).to_have_text("0")
    last = page.locator("[data-target-row]").last
    last.get_by_label("Version range").scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 500  # the form is longer than the viewport
    save = page.get_by_role("button", name="Save", exact=True)
    assert _in_viewport(page, save)
    assert _in_viewport(page, page.get_by_role("heading", name="Impact preview"))
    assert _in_viewport(page, last.get_by_label("Version range"))

    # Typing, without leaving the field, refreshes the preview after a pause; it reads the
    # range as the live check does.
    last.get_by_label("Version range").fill("vers:generic/>=21.0|<21.4")
    expect(last.locator(".range-check")).to_contain_text("Read as ≥ 21 and < 21.4")
    expect(page.get_by_test_id("preview-organizations")).to_have_text("1")
    last.get_by_label("Version range").fill("up to 21")
    expect(last.locator(".check-error")).to_be_visible()
    expect(page.locator("#impact-preview")).to_contain_text("1 target cannot be read")
    expect(page.get_by_test_id("preview-organizations")).to_have_text("0")
    assert _in_viewport(page, save)
    screenshot(page, f"editor-last-target-{width}")


def test_a_lookalike_is_named_with_a_link_before_saving(page, editing_world):
    sign_in(page, "editor", TEST_PASSWORD)
    page.goto("/advisories/new/")
    page.locator("#id_source").select_option(label="BSI")
    page.get_by_label("Identifier").fill("BSI-2026-0200")
    page.locator("#id_title").fill("Kaspersky again")
    page.locator("#id_kind").select_option("vendor_warning")
    page.get_by_role("button", name="+ Add a target").click()
    row = page.locator("[data-target-row]").last
    row.get_by_label("Kind").select_option("vendor")
    row.get_by_label("Vendor", exact=True).fill("kasp")
    row.get_by_role("button", name="Kaspersky").click()
    warning = page.get_by_test_id("duplicates")
    expect(warning).to_contain_text("a target on the same vendor (Kaspersky)")
    warning.get_by_role("link", name="BSI-2022-0315 Replace Kaspersky antivirus products").click()
    page.wait_for_url(f"**/advisories/{editing_world['warning'].pk}/")


def test_a_long_unbroken_title_wraps_and_a_pasted_long_one_is_not_cut(page, editing_world):
    draft = editing_world["draft"]
    draft.title = "Kaspersky" + "X" * 280
    draft.save()
    sign_in(page, "editor", TEST_PASSWORD)
    for url in (f"/advisories/{draft.pk}/", "/advisories/"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280, url
    page.goto(f"/advisories/{draft.pk}/edit/")
    page.locator("#id_title").fill("Y" * 5000)
    # Nothing cut on the way: the server refuses it with a field error (tests/web).
    assert len(page.locator("#id_title").input_value()) == 5000
