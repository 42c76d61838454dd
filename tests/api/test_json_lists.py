"""Lists whose rows PostgreSQL renders as JSON (``config/api_json.py``) say exactly what DRF says.

Each list is read three ways and compared: rows rendered by the database, rows built in Python
from column values (asked for with ``indent``, which only the Python path honours) and DRF's own
serializer. The rows are made to hold what a renderer could get wrong: NULLs, missing related
rows, date-times with and without microseconds, and text with quotes, backslashes, control
characters and non-ASCII letters.
"""

import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import serializers

from api.serializers import StrictModelSerializer
from config.api_json import JSONRenderer, RenderedJSON, json_plan
from exposure.api.serializers import FlagSerializer
from exposure.choices import FlagStatus, ResolutionReason
from orgs.api.serializers import InventoryItemSerializer
from orgs.models import InventoryItem
from tests.api.factories import FlagFactory
from tests.api.test_representation import drf_body
from tests.config.test_prepared import _prepared_here
from tests.factories import InventoryItemFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

ODD_TEXT = 'Kühlung "Nord"\\Süd\tline\nbreak \x01 ✓ \u2028 \u2029'


def _statement(query: dict) -> str:
    """A logged query's SQL; for the execution of a prepared statement (config/prepared.py),
    the statement's text, as the connection prepared it."""
    name = re.match(r"EXECUTE (vw_\w+)", query["sql"])
    if name is None:
        return query["sql"]
    return _prepared_here()[name.group(1)]


def _three_ways(client, url, params, monkeypatch):
    """The body as the database renders it, as Python builds it from values, and as DRF does."""
    with CaptureQueriesContext(connection) as queries:
        database = client.get(url, params)
    assert database.status_code == 200, database.content
    assert any("row_to_json" in _statement(query) for query in queries), (
        "not rendered by PostgreSQL"
    )
    python = client.get(url, params, HTTP_ACCEPT="application/json; indent=2")
    assert python.status_code == 200
    assert b"\n  " in python.content, "the Python path would have indented"
    return json.loads(database.content), python.json(), drf_body(client, url, params, monkeypatch)


@pytest.fixture
def flags(tenants):
    org = tenants.org_a
    now = timezone.now()
    FlagFactory(
        item=InventoryItemFactory(organization=org, raw_product=ODD_TEXT),
        item_label=ODD_TEXT,
        assignee=tenants.analyst,
        priority=90,
    )
    FlagFactory(
        item=InventoryItemFactory(organization=org, product=ProductFactory()),
        status=FlagStatus.RISK_ACCEPTED,
        risk_accepted_until=timezone.localdate() + datetime.timedelta(days=30),
        status_reason='Ersatz im Frühjahr: "bald" ✓',
        due_date=None,
        priority=90,
    )
    gone = FlagFactory(
        item=InventoryItemFactory(organization=org),
        status=FlagStatus.RESOLVED,
        resolution_reason=ResolutionReason.ITEM_REMOVED,
        resolved_at=now.replace(microsecond=0),
        priority=10,
    )
    gone.item.delete()
    # Someone else's flag, which no list of org A may show.
    FlagFactory(item=InventoryItemFactory(organization=tenants.org_b))
    return gone


def test_flag_rows_rendered_by_the_database_are_what_drf_renders(tenants, api, flags, monkeypatch):
    database, python, drf = _three_ways(
        api.session(tenants.owner), "/api/v1/flags/", {}, monkeypatch
    )
    assert database == python == drf
    rows = {row["id"]: row for row in database["results"]}
    assert len(rows) == 3
    assert rows[flags.pk]["item"] is None
    assert rows[flags.pk]["resolved_at"] == flags.resolved_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert any(row["item_label"] == ODD_TEXT for row in rows.values())
    # The line separators JavaScript would end a line at are escaped, as DRF escapes them.
    body = api.session(tenants.owner).get("/api/v1/flags/").content
    assert "\u2028".encode() not in body and b"\\u2028" in body
    assert "\u2029".encode() not in body and b"\\u2029" in body
    assert any(row["assignee_username"] == tenants.analyst.username for row in rows.values())


