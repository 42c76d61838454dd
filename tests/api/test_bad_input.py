"""Bad input answers 4xx naming what is wrong, never 500: numbers beyond the database's range,
JSON nested beyond reason or larger than allowed."""

from __future__ import annotations

import json

import pytest

from tests.api.factories import FlagFactory

pytestmark = pytest.mark.django_db

BEYOND_BIGINT = str(2**63)


@pytest.mark.parametrize("param", ["advisory", "item", "assignee"])
@pytest.mark.parametrize("value", [BEYOND_BIGINT, "-" + str(2**63 + 1), "9" * 40])
def test_a_flag_filter_beyond_bigint_answers_400_naming_it(tenants, api, param, value):
    FlagFactory(organization=tenants.org_a)

    response = api.token(tenants.viewer).get("/api/v1/flags/", {param: value})

    assert response.status_code == 400
    assert list(response.json()) == [param]


def test_the_largest_bigint_is_still_a_valid_filter(tenants, api):
    FlagFactory(organization=tenants.org_a)

    response = api.token(tenants.viewer).get("/api/v1/flags/", {"advisory": str(2**63 - 1)})

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_the_flag_page_with_a_filter_beyond_bigint_answers(client, tenants):
    FlagFactory(organization=tenants.org_a)
    client.force_login(tenants.viewer)

    response = client.get("/flags/", {"advisory": BEYOND_BIGINT, "assignee": BEYOND_BIGINT})

    assert response.status_code == 200


@pytest.mark.parametrize("depth", [33, 1_000, 100_000])
def test_a_body_nested_too_deep_answers_400(tenants, api, depth):
    body = '{"organization": ' + "[" * depth + "]" * depth + "}"

    response = api.token(tenants.owner).post(
        "/api/v1/inventory-items/", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert "nests more than 32 levels" in response.json()["detail"]


def test_a_body_at_the_depth_limit_is_read(tenants, api):
    body = {"organization": tenants.org_a.pk, "raw_product": "Widget", "notes": "x"}
    nested: object = "deep"
    for _ in range(30):
        nested = [nested]
    body["extra"] = nested

    response = api.token(tenants.owner).post("/api/v1/inventory-items/", body, format="json")

    # Read, then refused by the serializer for the unknown field: not a parse error.
    assert response.status_code == 400
    assert "extra" in response.json()


def test_a_body_larger_than_allowed_answers_413_before_it_is_read(tenants, api, settings):
    settings.API_JSON_MAX_BYTES = 1_000
    body = json.dumps({"organization": tenants.org_a.pk, "raw_product": "W", "notes": "x" * 2_000})

    response = api.token(tenants.owner).post(
        "/api/v1/inventory-items/", body, content_type="application/json"
    )

    assert response.status_code == 413
    assert "larger than 1000 bytes" in response.json()["detail"]
    small = json.dumps({"organization": tenants.org_a.pk, "raw_product": "W"})
    assert (
        api.token(tenants.owner)
        .post("/api/v1/inventory-items/", small, content_type="application/json")
        .status_code
        == 201
    )


@pytest.mark.parametrize(
    "field, text, problem",
    [
        ("raw_product", "Gate\u0000way", "contains a NUL character"),
        ("notes", "rolled out \u001b[2J", "contains the control character U+001B"),
        ("version", "1.0\u007f", "contains the control character U+007F"),
        ("external_ref", "CMDB-\ud800", "contains an unpaired surrogate, which is not text"),
    ],
)
def test_a_control_character_in_any_string_answers_400_naming_the_field(
    tenants, api, field, text, problem
):
    body = {"organization": tenants.org_a.pk, "raw_product": "Gateway", field: text}

    response = api.token(tenants.owner).post(
        "/api/v1/inventory-items/", json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {field: [problem]}


def test_tabs_and_line_breaks_are_text(tenants, api):
    body = {"organization": tenants.org_a.pk, "raw_product": "Gateway", "notes": "a\tb\r\nc"}

    response = api.token(tenants.owner).post("/api/v1/inventory-items/", body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["notes"] == "a\tb\r\nc"
