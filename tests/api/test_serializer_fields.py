"""What the shared serializer base classes add to DRF's fields."""

from __future__ import annotations

import pytest

from advisories.api.serializers import SourceSerializer
from api.serializers import OptionalURLField
from orgs.api.serializers import InventoryItemSerializer
from tests.factories import InventoryItemFactory

# A related field's description shows its queryset, which reads the database.
pytestmark = pytest.mark.django_db


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
