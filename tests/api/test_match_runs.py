"""Matching runs over the API: for platform readers only, since a run spans organizations."""

import pytest

from exposure.models import MatchRun
from tests.api.base import ListTests, RetrieveTests
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class TestMatchRuns(ListTests, RetrieveTests):
    basename = "matchrun"
    model = MatchRun
    reader = "editor"

    def make(self, tenants, organization):
        return MatchRun.objects.create(kind="organization", organization_ids=[organization.pk])


def test_organization_members_see_no_runs(tenants, api):
    run = MatchRun.objects.create(kind="advisory", advisory_ids=[1])
    client = api.session(tenants.owner)
    assert client.get("/api/v1/match-runs/").json()["results"] == []
    assert client.get(f"/api/v1/match-runs/{run.pk}/").status_code == 404


def test_an_organization_token_of_a_superuser_sees_no_runs(tenants, api):
    root = UserFactory(is_superuser=True)
    MatchRun.objects.create(kind="advisory", advisory_ids=[1])
    assert api.token(root).get("/api/v1/match-runs/").json()["count"] == 1
    narrowed = api.token(root, organization=tenants.org_a)
    assert narrowed.get("/api/v1/match-runs/").json()["count"] == 0


def test_a_run_in_progress_shows_its_chunks_and_flags_so_far(tenants, api):
    editor = UserFactory(is_advisory_editor=True)
    run = MatchRun.objects.create(kind="advisory", status="running", advisory_ids=[7])
    MatchRun.objects.create(kind="advisory", status="succeeded", advisory_ids=[8])
    for status, created, reopened in (("succeeded", 5, 1), ("pending", 0, 0), ("split", 3, 0)):
        MatchRun.objects.create(
            kind="chunk",
            status=status,
            parent=run,
            advisory_ids=[7],
            flags_created=created,
            flags_reopened=reopened,
        )

    body = api.session(editor).get("/api/v1/match-runs/", {"advisory": 7, "kind": "advisory"})

    [found] = body.json()["results"]
    assert (found["id"], found["status"]) == (run.pk, "running")
    assert (found["chunks_total"], found["chunks_done"], found["flags_so_far"]) == (2, 1, 6)
