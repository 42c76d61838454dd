"""Filters of organizations, memberships, inventory and tokens, shared by pages and the API.

A filter that names an organization offers only the organizations the requesting user may see,
so that asking for a foreign one is refused exactly like asking for one that does not exist.
"""

import functools
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django_countries import countries
from django_filters.fields import ModelMultipleChoiceField

from config.filtersets import DateTimeFromToRangeFilter, IntegerFilter, SearchFilterSet
from orgs.choices import BusinessCriticality, Environment, ItemSource, Role, TokenAccess
from orgs.models import ApiToken, InventoryItem, Membership, Organization
from orgs.scoping import request_visible_organization_ids
from vendors.choices import CriticalityTier, Sector
from vendors.models import Product, Vendor


class OrganizationIdsField(ModelMultipleChoiceField):
    """Organization ids, each checked to be among the field's organizations, cleaned to ids.

    Django's field loads every chosen organization as a model instance and builds a queryset
    per value just to check its type; a filter needs only the ids. The errors are Django's.
    """

    def _check_values(self, value: Any) -> list[Any]:
        try:
            chosen = frozenset(value)
        except TypeError:
            message = self.error_messages["invalid_list"]
            raise ValidationError(message, code="invalid_list") from None
        pk_field = Organization._meta.pk
        assert pk_field is not None
        ids: dict[Any, Any] = {}
        for raw in chosen:
            self.validate_no_null_characters(raw)
            try:
                ids[raw] = pk_field.to_python(raw)
            except ValidationError:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": raw},
                ) from None
        visible: frozenset[int] | None = getattr(self, "visible_ids", None)
        if visible is not None:
            found = {pk for pk in ids.values() if pk in visible}
        else:
            found = set(
                self.queryset.filter(pk__in=ids.values()).order_by().values_list("pk", flat=True)
            )
        for raw, pk in ids.items():
            if pk not in found:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": raw},
                )
        return sorted(found)


@functools.lru_cache(maxsize=1024)
def _organizations_among(ids: frozenset[int] | None) -> QuerySet[Organization, Any]:
    """The organizations of ``ids`` (``None``: all), as a queryset built once per set of ids.

    Building the filter is most of what the organization filter's field costs per request;
    the queryset is never evaluated here, and each caller gets its own copy (``all()``), so
    no rows are kept between requests.
    """
    return Organization.objects.in_organizations(ids)


class OrganizationsFilter(django_filters.ModelMultipleChoiceFilter):
    """Rows of any of the chosen organizations, among those the request's user may see.

    The choices are the ids ``request_visible_organization_ids`` fetches once per request
    (the list's own scoping uses the same), so checking the chosen ids costs no query of its
    own; for a user who sees every organization they are all organizations, checked by one
    query. The rows are filtered by id.
    """

    field_class = OrganizationIdsField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)

    def get_queryset(self, request: HttpRequest | None) -> QuerySet[Organization, Any]:
        cached: QuerySet[Organization, Any] | None = getattr(self, "_choices", None)
        if cached is None:
            if request is None:
                cached = Organization.objects.none()
            else:
                self._visible_ids = request_visible_organization_ids(request)
                cached = _organizations_among(self._visible_ids).all()
            self._choices = cached
        return cached

    @property
    def field(self) -> OrganizationIdsField:
        field: OrganizationIdsField = super().field
        field.visible_ids = getattr(self, "_visible_ids", None)
        return field

    def get_filter_predicate(self, v: Any) -> dict[str, Any]:
        name = self.field_name
        if self.lookup_expr != "exact":
            name = f"{name}__{self.lookup_expr}"
        return {name: v.pk if isinstance(v, Organization) else v}


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
    """``q`` searches the names as entered, version, CPE, purl and external reference.

    Every multiple-choice filter follows a many-to-one path, so none can repeat an item; they
    say ``distinct=False`` because django-filter's default DISTINCT makes the database sort
    every matching item, all columns, before a page of them can be shown.
    """

    search_fields = ("raw_vendor", "raw_product", "version", "cpe", "purl", "external_ref")

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
    created = DateTimeFromToRangeFilter(field_name="created_at")
    updated = DateTimeFromToRangeFilter(field_name="updated_at")

    class Meta:
        model = InventoryItem
        fields = ["organization", "product", "environment", "criticality", "source"]


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
