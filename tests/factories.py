"""factory_boy factories for every model the tests build."""

import factory
from django.utils import timezone

from advisories.choices import AdvisoryKind, AdvisoryStatus, Severity, TargetKind
from advisories.models import Advisory, AffectedTarget, Source
from orgs.choices import Role
from orgs.models import InventoryItem, Membership, Organization, User
from vendors.models import Product, Vendor

TEST_PASSWORD = "correct-horse-battery-staple-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"organization-{n}")
    sector = "energy"
    country = "DE"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.ANALYST


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"Vendor {n}")
    slug = factory.Sequence(lambda n: f"vendor-{n}")
    country = "US"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    vendor = factory.SubFactory(VendorFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")


class InventoryItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InventoryItem

    organization = factory.SubFactory(OrganizationFactory)
    product = factory.SubFactory(ProductFactory)
    raw_vendor = factory.LazyAttribute(lambda i: i.product.vendor.name if i.product else "")
    raw_product = factory.LazyAttribute(lambda i: i.product.name if i.product else "")
    version = "1.0"


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Source {n}")
    slug = factory.Sequence(lambda n: f"source-{n}")


class AdvisoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Advisory

    source = factory.SubFactory(SourceFactory)
    identifier = factory.Sequence(lambda n: f"VW-TEST-{n:04d}")
    title = factory.Sequence(lambda n: f"Test advisory {n}")
    kind = AdvisoryKind.VENDOR_WARNING
    severity = Severity.HIGH
    status = AdvisoryStatus.DRAFT


class PublishedAdvisoryFactory(AdvisoryFactory):
    status = AdvisoryStatus.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


class AffectedTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AffectedTarget

    advisory = factory.SubFactory(AdvisoryFactory)
    kind = TargetKind.VENDOR
    vendor = factory.SubFactory(VendorFactory)
