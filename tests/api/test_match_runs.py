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
