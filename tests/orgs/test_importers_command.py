"""``manage.py import_inventory``: an admin imports a file from the server's shell."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEntry
from orgs.choices import ImportStatus, ItemSource
from orgs.models import ImportJob, InventoryItem
from tests.factories import InventoryItemFactory

pytestmark = pytest.mark.django_db

CYCLONEDX = Path(__file__).resolve().parent.parent / "fixtures" / "cyclonedx"
CSV = "vendor;product;version\nKaspersky;Endpoint Security;11.1\nHikvision;DS-2CD2043G2-I;5.7\n"


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_inventory", *args, stdout=out)
    return out.getvalue()


def test_command_imports_a_csv_file_into_the_organization(tenants, tmp_path):
    path = tmp_path / "inventory.csv"
    path.write_text(CSV)

    output = run("stadtwerke-alpha", str(path))

    assert output.strip() == "Imported 2 items into Stadtwerke Alpha."
    assert InventoryItem.objects.filter(organization=tenants.org_a, source="csv").count() == 2
    entry = AuditEntry.objects.get(action="inventory.import")
    assert (entry.via, entry.actor_id) == ("command", None)


def test_command_applies_even_a_large_file_at_once(tenants, tmp_path, settings):
    settings.INVENTORY_IMPORT_ASYNC_ROWS = 1
    path = tmp_path / "inventory.csv"
    path.write_text(CSV)

    run("stadtwerke-alpha", str(path))

    job = ImportJob.objects.get()
    assert (job.status, job.rows_parsed, job.created_count) == (ImportStatus.SUCCEEDED, 2, 2)


def test_command_reads_a_cyclonedx_bom_by_its_content(tenants, tmp_path):
    path = tmp_path / "sbom"
    path.write_bytes((CYCLONEDX / "bom-1.5.json").read_bytes())

    run("stadtwerke-alpha", str(path))

    assert set(InventoryItem.objects.values_list("source", flat=True)) == {ItemSource.CYCLONEDX}


def test_command_replace_mode_swaps_the_items_from_the_same_source(tenants, tmp_path):
    old = InventoryItemFactory(organization=tenants.org_a, source=ItemSource.CSV)
    path = tmp_path / "inventory.csv"
    path.write_text(CSV)

    output = run("stadtwerke-alpha", str(path), "--mode", "replace")

    assert output.strip() == (
        "Imported 2 items into Stadtwerke Alpha: 2 new, 0 updated in place; 1 earlier item removed."
    )
    assert not InventoryItem.objects.filter(pk=old.pk).exists()


def test_command_reports_every_error_and_stores_nothing(tenants, tmp_path):
    path = tmp_path / "inventory.csv"
    path.write_text("product,quantity\nWidget,0\n,1\n")

    with pytest.raises(CommandError) as caught:
        run("stadtwerke-alpha", str(path))

    assert str(caught.value) == (
        "Nothing was imported: the file has 2 errors.\n"
        "  line 2, quantity: must be a whole number ≥ 1\n"
        "  line 3: names no product, CPE or purl"
    )
    assert not InventoryItem.objects.exists()


def test_command_reports_a_file_it_cannot_read(tenants, tmp_path):
    path = tmp_path / "inventory.csv"
    path.write_text("colour\nred\n")

    with pytest.raises(CommandError) as caught:
        run("stadtwerke-alpha", str(path))

    assert str(caught.value).splitlines()[0] == "Nothing was imported: the file has 2 errors."


def test_command_refuses_an_unknown_organization_or_file(tenants, tmp_path):
    with pytest.raises(CommandError, match="No organization has the slug 'nowhere'"):
        run("nowhere", str(tmp_path / "inventory.csv"))
    with pytest.raises(CommandError, match="Cannot read"):
        run("stadtwerke-alpha", str(tmp_path / "missing.csv"))


def test_command_refuses_a_replacing_file_that_names_an_item_twice(tenants, tmp_path):
    old = InventoryItemFactory(
        organization=tenants.org_a, source=ItemSource.CSV, external_ref="CMDB-7"
    )
    path = tmp_path / "inventory.csv"
    path.write_text("product,external_ref\nWidget,CMDB-7\nGadget,CMDB-7\n")

    with pytest.raises(CommandError) as caught:
        run("stadtwerke-alpha", str(path), "--mode", "replace")

    assert str(caught.value) == (
        "Nothing was imported: the file has 1 error.\n"
        "  line 3, external_ref: 'CMDB-7' is already the reference of line 2"
    )
    assert list(InventoryItem.objects.values_list("pk", flat=True)) == [old.pk]


def test_adding_a_file_again_is_refused_naming_the_items_it_would_repeat(tenants, tmp_path):
    path = tmp_path / "inventory.csv"
    path.write_text("product;external_ref\nWidget;CMDB-1\nGadget;CMDB-2\nSprocket;\n")
    run("stadtwerke-alpha", str(path))
    first = InventoryItem.objects.get(external_ref="CMDB-1")
    second = InventoryItem.objects.get(external_ref="CMDB-2")
    # The same references from another source, or in another organization, are no conflict.
    InventoryItemFactory(organization=tenants.org_a, source=ItemSource.API, external_ref="CMDB-3")
    InventoryItemFactory(organization=tenants.org_b, source=ItemSource.CSV, external_ref="CMDB-4")
    before = InventoryItem.objects.count()

    path.write_text("product;external_ref\nWidget;CMDB-1\nCog;CMDB-3\nBolt;CMDB-4\nGadget;CMDB-2\n")
    with pytest.raises(CommandError) as caught:
        run("stadtwerke-alpha", str(path))

    hint = "import in replace mode to update the items of an earlier import"
    assert str(caught.value) == (
        "Nothing was imported: the file has 2 errors.\n"
        f"  line 2, external_ref: 'CMDB-1' is already in the inventory (item {first.pk}); {hint}\n"
        f"  line 5, external_ref: 'CMDB-2' is already in the inventory (item {second.pk}); {hint}"
    )
    assert InventoryItem.objects.count() == before

    # Replacing is how a file updates what it brought before.
    output = run("stadtwerke-alpha", str(path), "--mode", "replace")
    assert output.strip() == (
        "Imported 4 items into Stadtwerke Alpha: 2 new, 2 updated in place; 1 earlier item removed."
    )
    assert InventoryItem.objects.get(external_ref="CMDB-1").pk == first.pk
