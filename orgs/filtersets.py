"""Filters of organizations, memberships, inventory and tokens, shared by pages and the API.

A filter that names an organization offers only the organizations the requesting user may see,
so that asking for a foreign one is refused exactly like asking for one that does not exist.
"""

from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django_countries import countries
from django_filters.fields import ModelMultipleChoiceField

from listing.filtersets import DateTimeFromToRangeFilter, IntegerFilter, SearchFilterSet
from orgs.choices import BusinessCriticality, Environment, ItemSource, Role, TokenAccess
from orgs.models import ApiToken, InventoryItem, Membership, Organization
from orgs.scoping import organization_ids
from vendors.choices import CriticalityTier, Sector
from vendors.models import Product, Vendor


def _visible_organizations(request: HttpRequest | None) -> QuerySet[Organization, Any]:
    if request is None:
        return Organization.objects.none()
    return Organization.objects.visible_to(request.user)


class OrganizationIdsField(ModelMultipleChoiceField):
    """Organization ids, each among the field's organizations, cleaned to ids.

    Django's field loads every chosen organization to check it; for a user whose visible
    organizations are known already (``visible_ids``, the request's answer of the one tenant
    rule) the check is against those ids, with no query. The errors are Django's.
    """

    visible_ids: frozenset[int] | None = None

    def _check_values(self, value: Any) -> Any:
        if self.visible_ids is None:
            # Every organization: Django's own check, against the table.
            return [organization.pk for organization in super()._check_values(value)]
        ids = []
        for raw in value:
            try:
                pk = int(str(raw))
            except ValueError:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": raw},
                ) from None
            if pk not in self.visible_ids:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": raw},
                )
            ids.append(pk)
        return ids


class OrganizationsFilter(django_filters.ModelMultipleChoiceFilter):
    """Rows of any of the chosen organizations, among those the request's user may see."""

    field_class = OrganizationIdsField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", _visible_organizations)
        # Rows of an organization's own tables cannot repeat: no DISTINCT over every row.
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)

    @property
    def field(self) -> OrganizationIdsField:
        field: OrganizationIdsField = super().field
        request = self.get_request()
        if request is not None:
            field.visible_ids = organization_ids(request.user)
        return field

    def get_filter_predicate(self, v: Any) -> dict[str, Any]:
        # The field cleans to ids, not organizations.
        return {f"{self.field_name}__{self.lookup_expr}": v}


class OrganizationFilterSet(SearchFilterSet):
    # Multiple-choice filters on the organization's own columns cannot repeat a row; without
    # distinct=False django-filter would make the database de-duplicate every row it lists.
    search_fields = ("name", "slug", "description")

    sector = django_filters.MultipleChoiceFilter(choices=Sector.choices, distinct=False)
    country = django_filters.MultipleChoiceFilter(choices=list(countries), distinct=False)
    criticality_tier = django_filters.MultipleChoiceFilter(
        choices=CriticalityTier.choices, distinct=False
    )

    class Meta:
        model = Organization
        fields = ["sector", "country", "criticality_tier"]


class MembershipFilterSet(SearchFilterSet):
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")

    organization = OrganizationsFilter()
    user = IntegerFilter(field_name="user_id", label="User id")
    role = django_filters.MultipleChoiceFilter(choices=Role.choices)

    class Meta:
        model = Membership
        fields = ["organization", "user", "role"]


class InventoryItemFilterSet(SearchFilterSet):
    """``q`` searches the names as entered, version, CPE, purl, external reference, hostname and
    site.

    Every multiple-choice filter follows a many-to-one path, so none can repeat an item; they
    say ``distinct=False`` because django-filter's default DISTINCT makes the database sort
    every matching item, all columns, before a page of them can be shown.
    """

    search_fields = (
        "raw_vendor",
        "raw_product",
        "version",
        "cpe",
        "purl",
        "external_ref",
        "hostname",
        "site",
    )

    organization = OrganizationsFilter()
    product = django_filters.ModelMultipleChoiceFilter(
        queryset=Product.objects.all(), distinct=False
    )
    vendor = django_filters.ModelMultipleChoiceFilter(
        field_name="product__vendor", queryset=Vendor.objects.all(), distinct=False
    )
    environment = django_filters.MultipleChoiceFilter(choices=Environment.choices, distinct=False)
    criticality = django_filters.MultipleChoiceFilter(
        choices=BusinessCriticality.choices, distinct=False
    )
    source = django_filters.MultipleChoiceFilter(choices=ItemSource.choices, distinct=False)
    resolved = django_filters.BooleanFilter(
        field_name="product", lookup_expr="isnull", exclude=True, label="Resolved to a product"
    )
    # A product page counts its items per version, those without one included.
    version = django_filters.CharFilter(label="Version (exactly)")
    versioned = django_filters.BooleanFilter(method="filter_versioned", label="Has a version")
    created = DateTimeFromToRangeFilter(field_name="created_at")
    updated = DateTimeFromToRangeFilter(field_name="updated_at")

    class Meta:
        model = InventoryItem
        fields = ["organization", "product", "environment", "criticality", "source"]

    def filter_versioned(
        self, queryset: QuerySet[InventoryItem, Any], name: str, value: bool | None
    ) -> QuerySet[InventoryItem, Any]:
        if value is None:
            return queryset
        return queryset.exclude(version="") if value else queryset.filter(version="")


class ApiTokenFilterSet(SearchFilterSet):
    search_fields = ("name", "prefix")

    organization = OrganizationsFilter()
    access = django_filters.ChoiceFilter(choices=TokenAccess.choices)
    revoked = django_filters.BooleanFilter(
        field_name="revoked_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = ApiToken
        fields = ["organization", "access"]
