"""The fast row representation (``FastRepresentationMixin``) gives exactly what DRF gives."""

import datetime

import pytest
from django.utils import timezone
from rest_framework import serializers

from config.api_serializers import FastRepresentationMixin
from exposure.choices import FlagStatus, ResolutionReason
from tests.api.factories import FlagFactory
from tests.factories import InventoryItemFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _drf_representation(self, instance):
    return serializers.Serializer.to_representation(self, instance)


def _both(api, user, url, params, monkeypatch):
    """The response body with the fast representation, then with DRF's own."""
    client = api.session(user)
    fast = client.get(url, params)
    assert fast.status_code == 200
    with monkeypatch.context() as patched:
        patched.setattr(FastRepresentationMixin, "to_representation", _drf_representation)
        slow = client.get(url, params)
    assert slow.status_code == 200
    return fast.json(), slow.json()


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
