"""The API builds only the filters a request names, and that changes no result and no error.

``StrictFilterBackend`` narrows each list's FilterSet to the filters whose parameters the query
string carries (a FilterSet of twenty filters costs a third of a list request otherwise). These
tests hold every filter of every API FilterSet to giving, narrowed, the same SQL and the same
errors as the whole FilterSet, for a valid and an invalid value.
"""

from __future__ import annotations

import datetime
from typing import Any

import django_filters
import pytest
from django.http import QueryDict
from django.test import RequestFactory
from django_filters.fields import RangeField

from api.filters import filters_named, filterset_narrowed
from exposure.filtersets import FlagFilterSet
from exposure.models import Flag
from orgs.models import Organization
from tests.api.factories import FlagFactory
from tests.api.test_tenant_matrix import api_routes
from tests.factories import InventoryItemFactory, UserFactory

pytestmark = pytest.mark.django_db


def api_filtersets() -> list[type[django_filters.FilterSet]]:
    found: dict[str, type[django_filters.FilterSet]] = {}
    for _name, view in api_routes():
        filterset_class = getattr(getattr(view, "cls", None), "filterset_class", None)
        if filterset_class is not None:
            found[f"{filterset_class.__module__}.{filterset_class.__name__}"] = filterset_class
    return [found[key] for key in sorted(found)]


def sample_params(name: str, flt: django_filters.Filter, pk: int) -> dict[str, list[str]]:
    """A valid value of each parameter ``flt`` reads."""
    if isinstance(flt, django_filters.BooleanFilter):
        return {name: ["true"]}
    if isinstance(flt, django_filters.ModelChoiceFilter | django_filters.ModelMultipleChoiceFilter):
        return {name: [str(pk)]}
    if isinstance(flt, django_filters.ChoiceFilter | django_filters.MultipleChoiceFilter):
        choices = flt.extra["choices"]
        choices = list(choices() if callable(choices) else choices)
        return {name: [str(choices[0][0])]}
    if issubclass(flt.field_class, RangeField):
        after = "2026-01-01"
        if "DateTime" in type(flt).__name__:
            after += "T00:00:00Z"
        return {f"{name}_after": [after]}
    if isinstance(flt, django_filters.NumberFilter):
        return {name: ["1"]}
    if isinstance(flt, django_filters.DateFilter):
        return {name: [datetime.date(2026, 1, 1).isoformat()]}
    return {name: ["text"]}


def query(params: dict[str, list[str]]) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, values in params.items():
        data.setlist(key, values)
    return data


def outcome(filterset_class: type[django_filters.FilterSet], data: QueryDict, user: Any) -> Any:
    request = RequestFactory().get("/")
    request.user = user
    filterset = filterset_class(
        data, queryset=filterset_class._meta.model.objects.all(), request=request
    )
    if not filterset.is_valid():
        return ("errors", dict(filterset.errors))
    return ("sql", str(filterset.qs.query))


@pytest.mark.parametrize("filterset_class", api_filtersets(), ids=lambda cls: cls.__name__)
def test_each_filter_narrowed_gives_the_whole_filtersets_sql_and_errors(tenants, filterset_class):
    pk = tenants.org_a.pk
    assert filterset_class.base_filters, "an API FilterSet without filters"
    for name, flt in filterset_class.base_filters.items():
        for params in (
            sample_params(name, flt, pk),
            # Something no filter accepts: a value too long for any text filter and no number.
            {key: ["~" * 300] for key in sample_params(name, flt, pk)},
        ):
            data = query({**params, "page_size": ["5"], "cursor": ["abc"]})
            names = filters_named(filterset_class, data)
            assert name in names, (name, params)
            narrowed = filterset_narrowed(filterset_class, names)
            assert set(narrowed.base_filters) == set(names)
            assert outcome(narrowed, data, tenants.analyst) == outcome(
                filterset_class, data, tenants.analyst
            ), (filterset_class.__name__, params)


def test_only_the_named_filters_are_built_and_the_classes_are_reused():
    data = QueryDict("organization=1&due_after=2026-01-01&page_size=5&cursor=x&ordering=-priority")
    names = filters_named(FlagFilterSet, data)
    assert names == {"organization", "due"}
    narrowed = filterset_narrowed(FlagFilterSet, names)
    assert list(narrowed.base_filters) == ["organization", "due"]
    assert narrowed is filterset_narrowed(FlagFilterSet, frozenset(names))
    assert issubclass(narrowed, FlagFilterSet)
    # Naming every filter keeps them all.
    whole = filterset_narrowed(FlagFilterSet, frozenset(FlagFilterSet.base_filters))
    assert list(whole.base_filters) == list(FlagFilterSet.base_filters)


