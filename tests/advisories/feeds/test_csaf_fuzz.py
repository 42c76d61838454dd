"""A fuzz pass of the CSAF importer: real-shaped documents, mutated by Hypothesis (values
replaced by any JSON, NULs and control characters, unpaired surrogates, deep nesting; keys
removed), posted to the import endpoint. Every document is imported or refused with a reason,
never a server error, and a refused one leaves nothing behind."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from advisories.models import Advisory, AdvisoryRevision, AffectedTarget
from orgs.tokens import token_create
from tests.advisories.feeds.conftest import SHARED_FIXTURES, own_document
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/advisories/import-csaf/"


def _seeds() -> list[dict[str, Any]]:
    """Our own document, and the OASIS examples when the shared fixtures are beside us."""
    seeds = [own_document("acme-2026-0001.json")]
    for path in sorted((SHARED_FIXTURES / "csaf" / "examples").glob("*.json"))[:4]:
        seeds.append(json.loads(path.read_text()))
    return seeds


SEEDS = _seeds()

HOSTILE_TEXT = st.sampled_from(
    ["", "\u0000", "a\u0000b", "\u001b[2J", "\ud800", "\ufeff", "x" * 5000, "vers:generic/>=1|<"]
)
TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()))
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
    | HOSTILE_TEXT,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*path, index))
    return found


@st.composite
def mutated_documents(draw: st.DrawFn) -> bytes:
    document = json.loads(json.dumps(draw(st.sampled_from(SEEDS))))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(document)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "remove", "nest"]))
        if action == "remove" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "nest":
            nested: Any = parent[path[-1]]
            for _level in range(draw(st.integers(min_value=1, max_value=200))):
                nested = [nested]
            parent[path[-1]] = nested
        else:
            parent[path[-1]] = draw(JSON_VALUES)
    return json.dumps(document).encode()


def _stored() -> tuple[int, int, int]:
    return (
        Advisory.objects.count(),
        AffectedTarget.objects.count(),
        AdvisoryRevision.objects.count(),
    )


@pytest.fixture
def editor_client() -> APIClient:
    _token, text = token_create(
        user=UserFactory(is_advisory_editor=True), name="fuzz", access="read_write"
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {text}")
    return client


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(content=mutated_documents())
def test_a_mutated_document_is_imported_or_refused_with_a_reason(editor_client, content):
    before = _stored()

    response = editor_client.post(URL, content, content_type="application/json")

    assert response.status_code in (200, 201, 400), response.content[:500]
    if response.status_code == 400:
        assert response.json()["detail"]
        assert _stored() == before, "a refused document left rows behind"
    else:
        advisory = Advisory.objects.get(pk=response.json()["advisory"])
        assert advisory.revisions.exists()
