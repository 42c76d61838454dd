"""The fast representations give exactly what DRF gives: ``FastRepresentationMixin`` (rows from
model instances) and ``ValuesListMixin`` (list rows straight from column values)."""

import datetime

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.mixins import ListModelMixin

from api.serializers import FastRepresentationMixin
from config.api_values import ValuesListMixin, values_plan
from exposure.api.serializers import FlagSerializer
from exposure.choices import FlagStatus, ResolutionReason
from orgs.api.serializers import InventoryItemSerializer
from tests.api.factories import FlagFactory
from tests.factories import InventoryItemFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _drf_representation(self, instance):
    return serializers.Serializer.to_representation(self, instance)


def drf_body(client, url, params, monkeypatch):
    """The response body as DRF's own serializers and list build it, none of ours."""
    with monkeypatch.context() as patched:
        patched.setattr(FastRepresentationMixin, "to_representation", _drf_representation)
        patched.setattr(ValuesListMixin, "list", ListModelMixin.list)
        slow = client.get(url, params)
    assert slow.status_code == 200
    return slow.json()


def _both(api, user, url, params, monkeypatch):
    """The response body with the fast representation, then with DRF's own."""
    client = api.session(user)
    fast = client.get(url, params)
    assert fast.status_code == 200
    return fast.json(), drf_body(client, url, params, monkeypatch)


def test_flags_read_the_same_as_drf_reads_them(tenants, api, monkeypatch):
    org = tenants.org_a
    FlagFactory(item=InventoryItemFactory(organization=org), assignee=tenants.analyst)
    FlagFactory(
        item=InventoryItemFactory(organization=org, product=ProductFactory()),
        status=FlagStatus.RISK_ACCEPTED,
        risk_accepted_until=timezone.localdate() + datetime.timedelta(days=30),
        status_reason="Replaced in spring.",
        due_date=None,
    )
    gone = FlagFactory(
        item=InventoryItemFactory(organization=org),
        status=FlagStatus.RESOLVED,
        resolution_reason=ResolutionReason.ITEM_REMOVED,
        resolved_at=timezone.now(),
    )
    gone.item.delete()
    fast, slow = _both(api, tenants.owner, "/api/v1/flags/", {}, monkeypatch)
    assert len(fast["results"]) == 3
    assert fast == slow
    fast, slow = _both(api, tenants.owner, f"/api/v1/flags/{gone.pk}/", {}, monkeypatch)
    assert fast["item"] is None
    assert fast == slow


def test_inventory_items_read_the_same_as_drf_reads_them(tenants, api, monkeypatch):
    org = tenants.org_a
    InventoryItemFactory(organization=org, product=ProductFactory(), notes="In the lab.")
    InventoryItemFactory(organization=org, product=None, cpe="", purl="pkg:npm/left-pad@1.0.0")
    fast, slow = _both(api, tenants.owner, "/api/v1/inventory-items/", {}, monkeypatch)
    assert len(fast["results"]) == 2
    assert fast == slow


@pytest.mark.parametrize("serializer_class", [FlagSerializer, InventoryItemSerializer])
def test_the_big_lists_have_a_values_plan(serializer_class):
    # Without a plan the list would silently fall back to the slower path.
    plan = values_plan(serializer_class)
    assert plan is not None
    assert [name for name, _read in plan.readers] == serializer_class.Meta.fields


def test_flags_through_foreign_keys_that_are_missing_read_as_drf_reads_them(
    tenants, api, monkeypatch
):
    org = tenants.org_a
    assigned = FlagFactory(item=InventoryItemFactory(organization=org), assignee=tenants.analyst)
    unassigned = FlagFactory(item=InventoryItemFactory(organization=org), assignee=None)
    fast, slow = _both(api, tenants.owner, "/api/v1/flags/", {"page_size": 1}, monkeypatch)
    assert fast == slow
    assert fast["next"] is not None
    fast, slow = _both(api, tenants.owner, "/api/v1/flags/", {}, monkeypatch)
    assert fast == slow
    rows = {row["id"]: row for row in fast["results"]}
    assert rows[assigned.pk]["assignee_username"] == tenants.analyst.username
    assert rows[unassigned.pk]["assignee_username"] is None
    assert rows[unassigned.pk]["assignee"] is None
    assert rows[assigned.pk]["advisory"]["identifier"] == assigned.advisory.identifier
