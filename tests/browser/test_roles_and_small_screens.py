"""In a real browser, as the role that uses each: the navigation offers what the role can use,
members read their SLA, notifications and own flags, the menu folds on a phone, wide tables
scroll under the keyboard, and forms posted with errors lead to each of them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from advisories.services import advisory_publish
from exposure.models import Flag
from tests.browser.conftest import screenshot, sign_in
from tests.factories import TEST_PASSWORD, AdvisoryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def nav_labels(page) -> list[str]:
    return [
        text.strip()
        for text in page.get_by_role("navigation", name="Main").locator("a").all_inner_texts()
    ]


def test_navigation_offers_each_role_what_it_can_use(page, axe_world):
    sign_in(page, "vera", TEST_PASSWORD)
    viewer = nav_labels(page)
    assert {"Overview", "Flags", "Organizations", "Advisories", "Notifications"} <= set(viewer)
    assert not {"My flags", "Reconciliation", "Audit"} & set(viewer)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "anna", TEST_PASSWORD)
    analyst = nav_labels(page)
    assert "My flags" in analyst and "Reconciliation" in analyst and "Audit" not in analyst
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "olga", TEST_PASSWORD)
    assert "Audit" in nav_labels(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.url.endswith("/audit/")


def test_viewer_reads_the_sla_and_notifications_and_gets_no_triage_controls(page, axe_world):
    nordhafen = axe_world["nordhafen"]
    nordhafen.sla_high_days = 21
    nordhafen.save(update_fields=["sla_high_days"])
    sign_in(page, "vera", TEST_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Notifications").click()
    expect(page.get_by_role("heading", name="Your notifications")).to_be_visible()
    sla = page.get_by_role("region", name="Your organizations' SLA")
    expect(sla).to_contain_text("Stadtwerke Nordhafen")
    expect(sla).to_contain_text("21 d")
    assert "Klinikum Lindenau" not in page.get_by_role("main").inner_text()
    # Read-only: nothing to change, no form.
    assert page.get_by_role("main").locator("form").count() == 0
    assert page.get_by_role("link", name="Change").count() == 0
    screenshot(page, "20-member-notifications")

    page.goto("/flags/")
    expect(page.get_by_role("link", name="BSI-2022-0315").first).to_be_visible()
    assert page.locator("input[name=flags], [data-select-all]").count() == 0
    assert page.get_by_role("button", name="Apply").count() == 0
    page.goto("/flags/assets/")
    expect(page.get_by_role("link", name="BSI-2022-0315").first).to_be_visible()
    assert page.locator("input[name=items], [data-select-all]").count() == 0
    assert page.get_by_role("button", name="Apply").count() == 0


def test_member_finds_their_own_and_overdue_flags(page, axe_world):
    sign_in(page, "anna", TEST_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My flags").click()
    expect(page.get_by_role("heading", name="My flags")).to_be_visible()
    mine = page.get_by_role("region", name="Assigned to you")
    expect(mine.get_by_role("row")).to_have_count(2)  # the header and the assigned flag
    expect(mine).to_contain_text(axe_world["flag"].item_label)
    overdue = page.get_by_role("region", name="Overdue, nobody assigned")
    expect(overdue).to_contain_text("overdue")
    overdue.get_by_role("link", name="BSI-2022-0315").click()
    assert page.url.endswith(axe_world["overdue"].get_absolute_url())
    screenshot(page, "21-my-flags")


def test_phone_menu_folds_behind_a_button(page, axe_world):
    page.set_viewport_size(PHONE)
    sign_in(page, "anna", TEST_PASSWORD)
    toggle = page.get_by_role("button", name="Menu")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    flags_link = page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Flags", exact=True
    )
    expect(flags_link).to_be_hidden()
    header = page.locator("header.topbar").bounding_box()
    assert header is not None and header["height"] < 70, header
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(flags_link).to_be_visible()
    screenshot(page, "22-phone-menu-open")
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(flags_link).to_be_hidden()

    page.set_viewport_size({"width": 1440, "height": 900})
    expect(toggle).to_be_hidden()
    expect(flags_link).to_be_visible()


def test_a_wide_table_scrolls_under_the_keyboard_with_a_visible_cue(page, axe_world):
    page.set_viewport_size(PHONE)
    sign_in(page, "anna", TEST_PASSWORD)
    page.goto("/flags/")
    region = page.locator(".table-scroll")
    expect(region).to_have_attribute("role", "region")
    expect(region).to_have_attribute("tabindex", "0")
    expect(region).to_have_attribute("aria-label", "Flags, 3 in all, scrolls sideways")
    # Reached with the keyboard from the control before it, it shows the focus outline.
    page.get_by_text("None selected").click()
    page.locator("#bulk-until, button:has-text('Apply')").last.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('table-scroll')")
    assert region.evaluate("box => getComputedStyle(box).outlineStyle") == "solid"
    for _ in range(20):
        page.keyboard.press("ArrowRight")
        if region.evaluate("box => box.scrollLeft") > 0:
            break
    assert region.evaluate("box => box.scrollLeft") > 0

    # A table that fits is no region and no stop on the way through the page.
    page.set_viewport_size({"width": 1440, "height": 900})
    expect(region).not_to_have_attribute("tabindex", "0")
    expect(region).not_to_have_attribute("role", "region")


def test_errors_are_summarised_focused_and_tied_to_their_fields(page, axe_world):
    flag = axe_world["overdue"]
    sign_in(page, "anna", TEST_PASSWORD)
    page.goto(flag.get_absolute_url())
    page.get_by_label("New status").select_option(label="Accept the risk")
    page.get_by_label("Risk accepted until").fill("2099-12-31")
    page.get_by_role("button", name="Change the status").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Reason: Say why.")
    # Every aria-describedby names elements that exist.
    missing = page.evaluate(
        """() => [...document.querySelectorAll('[aria-describedby]')].flatMap((el) =>
             el.getAttribute('aria-describedby').split(/\\s+/).filter((id) =>
               !document.getElementById(id)))"""
    )
    assert missing == []
    reason = page.get_by_label("Reason")
    expect(reason).to_have_attribute("aria-invalid", "true")
    summary.get_by_role("link", name="Reason: Say why.").click()
    expect(reason).to_be_focused()
    screenshot(page, "23-error-summary")

    # With a reason, the far-off expiry is the one error left: a year at most.
    reason.fill("Replacement ordered; the vendor is contracted until then.")
    page.get_by_role("button", name="Change the status").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Risk accepted until: A risk is accepted for at most a year")
    flag.refresh_from_db()
    assert flag.status == "open"


def test_a_refused_bulk_change_keeps_the_selection_and_says_why_once(page, axe_world):
    sign_in(page, "anna", TEST_PASSWORD)
    page.goto("/flags/")
    boxes = page.locator("input[name=flags]")
    expect(boxes).to_have_count(3)
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_label("With the selected flags").select_option(label="Mark as false positive")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    errors = page.locator(".message-error")
    expect(errors).to_have_count(1)
    text = errors.inner_text()
    assert text.count("Say why.") == 1 and text.startswith("Nothing was changed: Flags ")
    expect(boxes.nth(0)).to_be_checked()
    expect(boxes.nth(1)).to_be_checked()
    expect(boxes.nth(2)).not_to_be_checked()
    expect(page.get_by_label("With the selected flags")).to_have_value("false_positive")
    expect(page.get_by_text("2 selected")).to_be_visible()

    page.get_by_label("Reason").fill("Decommissioned last week.")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status")).to_contain_text("2 flags now false positive")
    assert Flag.objects.filter(status="false_positive").count() == 2


def test_a_refused_page_keeps_the_navigation(page, axe_world):
    sign_in(page, "anna", TEST_PASSWORD)
    response = page.goto("/advisories/new/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="You cannot do this here")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("advisory editors")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My flags").click()
    expect(page.get_by_role("heading", name="My flags")).to_be_visible()


def test_publish_confirmation_names_the_subsidiaries(page, axe_world):
    sign_in(page, "editor", TEST_PASSWORD)
    page.goto(f"/advisories/{axe_world['draft'].pk}/publish/")
    expect(page.get_by_role("main")).to_contain_text("Hikvision and its subsidiaries")


def test_last_30_days_go_by_the_issue_date(page, axe_world):
    # Entered and published today, but issued by its source more than a year ago: not news.
    old = AdvisoryFactory(
        source=axe_world["warning"].source,
        identifier="BSI-2024-0099",
        issued_on=timezone.localdate() - timedelta(days=400),
    )
    advisory_publish(advisory=old)
    sign_in(page, "anna", TEST_PASSWORD)
    recent = page.get_by_role("region", name="Advisories of the last 30 days")
    issued = axe_world["warning"].issued_on
    expect(recent).to_contain_text("BSI-2022-0315")
    expect(recent).to_contain_text(f"{issued.day} {issued:%b %Y}")
    assert "BSI-2024-0099" not in recent.inner_text()


def test_member_uploads_and_sees_the_flags_it_raised_and_every_upload_listed(
    page, axe_world, tmp_path
):
    good = tmp_path / "hosts.csv"
    good.write_text("vendor,product,version\nKaspersky,Endpoint Security,21.9\nAcme,Tool,1\n")
    unreadable = tmp_path / "notes.csv"
    unreadable.write_text("just one line\n")
    sign_in(page, "anna", TEST_PASSWORD)
    page.goto(f"/organizations/{axe_world['nordhafen'].slug}/inventory/import/")
    latest = page.get_by_role("region", name="Latest uploads")
    expect(latest).to_contain_text("No uploads yet.")

    page.get_by_label("Inventory file").set_input_files(str(good))
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_test_id("import-flags")).to_contain_text("1 new flag")
    # The list of uploads follows without reloading the page.
    expect(latest).to_contain_text("hosts.csv")

    page.get_by_label("Inventory file").set_input_files(str(unreadable))
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator("#import-status")).to_contain_text("Nothing was imported")
    expect(latest).to_contain_text("notes.csv")
    expect(latest.get_by_role("row")).to_have_count(3)
    expect(latest).to_contain_text("Failed")
    screenshot(page, "24-upload-refused-and-listed")