def test_date_times_with_and_without_microseconds_render_as_drf_renders_them(
    tenants, api, monkeypatch
):
    org = tenants.org_a
    exact = timezone.now().replace(microsecond=0)
    FlagFactory(item=InventoryItemFactory(organization=org), resolved_at=exact)
    FlagFactory(
        item=InventoryItemFactory(organization=org), resolved_at=exact.replace(microsecond=7)
    )
    database, python, drf = _three_ways(
        api.session(tenants.owner), "/api/v1/flags/", {}, monkeypatch
    )
    assert database == python == drf
    shown = sorted(row["resolved_at"] for row in database["results"])
    whole = exact.strftime("%Y-%m-%dT%H:%M:%S")
    assert shown == [f"{whole}.000007Z", f"{whole}Z"]


def test_flag_pages_walk_forwards_and_backwards_as_the_python_path_does(
    tenants, api, flags, monkeypatch
):
    client = api.session(tenants.owner)
    first, python, drf = _three_ways(client, "/api/v1/flags/", {"page_size": 1}, monkeypatch)
    assert first == python == drf
    second, python, drf = _three_ways(client, first["next"], {}, monkeypatch)
    assert second == python == drf
    assert second["results"][0]["id"] != first["results"][0]["id"]
    back, python, drf = _three_ways(client, second["previous"], {}, monkeypatch)
    assert back == python == drf
    assert back["results"] == first["results"]


def test_filtered_and_ordered_flags_through_a_token(tenants, api, flags, monkeypatch):
    client = api.token(tenants.owner, organization=tenants.org_a)
    params = {"organization": tenants.org_a.pk, "ordering": "-first_seen_at", "page_size": 2}
    database, python, drf = _three_ways(client, "/api/v1/flags/", params, monkeypatch)
    assert database == python == drf
    assert len(database["results"]) == 2
    assert {row["organization"] for row in database["results"]} == {tenants.org_a.pk}


def test_inventory_rows_rendered_by_the_database_are_what_drf_renders(tenants, api, monkeypatch):
    org = tenants.org_a
    product = ProductFactory()
    InventoryItemFactory(organization=org, product=product, notes=ODD_TEXT, quantity=7)
    InventoryItemFactory(organization=org, product=None, cpe="", purl="pkg:npm/left-pad@1.0.0")
    InventoryItemFactory(organization=tenants.org_b)
    database, python, drf = _three_ways(
        api.session(tenants.owner), "/api/v1/inventory-items/", {}, monkeypatch
    )
    assert database == python == drf
    rows = {row["resolved"]: row for row in database["results"]}
    assert rows[True]["product_name"] == f"{product.vendor.name} {product.name}"
    assert rows[True]["notes"] == ODD_TEXT
    assert rows[False]["product_name"] is None and rows[False]["product"] is None
    assert InventoryItem.objects.filter(organization=org).count() == len(rows)


@pytest.mark.parametrize("url", ["/api/v1/flags/", "/api/v1/inventory-items/"])
def test_a_user_of_no_organization_gets_an_empty_page(tenants, api, flags, url):
    loner = UserFactory(username="loner")
    response = api.session(loner).get(url)
    assert response.status_code == 200
    assert response.json() == {"next": None, "previous": None, "results": []}


def test_another_time_zone_takes_the_python_path(tenants, api, flags):
    client = api.session(tenants.owner)
    with timezone.override("Europe/Berlin"), CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/flags/")
    assert response.status_code == 200
    assert not any("row_to_json" in _statement(query) for query in queries)
    # Berlin is an hour or two ahead of UTC: DRF's text carries the offset, not a Z.
    assert response.json()["results"][0]["first_seen_at"][-6:] in ("+01:00", "+02:00")


@pytest.mark.parametrize("serializer_class", [FlagSerializer, InventoryItemSerializer])
def test_the_big_lists_have_a_json_plan(serializer_class):
    # Without one the list would silently keep the slower Python path.
    assert json_plan(serializer_class) is not None


def test_a_field_the_database_cannot_render_leaves_the_list_in_python():
    class WithFloat(StrictModelSerializer[InventoryItem]):
        # A float of a number column: DRF renders 7 as 7.0, which the plan does not claim to do.
        share = serializers.FloatField(source="quantity", read_only=True)

        class Meta:
            model = InventoryItem
            fields = ["id", "share"]

    assert json_plan(WithFloat) is None


def test_the_renderer_sends_a_rendered_body_as_it_is_and_renders_anything_else():
    renderer = JSONRenderer()
    body = RenderedJSON(b'{"results":[{"a" : 1}]}')
    assert renderer.render(body) == b'{"results":[{"a" : 1}]}'
    assert renderer.render({"a": [1, "ü"]}) == '{"a":[1,"ü"]}'.encode()
