"""In a real browser: an analyst opens a replacement campaign from the advisory and reads its
dashboard; an organization's owner writes the plan and attests a milestone with evidence; the
analyst returns the attestation with a reason, which the owner then reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign
from tests.browser.conftest import screenshot, sign_in
from tests.campaigns.conftest import World, run_on_commit, world  # noqa: F401
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def evidence_root(settings: Any, tmp_path: Path) -> Path:
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {**settings.STORAGES["evidence"], "OPTIONS": {"location": tmp_path}},
    }
    return tmp_path


def test_a_campaign_from_opening_to_review(page: Any, world: World) -> None:  # noqa: F811
    # The analyst opens the campaign from the advisory's page.
    sign_in(page, "cert-analyst", TEST_PASSWORD)
    page.goto(world.advisory.get_absolute_url())
    page.get_by_role("link", name="Open a replacement campaign").click()
    page.get_by_label("Suggested replacements").select_option(label=str(world.defender))
    page.get_by_role("button", name="Open the campaign").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Replace: ")
    campaign = Campaign.objects.get()

    # Its dashboard: the burn-down, and both organizations late on "identify" (D+30 of a
    # 40-day-old advisory), the one with more days late first.
    expect(page.get_by_test_id("campaign-at-start")).to_have_text("5")
    expect(page.get_by_test_id("burndown")).to_be_visible()
    rows = page.get_by_test_id("campaign-organizations-table").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Late")
    screenshot(page, "campaign-dashboard")
    page.get_by_role("button", name="Sign out").click()

    # The owner of Stadtwerke Alpha finds the campaign on the organization's page.
    sign_in(page, "owner-a", TEST_PASSWORD)
    page.goto(world.tenants.org_a.get_absolute_url())
    page.get_by_role("link", name=campaign.title).click()
    expect(page.get_by_test_id("plan-at-start")).to_have_text("3")
    page.get_by_text("Edit the plan").click()
    page.get_by_label("Replacement product").select_option(label=str(world.defender))
    page.get_by_label("Responsible person").fill("Ada Lovelace")
    page.get_by_role("button", name="Save the plan").click()
    expect(page.get_by_test_id("plan-responsible")).to_have_text("Ada Lovelace")

    identify = page.get_by_test_id("milestone-identify")
    identify.get_by_text("Attest this milestone").click()
    identify.get_by_label("Statement").fill("Three Kaspersky clients found at the plant.")
    identify.get_by_label("Evidence").set_input_files(
        [{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7 scan"}]
    )
    identify.get_by_role("button", name="Attest").click()
    expect(page.get_by_test_id("milestone-identify")).to_contain_text("Awaiting review")
    expect(page.get_by_role("link", name="scan.pdf")).to_be_visible()
    screenshot(page, "campaign-plan")
    page.get_by_role("button", name="Sign out").click()

    # The analyst returns it with a reason; the owner reads it.
    sign_in(page, "cert-analyst", TEST_PASSWORD)
    page.goto(campaign.get_absolute_url())
    page.get_by_role("link", name="Stadtwerke Alpha").click()
    identify = page.get_by_test_id("milestone-identify")
    identify.get_by_role("radio", name="Return").check()
    identify.get_by_label("Reason (to return it)").fill("Attach the scan report of every site.")
    identify.get_by_role("button", name="Save the review").click()
    expect(page.get_by_test_id("review-reason")).to_have_text(
        "Attach the scan report of every site."
    )
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "owner-a", TEST_PASSWORD)
    page.goto(campaign.get_absolute_url())
    expect(page.get_by_test_id("campaign-organizations-table")).not_to_contain_text("Klinikum Beta")
    page.get_by_role("link", name="Stadtwerke Alpha").click()
    expect(page.get_by_test_id("review-reason")).to_have_text(
        "Attach the scan report of every site."
    )
    expect(
        page.get_by_test_id("milestone-identify").get_by_text("Attest this milestone")
    ).to_be_visible()
