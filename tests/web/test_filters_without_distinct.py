"""The list FilterSets never ask the database to de-duplicate: their multiple-choice filters
follow many-to-one paths, and a DISTINCT over every column of 170,000 flags cost the flag list
most of a second."""

import pytest
from django.test import RequestFactory

from exposure.filtersets import FlagFilterSet
from exposure.models import Flag
from orgs.filtersets import InventoryItemFilterSet, OrganizationFilterSet
from orgs.models import InventoryItem, Organization

pytestmark = pytest.mark.django_db


def filtered(filterset_class, data, model, user):
    request = RequestFactory().get("/")
    request.user = user
    filterset = filterset_class(data, queryset=model.objects.all(), request=request)
    assert filterset.is_valid(), filterset.errors
    return filterset.qs


def sql(filterset_class, data, model, user) -> str:
    return str(filtered(filterset_class, data, model, user).query)


def test_flag_filters_select_each_flag_once_without_distinct(world):
    data = {
        "status": ["open", "acknowledged"],
        "severity": ["high"],
        "kind": ["vendor_warning"],
        "organization": [world.tenants.org_a.pk],
        "vendor": [world.vendor.pk],
        "product": [world.product.pk],
    }
    flags = filtered(FlagFilterSet, data, Flag, world.editor)
    assert "DISTINCT" not in str(flags.query)
    assert list(flags) == [world.flag_a]


def test_inventory_and_organization_filters_need_no_distinct(world):
    items = {
        "organization": [world.tenants.org_a.pk],
        "product": [world.product.pk],
        "vendor": [world.vendor.pk],
        "environment": ["production"],
        "criticality": ["medium"],
        "source": ["manual"],
    }
    assert "DISTINCT" not in sql(InventoryItemFilterSet, items, InventoryItem, world.editor)
    organizations = {"sector": ["energy"], "country": ["DE"], "criticality_tier": ["standard"]}
    assert "DISTINCT" not in sql(OrganizationFilterSet, organizations, Organization, world.editor)
