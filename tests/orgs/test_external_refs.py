"""An external reference names one asset of the system it comes from: within an organization and
source, items added or edited one by one may not repeat one (imports check it themselves)."""

from __future__ import annotations

import importlib
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from orgs.choices import ItemSource
from orgs.models import InventoryItem
from orgs.services import inventory_item_create, inventory_item_update
from tests.factories import InventoryItemFactory

pytestmark = pytest.mark.django_db

ITEM = {"raw_vendor": "Kaspersky", "raw_product": "Endpoint Security", "version": "21.3"}


def test_a_second_item_with_the_same_reference_is_refused_naming_the_field(tenants):
    first = inventory_item_create(
        organization=tenants.org_a, data={**ITEM, "external_ref": "CMDB-7"}
    )
    with pytest.raises(ValidationError) as refused:
        inventory_item_create(organization=tenants.org_a, data={**ITEM, "external_ref": "CMDB-7"})
    message = refused.value.message_dict["external_ref"][0]
    assert f"Item #{first.pk}" in message and "“CMDB-7”" in message
    assert InventoryItem.objects.filter(external_ref="CMDB-7").count() == 1


def test_the_same_reference_is_free_elsewhere_and_an_empty_one_repeats(tenants):
    inventory_item_create(organization=tenants.org_a, data={**ITEM, "external_ref": "CMDB-7"})
    # Another organization, another source, and no reference at all: none is the same asset.
    inventory_item_create(organization=tenants.org_b, data={**ITEM, "external_ref": "CMDB-7"})
    inventory_item_create(
        organization=tenants.org_a,
        data={**ITEM, "external_ref": "CMDB-7", "source": ItemSource.CSV},
    )
    inventory_item_create(organization=tenants.org_a, data=ITEM)
    inventory_item_create(organization=tenants.org_a, data=ITEM)
    assert InventoryItem.objects.filter(organization=tenants.org_a).count() == 4


def test_an_edit_may_not_take_a_reference_another_item_has(tenants):
    inventory_item_create(organization=tenants.org_a, data={**ITEM, "external_ref": "CMDB-7"})
    other = inventory_item_create(
        organization=tenants.org_a, data={**ITEM, "external_ref": "CMDB-8"}
    )
    with pytest.raises(ValidationError) as refused:
        inventory_item_update(item=other, data={"external_ref": "CMDB-7"})
    assert "external_ref" in refused.value.message_dict
    other.refresh_from_db()
    assert other.external_ref == "CMDB-8"
    # Its own reference, unchanged, is no conflict.
    assert inventory_item_update(item=other, data={"external_ref": "CMDB-8", "version": "22"})


def test_the_database_refuses_a_repeated_reference_but_not_an_empty_one(tenants):
    InventoryItemFactory(organization=tenants.org_a, external_ref="CMDB-9")
    InventoryItemFactory(organization=tenants.org_a, external_ref="")
    InventoryItemFactory(organization=tenants.org_a, external_ref="")
    with pytest.raises(IntegrityError), transaction.atomic():
        InventoryItemFactory(organization=tenants.org_a, external_ref="CMDB-9")


def _shared_twice(organization):
    """Two items sharing a reference, as a database could hold them from before the
    constraint: it is dropped for the test (the test's transaction brings it back)."""
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX item_unique_external_ref")
    return [
        InventoryItemFactory(organization=organization, external_ref="CMDB-9") for _ in range(2)
    ]


def test_the_migration_stops_on_shared_references_and_names_the_command(tenants):
    migration = importlib.import_module("orgs.migrations.0007_item_unique_external_ref")
    editor = SimpleNamespace(connection=connection)
    migration.refuse_shared_references(django_apps, editor)  # none yet: passes
    _shared_twice(tenants.org_a)
    with pytest.raises(RuntimeError) as stopped:
        migration.refuse_shared_references(django_apps, editor)
    assert "1 external reference(s)" in str(stopped.value)
    assert "manage.py inventory_shared_refs" in str(stopped.value)


def test_the_command_lists_shared_references_with_their_items(tenants):
    out = StringIO()
    call_command("inventory_shared_refs", stdout=out)
    assert "No external reference is shared" in out.getvalue()
    first, second = _shared_twice(tenants.org_a)
    out = StringIO()
    with pytest.raises(CommandError, match="1 external reference"):
        call_command("inventory_shared_refs", stdout=out)
    assert out.getvalue().split("\n")[0].split("\t") == [
        tenants.org_a.slug,
        first.source,
        "CMDB-9",
        f"#{first.pk}, #{second.pk}",
    ]


def test_the_api_answers_400_on_the_reference(tenants):
    client = APIClient()
    client.force_login(tenants.analyst)
    body = {**ITEM, "organization": tenants.org_a.pk, "external_ref": "CMDB-7"}
    assert client.post("/api/v1/inventory-items/", body, format="json").status_code == 201
    response = client.post("/api/v1/inventory-items/", body, format="json")
    assert response.status_code == 400
    assert "CMDB-7" in response.json()["external_ref"][0]


def test_the_item_form_shows_the_error_on_the_reference(tenants, client):
    client.force_login(tenants.analyst)
    url = reverse("orgs:item_create", kwargs={"slug": tenants.org_a.slug})
    form = {
        **ITEM,
        "quantity": "1",
        "environment": "production",
        "criticality": "high",
        "external_ref": "CMDB-7",
    }
    assert client.post(url, form).status_code == 302
    response = client.post(url, form)
    assert response.status_code == 400
    assert "CMDB-7" in response.context["form"].errors["external_ref"][0]


def test_the_admin_form_shows_the_error_on_the_reference(tenants, admin_client):
    InventoryItemFactory(organization=tenants.org_a, external_ref="CMDB-7")
    response = admin_client.post(
        reverse("admin:orgs_inventoryitem_add"),
        {
            **ITEM,
            "organization": tenants.org_a.pk,
            "quantity": 1,
            "environment": "production",
            "criticality": "high",
            "source": "manual",
            "external_ref": "CMDB-7",
        },
    )
    assert response.status_code == 200
    assert "CMDB-7" in response.context["adminform"].form.errors["external_ref"][0]
    assert InventoryItem.objects.filter(external_ref="CMDB-7").count() == 1
