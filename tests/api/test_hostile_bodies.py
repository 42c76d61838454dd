"""Every write operation of the API, generated from its OpenAPI schema, sent a body nested
1,000 levels deep and bodies with a NUL character in each string field in turn: no answer is
a server error, and nothing with a NUL is stored.

The bodies start from each operation's own request example (the schema has one for every
operation), with the ids of a small seeded world in place of the example's, so that the
requests reach the serializers and services rather than stopping at an unknown id.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from drf_spectacular.generators import SchemaGenerator

from exposure.choices import FlagStatus
from notifications.choices import ChannelKind
from notifications.services import channel_create
from tests.api.factories import FlagFactory
from tests.conftest import Tenants
from tests.factories import (
    AdvisoryFactory,
    InventoryItemFactory,
    ProductFactory,
    SourceFactory,
    VendorFactory,
)

WRITE_METHODS = ("post", "put", "patch")
DEPTH = 1_000


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method, path, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in WRITE_METHODS
    ]


OPERATIONS = _operations()


def _example(operation: dict[str, Any]) -> Any:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    examples = content.get("examples") or {}
    return next(iter(examples.values()))["value"] if examples else None


@pytest.fixture
def world(tenants: Tenants) -> dict[str, Any]:
    """One object of each kind a path or a body names, in organization A."""
    owner = tenants.owner
    owner.is_advisory_editor = True
    owner.save()
    vendor = VendorFactory(name="Acme")
    product = ProductFactory(vendor=vendor, name="Gateway")
    item = InventoryItemFactory(organization=tenants.org_a, product=product)
    flag = FlagFactory(organization=tenants.org_a, item=item, status=FlagStatus.OPEN)
    channel, _secret = channel_create(
        organization=tenants.org_a,
        kind=ChannelKind.EMAIL,
        actor=owner,
        name="SOC",
        recipients=["soc@example.org"],
    )
    source = SourceFactory(name="Acme PSIRT", slug="acme-psirt")
    membership = tenants.org_a.memberships.get(user=tenants.analyst)
    return {
        "ids": {
            "organization": tenants.org_a.pk,
            "user": tenants.analyst.pk,
            "assignee": tenants.analyst.pk,
            "vendor": vendor.pk,
            "parent": vendor.pk,
            "product": product.pk,
            "source": source.pk,
            "flags": [flag.pk],
        },
        "paths": {
            "advisories": AdvisoryFactory(source=source).pk,
            "flags": flag.pk,
            "inventory-items": item.pk,
            "memberships": membership.pk,
            "notification-channels": channel.pk,
            "organizations": tenants.org_a.pk,
            "products": product.pk,
            "sources": source.pk,
            "vendors": vendor.pk,
        },
    }


def _url(path: str, world: dict[str, Any]) -> str:
    collection = path.removeprefix("/api/v1/").split("/", 1)[0]
    return path.replace("{id}", str(world["paths"].get(collection, 1)))


def _seeded(path: str, world: dict[str, Any]) -> bool:
    collection = path.removeprefix("/api/v1/").split("/", 1)[0]
    return "{id}" not in path or collection in world["paths"]


def _with_world_ids(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {
            key: ids[key] if key in ids else _with_world_ids(child, ids)
            for key, child in value.items()
        }
    if isinstance(value, list):
        return [_with_world_ids(child, ids) for child in value]
    return value


def _string_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _string_paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _string_paths(child, (*path, index))
    elif isinstance(value, str):
        yield path


def _with_nul(body: Any, path: tuple[Any, ...]) -> Any:
    mutated = copy.deepcopy(body)
    target = mutated
    for key in path[:-1]:
        target = target[key]
    text = target[path[-1]]
    target[path[-1]] = f"{text[: len(text) // 2]}\u0000{text[len(text) // 2 :]}"
    return mutated


def _nul_stored() -> list[str]:
    """Text and JSON columns of the app's tables that hold a NUL (PostgreSQL refuses NUL in
    both; this guards against a path that stores it escaped)."""
    found = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            for field in model._meta.concrete_fields:
                if field.get_internal_type() not in ("CharField", "TextField", "JSONField"):
                    continue
                column = (
                    f'"{field.column}"::text'
                    if field.get_internal_type() == "JSONField"
                    else f'"{field.column}"'
                )
                cursor.execute(
                    f'SELECT 1 FROM "{model._meta.db_table}" '
                    f"WHERE strpos({column}, chr(92) || 'u0000') > 0 LIMIT 1"
                )
                if cursor.fetchone():
                    found.append(f"{model._meta.db_table}.{field.column}")
    return found


def _id(operation: tuple[str, str, dict[str, Any]]) -> str:
    return f"{operation[0].upper()} {operation[1]}"


@pytest.mark.django_db
@pytest.mark.parametrize("operation", OPERATIONS, ids=_id)
def test_a_body_nested_a_thousand_levels_deep_is_refused(operation, tenants, world, api):
    method, path, schema = operation
    body = '{"name": ' + "[" * DEPTH + "]" * DEPTH + "}"

    response = getattr(api.token(tenants.owner), method)(
        _url(path, world), body, content_type="application/json"
    )

    if "requestBody" in schema and _seeded(path, world):
        assert response.status_code in (400, 415), response.content[:300]
    else:
        # An action that takes no body (publish, rotate a secret) never reads it; an object
        # the world does not seed answers 404 before its body is read.
        assert response.status_code < 500, response.content[:300]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "operation",
    # Not the operations whose body holds no string at all (an assignee's id).
    [op for op in OPERATIONS if any(_string_paths(_example(op[2])))],
    ids=_id,
)
def test_a_nul_in_any_string_field_is_refused_or_removed_never_a_server_error(
    operation, tenants, world, api
):
    method, path, schema = operation
    body = _with_world_ids(_example(schema), world["ids"])
    client = api.token(tenants.owner)
    for string_path in _string_paths(body):
        response = getattr(client, method)(
            _url(path, world),
            json.dumps(_with_nul(body, string_path)),
            content_type="application/json",
        )
        assert response.status_code < 500, (string_path, response.content[:300])

    assert _nul_stored() == []
