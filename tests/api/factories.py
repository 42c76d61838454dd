"""Factories of the rows only the API tests build: flags, their history, audit entries."""

import factory

from exposure.models import Flag, FlagEvent
from tests.factories import InventoryItemFactory, PublishedAdvisoryFactory


class FlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flag

    advisory = factory.SubFactory(PublishedAdvisoryFactory)
    item = factory.SubFactory(InventoryItemFactory)
    organization = factory.LazyAttribute(lambda flag: flag.item.organization)
    product = factory.LazyAttribute(lambda flag: flag.item.product)
    vendor = factory.LazyAttribute(lambda flag: flag.product.vendor if flag.product else None)
    item_label = factory.LazyAttribute(lambda flag: str(flag.item))
    priority = 50


class FlagEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FlagEvent

    flag = factory.SubFactory(FlagFactory)
    kind = "created"
