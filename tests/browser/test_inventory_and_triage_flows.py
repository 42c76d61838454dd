"""In a real browser: organization members upload inventories and triage their flags, an
editor's warning reaches a member's triage list, an editor reconciles an unknown name, and a
member of one organization finds nothing of another. Screenshots of these pages go to
var/screenshots/ for review."""

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from celery import Celery
from celery import _state as celery_state
from django.utils import timezone
from playwright.sync_api import expect

from advisories.choices import TargetKind
from advisories.models import AffectedTarget
from advisories.services import advisory_publish
from exposure.models import Flag
from orgs.choices import Role
from orgs.models import InventoryItem
from tests.browser.conftest import screenshot, sign_in
from tests.factories import (
    TEST_PASSWORD,
    AdvisoryFactory,
    InventoryItemFactory,
    MembershipFactory,
    OrganizationFactory,
    ProductFactory,
    SourceFactory,
    UserFactory,
    VendorFactory,
)

# The import test's fixtures: a Redis server and a real Celery worker process of the test's own.
from tests.orgs.test_importers_worker import broker, worker  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UPLOAD = (
    "vendor;product;version;quantity;environment;criticality\n"
    "Kaspersky;Endpoint Security;21.4;12;production;high\n"
    "Kaspersky;Endpoint Security;11.1;3;staging;medium\n"
    "Hikvision;DS-2CD2 camera;5.7;8;production;low\n"
    "Unlisted Tools Ltd;Tool 5;1.0;1;test;low\n"
)
# Rows of the large upload, beyond the four of UPLOAD: enough for the worker to report progress.
UPLOAD_ROWS = 20_000
BAD_UPLOAD = (
    "vendor,product,version,quantity\n"
    "Kaspersky,Endpoint Security,21.4,12\n"
    "Kaspersky,Endpoint Security,11.1,many\n"
    ",,2.0,1\n"
)


@pytest.fixture
def world():
    """Two organizations running Kaspersky, flagged by the BSI warning through the real
    matcher; Hikvision cameras in both, covered by a draft; a misspelled vendor waiting for
    reconciliation; an analyst member in each organization and an editor."""
    bsi = SourceFactory(name="BSI", slug="bsi")
    kaspersky = VendorFactory(name="Kaspersky", slug="kaspersky", country="RU")
    endpoint = ProductFactory(
        vendor=kaspersky,
        name="Endpoint Security",
        slug="endpoint-security",
        deep_system_access=True,
    )
    hikvision = VendorFactory(name="Hikvision", slug="hikvision", country="CN")
    camera = ProductFactory(vendor=hikvision, name="DS-2CD2 camera", slug="ds-2cd2")
    nordhafen = OrganizationFactory(name="Stadtwerke Nordhafen", slug="stadtwerke-nordhafen")
    lindenau = OrganizationFactory(name="Klinikum Lindenau", slug="klinikum-lindenau")
    for n, organization in enumerate((nordhafen, lindenau)):
        for minor in range(3 - n):
            InventoryItemFactory(organization=organization, product=endpoint, version=f"21.{minor}")
        InventoryItemFactory(organization=organization, product=camera, version="5.6")
    for version in ("11.0", "11.1"):
        InventoryItemFactory(
            organization=nordhafen,
            product=None,
            raw_vendor="Kasperski",
            raw_product="KES",
            version=version,
        )
    warning = AdvisoryFactory(
        source=bsi,
        identifier="BSI-2022-0315",
        title="Replace Kaspersky antivirus products",
        kind="vendor_warning",
        severity="high",
        recommended_action="replace",
        action_deadline=timezone.localdate() + timedelta(days=20),
    )
    AffectedTarget.objects.create(advisory=warning, kind=TargetKind.VENDOR, vendor=kaspersky)
    advisory_publish(advisory=warning)
    # One flag is past its due date, so that the list has an overdue row to highlight.
    first = Flag.objects.filter(advisory=warning, organization=nordhafen).order_by("pk").first()
    Flag.objects.filter(pk=first.pk).update(due_date=timezone.localdate() - timedelta(days=3))
    draft = AdvisoryFactory(
        source=bsi,
        identifier="BSI-2026-0001",
        title="Replace Hikvision cameras in critical infrastructure",
        kind="vendor_warning",
        severity="critical",
    )
    AffectedTarget.objects.create(advisory=draft, kind=TargetKind.VENDOR, vendor=hikvision)
    anna = UserFactory(username="anna", first_name="Anna", last_name="Albers")
    bert = UserFactory(username="bert", first_name="Bert", last_name="Brandt")
    MembershipFactory(user=anna, organization=nordhafen, role=Role.ANALYST)
    MembershipFactory(user=bert, organization=lindenau, role=Role.ANALYST)
    UserFactory(username="editor", is_advisory_editor=True)
    return {
        "warning": warning,
        "draft": draft,
        "nordhafen": nordhafen,
        "lindenau": lindenau,
        "endpoint": endpoint,
    }


