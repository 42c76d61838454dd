"""Model serializers build their fields once per class and copy them for each instance
(``StrictModelSerializer.get_fields``): the copies must be the fields DRF would have built, and
each instance's its own."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from advisories.api.serializers import AdvisoryDetailSerializer, SourceSerializer
from api.serializers import OptionalURLField, StrictModelSerializer
from orgs.api.serializers import InventoryItemSerializer
from tests.factories import InventoryItemFactory

API_MODULES = [
    "advisories.api.serializers",
    "audit.api.serializers",
    "exposure.api.serializers",
    "orgs.api.serializers",
    "vendors.api.serializers",
]

# A related field's description shows its queryset, which reads the database.
pytestmark = pytest.mark.django_db


def _all_subclasses(cls: type) -> list[type]:
    found = []
    for subclass in cls.__subclasses__():
        found.append(subclass)
        found.extend(_all_subclasses(subclass))
    return found


def _serializers() -> list[type]:
    for name in API_MODULES:
        importlib.import_module(name)
    return sorted(
        {cls for cls in _all_subclasses(StrictModelSerializer) if hasattr(cls, "Meta")},
        key=lambda cls: cls.__qualname__,
    )


def _described(fields: dict[str, Any]) -> dict[str, str]:
    # A DRF field's repr is its class and the arguments it was made with, nested ones too.
    return {name: repr(field) for name, field in fields.items()}


@pytest.mark.parametrize("serializer_class", _serializers(), ids=lambda cls: cls.__qualname__)
def test_the_copied_fields_are_the_fields_drf_builds(serializer_class):
    first = serializer_class().get_fields()  # builds and keeps them
    again = serializer_class().get_fields()  # copies what it kept
    built_by_drf = super(StrictModelSerializer, serializer_class()).get_fields()
    assert _described(again) == _described(first) == _described(built_by_drf)


def test_each_instance_has_fields_of_its_own():
    one, other = AdvisoryDetailSerializer(), AdvisoryDetailSerializer()
    for name in one.fields:
        assert one.fields[name] is not other.fields[name]
        assert one.fields[name].parent is one and other.fields[name].parent is other
    assert one.fields["targets"].child is not other.fields["targets"].child
    assert one.fields["audience_sectors"].child is not other.fields["audience_sectors"].child
    one.fields["title"].read_only = True
    assert other.fields["title"].read_only is False
    assert AdvisoryDetailSerializer().fields["title"].read_only is False


def test_a_serializer_that_changes_its_fields_changes_only_its_own(tenants):
    # An item's organization is fixed once it exists (CreateOnlyFieldsMixin): a serializer of
    # an existing item makes it read-only; one creating an item keeps it writable.
    editing = InventoryItemSerializer(instance=InventoryItemFactory(organization=tenants.org_a))
    assert editing.fields["organization"].read_only is True
    assert InventoryItemSerializer().fields["organization"].read_only is False


def test_a_url_that_may_be_blank_is_an_optional_url_field():
    # StrictModelSerializer.build_standard_field: "" or a URL, as the schema documents.
    fields = SourceSerializer().fields
    assert type(fields["website"]) is OptionalURLField
    assert type(fields["feed_url"]) is OptionalURLField
    assert fields["website"].run_validation("") == ""
