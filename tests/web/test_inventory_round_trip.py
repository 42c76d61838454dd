"""An inventory export uploaded again unchanged, in replace mode, changes nothing: the items,
their ids (and so their flags' history) stay, whatever their text starts with."""

import pytest
from django.urls import reverse

from orgs.choices import ImportFormat, ImportMode
from orgs.importers.services import inventory_import_submit
from orgs.models import InventoryItem
from tests.factories import InventoryItemFactory

pytestmark = pytest.mark.django_db

FORMULA_LIKE = ["=HYPERLINK(1)", "+49 30 123", "-rc1 build", "@scanner", "'=already quoted", "'"]


def _state(organization):
    return sorted(
        InventoryItem.objects.filter(organization=organization).values_list(
            "pk", "raw_vendor", "raw_product", "version", "external_ref", "notes", "quantity"
        )
    )


def test_an_exported_inventory_imported_again_in_replace_mode_changes_nothing(client, tenants):
    for number, text in enumerate(FORMULA_LIKE):
        InventoryItemFactory(
            organization=tenants.org_a,
            product=None,
            raw_vendor=text,
            raw_product=f"Widget {number}",
            version=text if text != "'" else "1.0",
            external_ref=f"{text}-{number}",
            notes=text,
            source="csv",
        )
    before = _state(tenants.org_a)
    client.force_login(tenants.owner)
    response = client.get(
        reverse("orgs:inventory_list", kwargs={"slug": tenants.org_a.slug}), {"format": "csv"}
    )
    exported = b"".join(response.streaming_content)
    assert b"'=HYPERLINK(1)" in exported  # the guard is there for spreadsheets

    job = inventory_import_submit(
        organization=tenants.org_a,
        user=tenants.owner,
        file_format=ImportFormat.CSV,
        mode=ImportMode.REPLACE,
        filename="export.csv",
        content=exported,
    )

    assert job.status == "succeeded", job.errors
    assert (job.created_count, job.removed_count) == (0, 0)
    assert _state(tenants.org_a) == before