@pytest.fixture
def publishing_from_every_thread(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Tasks go to the worker's broker instead of running in-process, from every thread.

    The live server answers requests in a thread of its own, and Celery's current app is
    per thread, so the app that publishes is made the default app as well. Celery reads
    ``CELERY_BROKER_URL`` from the environment before its configuration.
    """
    url = request.getfixturevalue("broker")
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    previous_default, previous_current = celery_state.default_app, celery_state.get_current_app()
    app = Celery("vendorwatch-browser-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=url, task_always_eager=False)
    app.set_default()
    app.set_current()
    try:
        yield
    finally:
        celery_state.set_default_app(previous_default)
        previous_current.set_current()
        app.close()


def open_flags(organization) -> int:
    return Flag.objects.filter(organization=organization, status="open").count()


def large_inventory(rows: int) -> str:
    """A CMDB export: two Kaspersky installations the BSI warning flags, and many tools the
    catalogue does not know."""
    lines = [UPLOAD.rstrip("\n")]
    lines += [f"Tools Vendor {n % 40};Tool {n % 400};1.{n % 20};1;test;low" for n in range(rows)]
    return "\n".join(lines) + "\n"


@pytest.mark.worker
def test_member_uploads_a_csv_sees_progress_then_the_new_flags(
    page, world, settings, tmp_path, request
):
    # From here on tasks go to a real Celery worker (the world was matched in-process). A file
    # of more rows than this is queued for it: the page shows the job's progress and polls it
    # while the worker validates and applies it.
    request.getfixturevalue("worker")
    request.getfixturevalue("publishing_from_every_thread")
    settings.INVENTORY_IMPORT_ASYNC_ROWS = 1_000
    nordhafen = world["nordhafen"]
    assert open_flags(nordhafen) == 3
    sign_in(page, "anna", TEST_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Organizations").click()
    page.get_by_role("link", name="Stadtwerke Nordhafen").click()
    expect(page.get_by_test_id("org-open-flags")).to_have_text("3")
    screenshot(page, "11-organization")

    page.get_by_role("link", name="Upload a file").click()
    csv_file = tmp_path / "nordhafen-cmdb.csv"
    csv_file.write_text(large_inventory(UPLOAD_ROWS), encoding="utf-8")
    page.get_by_label("Inventory file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload and import").click()
    progress = page.get_by_role("progressbar", name="Import progress")
    expect(progress).to_be_visible()
    expect(progress).to_have_attribute("max", str(UPLOAD_ROWS + 4))
    expect(page.get_by_test_id("import-running")).to_contain_text(f"{UPLOAD_ROWS + 4:,} rows")
    screenshot(page, "12-upload-progress")
    done = page.get_by_test_id("import-done")
    expect(done).to_contain_text(f"{UPLOAD_ROWS + 4:,} items added", timeout=90_000)
    expect(progress).to_have_count(0)
    screenshot(page, "13-upload-done")

    # The worker matches the new items right after storing them.
    deadline = time.monotonic() + 60
    while open_flags(nordhafen) < 5 and time.monotonic() < deadline:
        time.sleep(0.2)
    done.get_by_role("link", name="See the flags").click()
    rows = page.locator("table.flags tbody tr")
    expect(rows).to_have_count(5)  # the three open flags, and the two new Kaspersky items
    assert "Endpoint Security 21.4" in page.locator("table.flags").inner_text()
    expect(page.locator("tr.row-overdue")).to_have_count(1)
    screenshot(page, "14-flag-list")


def test_bad_csv_shows_line_numbered_errors_and_changes_nothing(page, world, tmp_path):
    nordhafen = world["nordhafen"]
    before = InventoryItem.objects.filter(organization=nordhafen).count()
    sign_in(page, "anna", TEST_PASSWORD)
    page.goto(f"/organizations/{nordhafen.slug}/inventory/import/")
    bad = tmp_path / "broken.csv"
    bad.write_text(BAD_UPLOAD, encoding="utf-8")
    page.get_by_label("Inventory file").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and import").click()
    report = page.get_by_role("alert")
    expect(report).to_contain_text("Nothing was imported: the file has 2 errors")
    table = page.get_by_role("table", name="Errors in the file")
    expect(table.get_by_role("row")).to_have_count(3)
    expect(table).to_contain_text("line 3, quantity")
    expect(table).to_contain_text("line 4")
    screenshot(page, "15-upload-errors")
    assert InventoryItem.objects.filter(organization=nordhafen).count() == before


def test_member_of_one_organization_gets_404_on_anothers_pages(page, world):
    lindenau = world["lindenau"]
    foreign_flag = Flag.objects.filter(organization=lindenau).first()
    foreign_item = InventoryItem.objects.filter(organization=lindenau).first()
    sign_in(page, "anna", TEST_PASSWORD)
    for path in (
        f"/organizations/{lindenau.slug}/",
        f"/organizations/{lindenau.slug}/inventory/",
        f"/organizations/{lindenau.slug}/inventory/import/",
        f"/organizations/{lindenau.slug}/inventory/{foreign_item.pk}/edit/",
        f"/flags/{foreign_flag.pk}/",
    ):
        response = page.context.request.get(path)
        assert response.status == 404, path
        assert "Klinikum Lindenau" not in response.text()
    page.goto("/organizations/")
    expect(page.get_by_role("link", name="Stadtwerke Nordhafen")).to_be_visible()
    assert "Klinikum Lindenau" not in page.get_by_role("main").inner_text()
    page.goto("/flags/")
    assert "Klinikum Lindenau" not in page.get_by_role("main").inner_text()


def test_editors_warning_reaches_a_members_triage_list(page, world):
    lindenau = world["lindenau"]
    sign_in(page, "editor", TEST_PASSWORD)
    page.goto(f"/advisories/{world['draft'].pk}/publish/")
    expect(page.get_by_test_id("preview-organizations")).to_have_text("2")
    page.get_by_role("button", name="Publish now").click()
    expect(page.get_by_role("status")).to_contain_text("is published")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "bert", TEST_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Flags", exact=True
    ).click()
    table = page.locator("table.flags")
    expect(table).to_contain_text("BSI-2026-0001")
    critical = page.locator("table.flags tbody tr").filter(has_text="BSI-2026-0001")
    expect(critical).to_have_count(1)  # Lindenau's one camera
    expect(page.locator("table.flags tbody tr").first).to_contain_text("BSI-2026-0001")
    assert "Stadtwerke Nordhafen" not in table.inner_text()

    # Bulk: select every flag on the page and acknowledge them.
    page.get_by_label("Select every flag on this page").check()
    expect(page.get_by_text("3 selected")).to_be_visible()
    page.get_by_label("With the selected flags").select_option("acknowledged")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status")).to_contain_text("3 flags now acknowledged")
    assert not Flag.objects.filter(organization=lindenau, status="open").exists()
    screenshot(page, "16-member-triage-list")


def test_member_acknowledges_then_accepts_the_risk_and_sees_the_history(page, world):
    sign_in(page, "anna", TEST_PASSWORD)
    page.goto("/flags/")
    page.locator("table.flags tbody tr").first.get_by_role("link", name="BSI-2022-0315").click()
    expect(page.get_by_test_id("flag-status")).to_have_text("Open")
    expect(page.get_by_label("Risk accepted until")).to_be_hidden()
    page.get_by_label("New status").select_option(label="Acknowledge")
    page.get_by_role("button", name="Change the status").click()
    expect(page.get_by_test_id("flag-status")).to_have_text("Acknowledged")

    page.get_by_label("New status").select_option(label="Accept the risk")
    expiry = page.get_by_label("Risk accepted until")
    expect(expiry).to_be_visible()
    until = timezone.localdate() + timedelta(days=90)
    page.get_by_label("Reason").fill("Replacement ordered; the old version stays offline until Q3.")
    expiry.fill(until.isoformat())
    page.get_by_role("button", name="Change the status").click()
    expect(page.get_by_test_id("flag-status")).to_have_text("Risk accepted")
    page.get_by_label("Comment").fill("Checked with the plant's OT team.")
    page.get_by_role("button", name="Add the comment").click()

    history = page.get_by_role("region", name="History")
    expect(history).to_contain_text("flagged the item")
    expect(history).to_contain_text("moved it from open to acknowledged")
    expect(history).to_contain_text("moved it from acknowledged to risk accepted")
    expect(history).to_contain_text("Replacement ordered")
    expect(history).to_contain_text("Checked with the plant's OT team.")
    expect(page.get_by_role("note")).to_contain_text(f"Risk accepted until {until:%-d %b %Y}")
    screenshot(page, "17-flag-detail")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/flags/")
    expect(page.get_by_role("heading", name="Flags", exact=True)).to_be_visible()
    screenshot(page, "22-flag-list-phone")


def test_editor_maps_an_unknown_name_and_its_items_are_flagged(page, world):
    nordhafen = world["nordhafen"]
    assert open_flags(nordhafen) == 3
    sign_in(page, "editor", TEST_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reconciliation").click()
    row = page.get_by_role("row").filter(has_text="Kasperski")
    expect(row.get_by_role("cell").nth(2)).to_have_text("2")
    row.get_by_role("searchbox").fill("endpoint")
    row.get_by_role("button", name="Kaspersky Endpoint Security").click()
    screenshot(page, "18-reconciliation")
    row.get_by_role("button", name="Map").click()
    expect(page.get_by_role("status")).to_contain_text("its items are resolved and matched")
    expect(page.get_by_role("row").filter(has_text="Kasperski")).to_have_count(0)
    assert open_flags(nordhafen) == 5

    page.goto(f"/organizations/{nordhafen.slug}/inventory/")
    screenshot(page, "19-inventory")
    page.goto("/organizations/")
    screenshot(page, "20-organization-list")
    page.goto("/accounts/tokens/")
    page.get_by_label("Name").fill("SIEM export")
    page.get_by_role("button", name="Issue the token").click()
    expect(page.locator("#issued-token")).to_contain_text("vw_")
    screenshot(page, "21-tokens")
