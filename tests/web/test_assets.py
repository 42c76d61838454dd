"""The asset behind every flag: its reference, hostname, site, environment, criticality and
quantity on the flag list and page, in the export and the search; the affected-assets list (one
row per item, the most urgent first, the advisories named) with one triage of all an item's
flags; and the item's page with its flags and their history. All of it scoped to the
organizations the user may see."""

import io
import random
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

import exposure.selectors
from advisories.choices import Severity
from exposure.models import Flag, FlagEvent
from exposure.selectors import AssetRows
from tests.factories import InventoryItemFactory, PublishedAdvisoryFactory
from tests.web.conftest import flag_for

pytestmark = pytest.mark.django_db

FLAGS = reverse("exposure:flag_list")
ASSETS = reverse("exposure:asset_list")
BULK = reverse("exposure:flag_bulk")


def _item_url(item) -> str:
    return reverse("orgs:item_detail", kwargs={"slug": item.organization.slug, "pk": item.pk})


@pytest.fixture
def hosts(world):
    """Two installs of one product in organization A, told apart only by where they run."""
    for item, host, site, ref in ((world.item_a, "ws-leit-01", "Leitwarte Nord", "CMDB-0001"),):
        item.hostname, item.site, item.external_ref = host, site, ref
        item.quantity = 12
        item.save()
    second = InventoryItemFactory(
        organization=world.tenants.org_a,
        product=world.product,
        version="21.3",
        hostname="srv-backup-02",
        site="Rechenzentrum Süd",
        external_ref="CMDB-0002",
        environment="staging",
        criticality="high",
    )
    critical = PublishedAdvisoryFactory(identifier="CVE-2024-3400", severity=Severity.CRITICAL)
    return {
        "second": second,
        "second_warning": flag_for(world.warning, second, priority=40),
        "second_critical": flag_for(critical, second, priority=95),
    }


def test_flag_list_tells_installs_of_one_product_apart(client, world, hosts):
    client.force_login(world.tenants.viewer)
    body = client.get(FLAGS).content.decode()
    for text in ("CMDB-0001", "ws-leit-01", "Leitwarte Nord", "× 12", "srv-backup-02", "Staging"):
        assert text in body
    assert _item_url(hosts["second"]) in body


@pytest.mark.parametrize("query", ["srv-backup", "Rechenzentrum", "cmdb-0002"])
def test_flag_search_finds_the_asset_by_hostname_site_and_reference(client, world, hosts, query):
    client.force_login(world.tenants.viewer)
    response = client.get(FLAGS, {"q": query})
    listed = {flag.pk for flag in response.context["page"].object_list}
    assert listed == {hosts["second_warning"].pk, hosts["second_critical"].pk}


def test_flag_page_shows_the_asset(client, world, hosts):
    client.force_login(world.tenants.viewer)
    body = client.get(hosts["second_critical"].get_absolute_url()).content.decode()
    assert "srv-backup-02" in body and "Rechenzentrum Süd" in body and "CMDB-0002" in body
    assert "high criticality" in body
    assert _item_url(hosts["second"]) in body


def test_csv_export_has_the_asset_columns(client, world, hosts):
    client.force_login(world.tenants.viewer)
    response = client.get(FLAGS, {"format": "csv", "q": "srv-backup"})
    lines = b"".join(response.streaming_content).decode().strip().splitlines()
    header = lines[0].split(",")
    for column in ("reference", "hostname", "site", "environment", "criticality", "quantity"):
        assert column in header
    row = dict(zip(header, lines[1].split(","), strict=True))
    assert row["hostname"] == "srv-backup-02" and row["site"] == "Rechenzentrum Süd"
    assert row["environment"] == "staging" and row["quantity"] == "1"