def test_range_and_yes_no_filters_still_work_through_the_api(tenants, api):
    today = datetime.date(2026, 6, 1)
    soon = FlagFactory(item=InventoryItemFactory(organization=tenants.org_a), due_date=today)
    late = FlagFactory(
        item=InventoryItemFactory(organization=tenants.org_a),
        due_date=today + datetime.timedelta(days=30),
        assignee=tenants.analyst,
    )
    client = api.token(tenants.analyst)

    def ids(query_string: str) -> set[int]:
        response = client.get(f"/api/v1/flags/?{query_string}")
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids("due_before=2026-06-10") == {soon.pk}
    assert ids("due_after=2026-06-10") == {late.pk}
    assert ids("unassigned=true") == {soon.pk}
    assert ids("unassigned=false&due_after=2026-06-10") == {late.pk}
    assert ids("") == {soon.pk, late.pk} == set(Flag.objects.values_list("pk", flat=True))

    refused = client.get("/api/v1/flags/?overdue=maybe&due_after=")
    assert refused.status_code == 400
    assert set(refused.json()) >= {"overdue", "due_after"}
    refused = client.get("/api/v1/flags/?priority_min=101")
    assert refused.status_code == 400
    assert "priority_min" in refused.json()


def test_organization_filters_take_ids_and_refuse_what_is_not_one(tenants, api):
    mine = FlagFactory(item=InventoryItemFactory(organization=tenants.org_a))
    FlagFactory(item=InventoryItemFactory(organization=tenants.org_b))
    client = api.token(tenants.owner)

    response = client.get(f"/api/v1/flags/?organization={tenants.org_a.pk}")
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]
    # The same organization twice is one choice.
    response = client.get(
        f"/api/v1/flags/?organization={tenants.org_a.pk}&organization={tenants.org_a.pk}"
    )
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]

    for bad, message in [
        ("abc", "“abc” is not a valid value."),
        ("1.5", "“1.5” is not a valid value."),
        (str(tenants.org_b.pk), f"Select a valid choice. {tenants.org_b.pk} is not one"),
        (str(2**70), f"Select a valid choice. {2**70} is not one"),
    ]:
        response = client.get(f"/api/v1/flags/?organization={tenants.org_a.pk}&organization={bad}")
        assert response.status_code == 400, bad
        assert response.json()["organization"][0].startswith(message), response.json()


def test_organization_filter_of_a_platform_reader_checks_the_ids_exist(tenants, api):
    # A superuser sees every organization, so the ids are checked against the table itself.
    superuser = UserFactory(is_superuser=True)
    client = api.session(superuser)
    response = client.get(f"/api/v1/flags/?organization={tenants.org_b.pk}")
    assert response.status_code == 200
    missing = Organization.objects.order_by("-pk").values_list("pk", flat=True).first() + 1
    response = client.get(f"/api/v1/flags/?organization={missing}")
    assert response.status_code == 400
    assert f"Select a valid choice. {missing} is not one" in response.json()["organization"][0]


def test_a_narrowed_filterset_keeps_only_the_named_filters_and_each_users_choices(tenants):
    """The narrowed FilterSet is built once per set of names; the organization filter's
    choices are still each request's user's."""
    data = QueryDict(f"organization={tenants.org_a.pk}&status=open")
    narrowed = filterset_narrowed(FlagFilterSet, filters_named(FlagFilterSet, data))

    def filterset(user: Any, query: QueryDict = data) -> django_filters.FilterSet:
        request = RequestFactory().get("/")
        request.user = user
        return narrowed(query, queryset=Flag.objects.all(), request=request)

    assert narrowed is filterset_narrowed(FlagFilterSet, frozenset({"organization", "status"}))
    assert list(narrowed.base_filters) == ["status", "organization"]
    member, outsider = filterset(tenants.analyst), filterset(tenants.outsider)
    assert member.is_valid(), member.errors
    # The outsider's form refuses the organization it cannot see.
    assert not outsider.is_valid()
    assert list(outsider.errors) == ["organization"]
    assert "not one of the available choices" in outsider.errors["organization"][0]
    ours = FlagFactory(item=InventoryItemFactory(organization=tenants.org_a), status="open")
    FlagFactory(item=InventoryItemFactory(organization=tenants.org_b), status="open")
    assert list(filterset(tenants.analyst).qs) == [ours]
