"""Inventory pages: the list with the inventory FilterSet, sorting and CSV export; adding,
changing and deleting items through the services, so that they resolve, match and resolve
their flags; roles and scoping."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from exposure.models import Flag
from orgs.models import InventoryItem
from tests.factories import InventoryItemFactory

pytestmark = pytest.mark.django_db


def url(name, organization, **kwargs) -> str:
    return reverse(f"orgs:{name}", kwargs={"slug": organization.slug, **kwargs})


KASPERSKY = {
    "raw_vendor": "Kaspersky",
    "raw_product": "Endpoint Security",
    "version": "11.1",
    "quantity": "40",
    "environment": "production",
    "criticality": "high",
}


def test_inventory_list_shows_the_organizations_items_with_their_open_flags(client, world):
    InventoryItemFactory(
        organization=world.tenants.org_a, product=None, raw_vendor="Acme", raw_product="Widget"
    )
    client.force_login(world.tenants.viewer)
    response = client.get(url("inventory_list", world.tenants.org_a))
    assert response.status_code == 200
    rows = {item.raw_product: item for item in response.context["page"].object_list}
    assert set(rows) == {"Endpoint Security", "Widget"}
    assert rows["Endpoint Security"].active_flags == 1
    assert b"unresolved" in response.content
    assert b"Add an item" not in response.content  # viewers read


def test_inventory_list_filters_with_the_inventory_filterset_and_sorts(client, world):
    InventoryItemFactory(
        organization=world.tenants.org_a, product=None, raw_vendor="Acme", raw_product="Widget"
    )
    client.force_login(world.tenants.viewer)
    page = url("inventory_list", world.tenants.org_a)
    unresolved = client.get(page, {"resolved": "false"}).context["page"].object_list
    assert [item.raw_product for item in unresolved] == ["Widget"]
    found = client.get(page, {"q": "endpoint"}).context["page"].object_list
    assert [item.raw_product for item in found] == ["Endpoint Security"]
    by_flags = client.get(page, {"sort": "-flags"}).context["page"].object_list
    assert by_flags[0].raw_product == "Endpoint Security"
    assert b"No item matches" in client.get(page, {"q": "nothing of the sort"}).content


def test_inventory_export_has_the_upload_columns_and_defuses_formulas(client, world):
    InventoryItemFactory(
        organization=world.tenants.org_a, product=None, raw_product="=cmd|'/c calc'!A1"
    )
    client.force_login(world.tenants.viewer)
    response = client.get(url("inventory_list", world.tenants.org_a), {"format": "csv"})
    body = b"".join(response.streaming_content).decode()
    header, *rows = body.strip().splitlines()
    assert header.startswith("vendor,product,version,cpe,purl,quantity,environment,criticality")
    assert any(row.startswith("Kaspersky,Endpoint Security,21.3") for row in rows)
    assert "'=cmd" in body
    assert "Klinikum" not in body and "11.0" not in body  # organization B's item


def test_analyst_adds_an_item_that_resolves_and_is_flagged(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.tenants.analyst)
    # Matching is enqueued after commit; the test's transaction never commits, so run it.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("item_create", world.tenants.org_a), KASPERSKY)
    assert response.status_code == 302
    item = InventoryItem.objects.get(organization=world.tenants.org_a, version="11.1")
    assert item.product == world.product
    assert Flag.objects.filter(item=item, advisory=world.warning).exists()
    assert AuditEntry.objects.filter(action="inventory.item_create").exists()


def test_item_form_needs_something_that_identifies_the_item(client, world):
    client.force_login(world.tenants.analyst)
    response = client.post(
        url("item_create", world.tenants.org_a),
        {**KASPERSKY, "raw_product": "", "cpe": "cpe:2.3:broken"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "cpe" in form.errors
    assert InventoryItem.objects.filter(organization=world.tenants.org_a).count() == 1


def test_changing_the_version_rematches_and_deleting_resolves_the_flags(client, world):
    client.force_login(world.tenants.analyst)
    edit = url("item_edit", world.tenants.org_a, pk=world.item_a.pk)
    assert client.get(edit).context["form"].initial["version"] == "21.3"
    assert client.post(edit, {**KASPERSKY, "version": "21.4"}).status_code == 302
    world.item_a.refresh_from_db()
    assert world.item_a.version == "21.4"

    delete = url("item_delete", world.tenants.org_a, pk=world.item_a.pk)
    confirmation = client.get(delete)
    assert confirmation.status_code == 200
    assert confirmation.context["active_flags"] == 1
    assert client.post(delete).status_code == 302
    assert not InventoryItem.objects.filter(pk=world.item_a.pk).exists()
    world.flag_a.refresh_from_db()
    assert (world.flag_a.status, world.flag_a.resolution_reason) == ("resolved", "item_removed")


def test_viewers_may_not_change_the_inventory(client, world):
    client.force_login(world.tenants.viewer)
    organization = world.tenants.org_a
    assert client.get(url("item_create", organization)).status_code == 403
    assert client.post(url("item_create", organization), KASPERSKY).status_code == 403
    assert client.post(url("item_delete", organization, pk=world.item_a.pk)).status_code == 403
    assert InventoryItem.objects.filter(pk=world.item_a.pk).exists()


def test_another_organizations_inventory_is_not_found(client, world):
    client.force_login(world.tenants.outsider)
    organization = world.tenants.org_a
    assert client.get(url("inventory_list", organization)).status_code == 404
    assert client.get(url("item_edit", organization, pk=world.item_a.pk)).status_code == 404
    # An item of organization A asked for under B's own address is not found either.
    own = world.tenants.org_b
    assert client.get(url("item_edit", own, pk=world.item_a.pk)).status_code == 404
    assert client.post(url("item_delete", own, pk=world.item_a.pk)).status_code == 404
    assert InventoryItem.objects.filter(pk=world.item_a.pk).exists()


def test_inventory_list_makes_the_same_number_of_queries_for_many_items(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.tenants.analyst)
    page = url("inventory_list", world.tenants.org_a)
    with django_assert_max_num_queries(12) as few:
        client.get(page)
    InventoryItemFactory.create_batch(60, organization=world.tenants.org_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(page)
    assert len(response.context["page"].object_list) == 50