def test_xlsx_export_has_the_csvs_columns_and_rows_of_the_filtered_list(client, world, hosts):
    client.force_login(world.tenants.viewer)
    response = client.get(FLAGS, {"format": "xlsx", "q": "srv-backup", "sort": "-priority"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    csv = client.get(FLAGS, {"format": "csv", "q": "srv-backup", "sort": "-priority"})
    assert header == b"".join(csv.streaming_content).decode().splitlines()[0].split(",")
    shown = [dict(zip(header, row, strict=True)) for row in rows]
    assert [row["flag_id"] for row in shown] == [
        hosts["second_critical"].pk,
        hosts["second_warning"].pk,
    ]
    assert shown[0]["hostname"] == "srv-backup-02" and shown[0]["quantity"] == 1


def test_an_xlsx_export_over_the_limit_leads_back_to_the_list_saying_why(
    client, world, hosts, monkeypatch
):
    monkeypatch.setattr("exposure.export.XLSX_MAX_ROWS", 1)
    client.force_login(world.tenants.viewer)
    response = client.get(FLAGS, {"format": "xlsx", "q": "srv-backup"}, follow=True)
    assert response.redirect_chain == [(f"{FLAGS}?q=srv-backup", 302)]
    assert "narrow the list with a filter first" in response.content.decode()


def test_inventory_search_finds_hostname_and_site(client, world, hosts):
    client.force_login(world.tenants.viewer)
    url = reverse("orgs:inventory_list", kwargs={"slug": world.tenants.org_a.slug})
    response = client.get(url, {"q": "Leitwarte"})
    assert [item.pk for item in response.context["page"].object_list] == [world.item_a.pk]


def test_assets_list_one_row_per_item_most_urgent_first(client, world, hosts):
    client.force_login(world.tenants.viewer)
    response = client.get(ASSETS)
    rows = response.context["page"].object_list
    # Organization B's item is not the viewer's to see.
    assert [row.item.pk for row in rows] == [hosts["second"].pk, world.item_a.pk]
    first = rows[0]
    assert first.flag_count == 2 and first.top_priority == 95
    assert [flag.advisory.identifier for flag in first.flags] == ["CVE-2024-3400", "BSI-2022-0315"]
    body = response.content.decode()
    assert "CVE-2024-3400" in body and "Klinikum Beta" not in body


def test_assets_list_takes_the_flag_filters(client, world, hosts):
    client.force_login(world.tenants.viewer)
    rows = client.get(ASSETS, {"severity": "critical"}).context["page"].object_list
    assert [(row.item.pk, row.flag_count) for row in rows] == [(hosts["second"].pk, 1)]
    Flag.objects.filter(pk=hosts["second_critical"].pk).update(status="mitigated")
    rows = client.get(ASSETS).context["page"].object_list
    # Its warning (priority 40) still outranks item A's (priority 0).
    assert [(row.item.pk, row.flag_count, row.top_priority) for row in rows] == [
        (hosts["second"].pk, 1, 40),
        (world.item_a.pk, 1, 0),
    ]


def test_analyst_triages_all_flags_of_an_item_at_once(client, world, hosts):
    client.force_login(world.tenants.analyst)
    response = client.post(
        BULK, {"items": [hosts["second"].pk], "action": "acknowledged", "next": ASSETS}
    )
    assert response.status_code == 302 and response.url == ASSETS
    statuses = set(
        Flag.objects.filter(item=hosts["second"]).values_list("status", flat=True).distinct()
    )
    assert statuses == {"acknowledged"}
    assert Flag.objects.get(pk=world.flag_a.pk).status == "open"
    assert (
        FlagEvent.objects.filter(flag__item=hosts["second"], actor=world.tenants.analyst).count()
        == 2
    )


def test_item_triage_does_not_reach_another_organization(client, world, hosts):
    client.force_login(world.tenants.analyst)
    response = client.post(
        BULK, {"items": [world.item_b.pk], "action": "acknowledged", "next": ASSETS}, follow=True
    )
    assert Flag.objects.get(pk=world.flag_b.pk).status == "open"
    assert "no open or acknowledged flags" in response.content.decode()


def test_viewer_cannot_triage_an_items_flags(client, world, hosts):
    client.force_login(world.tenants.viewer)
    client.post(BULK, {"items": [hosts["second"].pk], "action": "acknowledged", "next": ASSETS})
    assert not Flag.objects.filter(item=hosts["second"], status="acknowledged").exists()


def test_item_page_lists_its_flags_and_their_history(client, world, hosts):
    FlagEvent.objects.create(
        flag=hosts["second_critical"], actor=world.tenants.analyst, kind="commented", note="On it"
    )
    client.force_login(world.tenants.viewer)
    response = client.get(_item_url(hosts["second"]))
    assert response.status_code == 200
    assert [flag.pk for flag in response.context["flags"]] == [
        hosts["second_critical"].pk,
        hosts["second_warning"].pk,
    ]
    body = response.content.decode()
    assert "srv-backup-02" in body and "On it" in body
    # A viewer reads; the triage form is for analysts.
    assert 'name="items"' not in body
    client.force_login(world.tenants.analyst)
    assert 'name="items"' in client.get(_item_url(hosts["second"])).content.decode()


def test_item_page_of_another_organization_is_404(client, world, hosts):
    client.force_login(world.tenants.outsider)
    assert client.get(_item_url(hosts["second"])).status_code == 404
    # Nor can the item be reached through the outsider's own organization's address.
    url = reverse(
        "orgs:item_detail", kwargs={"slug": world.tenants.org_b.slug, "pk": hosts["second"].pk}
    )
    assert client.get(url).status_code == 404


def test_overview_overdue_rows_show_the_asset(client, world, hosts):
    Flag.objects.filter(pk=hosts["second_critical"].pk).update(
        due_date=timezone.localdate() - timedelta(days=3)
    )
    client.force_login(world.tenants.viewer)
    body = client.get(reverse("home")).content.decode()
    assert "srv-backup-02" in body and "ws-leit-01" in body


@pytest.mark.parametrize("named", [5000, 1], ids=["candidates named", "candidates too many"])
@pytest.mark.parametrize("crowded", [False, True], ids=["spread", "crowded on few items"])
def test_asset_pages_follow_the_full_grouping_whether_or_not_the_candidates_suffice(
    world, crowded, named, monkeypatch
):
    """A page is aggregated over the items with a flag as urgent as the page's last flag by
    priority; when flags crowd on few items there are too few of those and all are grouped.
    Either way every slice is the items in the order of their top priority, then next due
    date, then id, with their flag counts, whether the candidates are few enough to be named
    one by one or are left to a subquery."""
    monkeypatch.setattr(exposure.selectors, "_CANDIDATES_NAMED", named)
    rng = random.Random(20)
    advisories = [PublishedAdvisoryFactory() for _ in range(6)]
    today = timezone.localdate()
    items = [
        InventoryItemFactory(organization=world.tenants.org_a, product=world.product)
        for _ in range(12)
    ]
    for n, item in enumerate(items):
        # Crowded: the most urgent flags all sit on the first two items.
        count = 6 if crowded and n < 2 else rng.randint(1, 3)
        for advisory in rng.sample(advisories, count):
            flag_for(
                advisory,
                item,
                priority=90 + rng.randint(0, 5) if crowded and n < 2 else rng.randint(10, 40),
                due_date=rng.choice([None, today + timedelta(days=rng.randint(-5, 5))]),
            )
    flags = Flag.objects.visible_to(world.tenants.viewer).filter(item__in=items)
    expected = sorted(
        (
            -max(f.priority for f in item.flags.all()),
            min((f.due_date for f in item.flags.all() if f.due_date), default=date.max),
            item.pk,
            item.flags.count(),
        )
        for item in items
    )
    rows = AssetRows(flags, user=world.tenants.viewer)
    assert len(rows) == len(items)
    for start, stop in ((0, 3), (0, 5), (3, 7), (5, 12), (10, 20)):
        assert [
            (-r.top_priority, r.next_due or date.max, r.item.pk, r.flag_count)
            for r in rows[start:stop]
        ] == expected[start:stop]


def test_an_asset_page_of_flags_that_went_away_since_the_count_is_empty_not_an_error(world):
    rows = AssetRows(Flag.objects.visible_to(world.tenants.viewer), user=world.tenants.viewer)
    counted = len(rows)
    assert counted >= 1
    Flag.objects.all().delete()
    assert rows[0:counted] == []


def test_the_row_checkboxes_name_the_asset_so_screen_readers_tell_installs_apart(
    client, world, hosts
):
    client.force_login(world.tenants.analyst)
    flags = client.get(FLAGS, {"q": "srv-backup"}).content.decode()
    labels = re.findall(r'name="flags" value="\d+" aria-label="([^"]+)"', flags)
    assert len(labels) == 2
    assert all("CMDB-0002, srv-backup-02, Rechenzentrum Süd, Staging" in label for label in labels)
    assets = client.get(ASSETS).content.decode()
    labels = re.findall(r'name="items" value="\d+" aria-label="([^"]+)"', assets)
    assert any("ws-leit-01" in label for label in labels)
    assert any("srv-backup-02" in label for label in labels)
