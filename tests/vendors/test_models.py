"""Catalogue invariants the models enforce."""

import pytest
from django.core.exceptions import ValidationError

from tests.factories import ProductFactory, VendorFactory
from vendors.models import ProductAlias, VendorAlias

pytestmark = pytest.mark.django_db


def test_vendor_name_is_normalized_without_legal_form():
    vendor = VendorFactory(name="AO Kaspersky Lab", slug="kaspersky")
    assert vendor.normalized_name == "kaspersky lab"


def test_alias_that_normalizes_to_the_vendors_own_name_is_refused():
    vendor = VendorFactory(name="AO Kaspersky Lab", slug="kaspersky")
    with pytest.raises(ValidationError) as error:
        VendorAlias(vendor=vendor, name="Kaspersky Lab JSC").full_clean()
    assert "already the name of the vendor" in str(error.value)


def test_alias_of_one_vendor_cannot_become_an_alias_of_another():
    first = VendorFactory(name="Huawei Technologies", slug="huawei")
    second = VendorFactory(name="ZTE Corporation", slug="zte")
    VendorAlias.objects.create(vendor=first, name="HW")
    with pytest.raises(ValidationError) as error:
        VendorAlias(vendor=second, name="hw").full_clean()
    assert "already an alias of 'Huawei Technologies'" in str(error.value)


def test_vendor_cannot_take_a_name_that_is_another_vendors_alias():
    first = VendorFactory(name="Huawei Technologies", slug="huawei")
    VendorAlias.objects.create(vendor=first, name="Huawei")
    with pytest.raises(ValidationError):
        VendorFactory.build(name="Huawei", slug="huawei-2").full_clean()


def test_product_alias_clashing_with_a_sibling_product_is_refused():
    vendor = VendorFactory(name="Cisco Systems", slug="cisco")
    ios = ProductFactory(vendor=vendor, name="IOS XE", slug="ios-xe")
    ProductFactory(vendor=vendor, name="IOS XR", slug="ios-xr")
    with pytest.raises(ValidationError) as error:
        ProductAlias(product=ios, name="IOS-XR").full_clean()
    assert "already the name of the product" in str(error.value)


def test_product_alias_must_contain_a_name():
    product = ProductFactory()
    with pytest.raises(ValidationError):
        ProductAlias(product=product, name="---").full_clean()


def test_ownership_loops_are_refused():
    parent = VendorFactory(name="Parent Co", slug="parent")
    child = VendorFactory(name="Child Co", slug="child", parent=parent)
    parent.parent = child
    with pytest.raises(ValidationError) as error:
        parent.full_clean()
    assert "loop" in str(error.value)
