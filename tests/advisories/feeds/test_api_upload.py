"""POST /api/v1/advisories/import-csaf/: editors upload a CSAF document."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from advisories.models import Advisory
from orgs.choices import TokenAccess
from orgs.tokens import token_create
from tests.advisories.feeds.conftest import as_bytes
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/advisories/import-csaf/"


def _client(user, access=TokenAccess.READ_WRITE) -> APIClient:
    _token, text = token_create(user=user, name="feeds", access=access, organization=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {text}")
    return client


def test_an_editor_posts_a_document_and_then_the_same_again_changes_nothing(advisory_document):
    client = _client(UserFactory(is_advisory_editor=True))

    first = client.post(URL, as_bytes(advisory_document), content_type="application/json")
    again = client.post(URL, as_bytes(advisory_document), content_type="application/json")

    assert first.status_code == 201, first.json()
    assert first.json()["outcome"] == "imported"
    assert first.json()["identifier"] == "ACME-2026-0001"
    assert (again.status_code, again.json()["outcome"]) == (200, "unchanged")
    assert Advisory.objects.get().created_by.is_advisory_editor


def test_an_editor_uploads_a_document_as_a_file(advisory_document):
    client = APIClient()
    client.force_login(UserFactory(is_advisory_editor=True))
    upload = SimpleUploadedFile("acme.json", as_bytes(advisory_document), "application/json")

    response = client.post(URL, {"file": upload}, format="multipart")

    assert response.status_code == 201, response.json()


def test_a_refused_document_answers_400_with_its_problems(advisory_document):
    del advisory_document["document"]["tracking"]
    client = _client(UserFactory(is_advisory_editor=True))

    response = client.post(URL, as_bytes(advisory_document), content_type="application/json")

    assert response.status_code == 400
    assert response.json()["problems"][0]["path"] == "/document"
    assert "tracking" in response.json()["problems"][0]["message"]
    assert not Advisory.objects.exists()


@pytest.mark.parametrize(
    "editor, access", [(False, TokenAccess.READ_WRITE), (True, TokenAccess.READ)]
)
def test_only_editors_with_a_writing_token_may_import(advisory_document, editor, access):
    client = _client(UserFactory(is_advisory_editor=editor), access=access)

    response = client.post(URL, as_bytes(advisory_document), content_type="application/json")

    assert response.status_code == 403
    assert not Advisory.objects.exists()


def test_a_document_with_cosmetic_faults_is_imported_and_answers_with_its_violations(
    advisory_document,
):
    advisory_document["vulnerabilities"][0]["cwe"] = {"id": "CWE-200", "name": "Information leak"}
    client = _client(UserFactory(is_advisory_editor=True))

    response = client.post(URL, as_bytes(advisory_document), content_type="application/json")

    assert response.status_code == 201, response.json()
    [violation] = response.json()["violations"]
    assert violation["path"] == "/vulnerabilities/0/cwe/name"
    assert violation["message"].startswith("test 6.1.11 (Invalid CWE): CWE-200 name")
    assert Advisory.objects.get().source_violations == [violation]


@pytest.mark.parametrize(
    "path, text, problem",
    [
        ("/document/tracking/id", "ACME-2026-\u00000001", "contains a NUL character"),
        ("/document/title", "Acme Gateway\u0000", "contains a NUL character"),
        ("/document/title", "Acme \u001b[2J Gateway", "contains the control character U+001B"),
        ("/document/title", "Acme \ud800 Gateway", "contains an unpaired surrogate"),
    ],
)
def test_text_that_cannot_be_stored_is_refused_with_its_path(
    advisory_document, path, text, problem
):
    _, section, *rest = path.split("/")
    target = advisory_document[section]
    for key in rest[:-1]:
        target = target[key]
    target[rest[-1]] = text
    client = _client(UserFactory(is_advisory_editor=True))

    body = json.dumps(advisory_document).encode()  # ASCII escapes, as a JSON writer sends them
    response = client.post(URL, body, content_type="application/json")

    assert response.status_code == 400, response.content
    [found] = response.json()["problems"]
    assert found["path"] == path
    assert found["message"].startswith(problem)
    assert not Advisory.objects.exists()


def test_a_document_nested_a_thousand_levels_deep_is_refused():
    deep = b'{"document": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    client = _client(UserFactory(is_advisory_editor=True))

    response = client.post(URL, deep, content_type="application/json")

    assert response.status_code == 400
    assert "nests more than 64 levels" in response.json()["detail"]
