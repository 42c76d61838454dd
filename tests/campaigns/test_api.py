"""The campaigns API: the same tenant rule as the pages (own plan and evidence only, 404
otherwise), attestations with base64 evidence refused by name, reviews and progress."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from campaigns.models import Attestation, Campaign, Plan
from campaigns.services import campaign_open
from orgs.models import User
from orgs.tokens import token_create
from tests.campaigns.conftest import World
from tests.campaigns.test_attestations import PDF

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def evidence_root(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "evidence"
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {**settings.STORAGES["evidence"], "OPTIONS": {"location": root}},
    }
    return root


@pytest.fixture
def campaign(world: World) -> Campaign:
    return campaign_open(advisory=world.advisory, user=world.analyst)


def client_of(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def attest_body(plan: Plan, name: str = "scan.pdf", content: bytes = PDF) -> dict[str, Any]:
    return {
        "plan": plan.pk,
        "milestone": "identify",
        "statement": "Three clients found.",
        "evidence": [{"name": name, "content_base64": base64.b64encode(content).decode()}],
    }


def test_an_organization_lists_only_its_own_plan_and_analysts_every_one(
    world: World, campaign: Campaign
) -> None:
    own = client_of(world.tenants.viewer).get("/api/v1/campaign-plans/").json()
    every = client_of(world.analyst).get("/api/v1/campaign-plans/").json()

    assert [p["organization_name"] for p in own["results"]] == ["Stadtwerke Alpha"]
    assert sorted(p["organization_name"] for p in every["results"]) == [
        "Klinikum Beta",
        "Stadtwerke Alpha",
    ]


def test_an_admin_attests_with_base64_evidence_and_an_analyst_accepts(
    world: World, campaign: Campaign
) -> None:
    plan = Plan.objects.get(campaign=campaign, organization=world.tenants.org_a)

    created = client_of(world.tenants.owner).post(
        "/api/v1/campaign-attestations/", attest_body(plan), format="json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "submitted"
    assert body["evidence"][0]["name"] == "scan.pdf"

    reviewed = client_of(world.analyst).post(
        f"/api/v1/campaign-attestations/{body['id']}/review/", {"decision": "accept"}, format="json"
    )
    assert reviewed.status_code == 200
    assert reviewed.json()["status"] == "accepted"

    download = client_of(world.tenants.viewer).get(body["evidence"][0]["download"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]


def test_a_path_in_an_evidence_name_is_refused_naming_the_field_and_nothing_is_stored(
    world: World, campaign: Campaign, evidence_root: Path
) -> None:
    plan = Plan.objects.get(campaign=campaign, organization=world.tenants.org_a)

    response = client_of(world.tenants.owner).post(
        "/api/v1/campaign-attestations/",
        attest_body(plan, name="../../etc/scan.pdf"),
        format="json",
    )

    assert response.status_code == 400
    assert "path characters" in str(response.json()["evidence"])
    assert not Attestation.objects.exists()
    assert not evidence_root.exists() or not any(evidence_root.iterdir())


def test_another_organizations_plan_attestation_and_evidence_answer_404(
    world: World, campaign: Campaign
) -> None:
    plan = Plan.objects.get(campaign=campaign, organization=world.tenants.org_a)
    created = (
        client_of(world.tenants.owner)
        .post("/api/v1/campaign-attestations/", attest_body(plan), format="json")
        .json()
    )
    _token, secret = token_create(
        user=world.tenants.outsider, name="b", access="read_write", organization=world.tenants.org_b
    )
    outsider = APIClient()
    outsider.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert outsider.get(f"/api/v1/campaign-plans/{plan.pk}/").status_code == 404
    assert (
        outsider.patch(
            f"/api/v1/campaign-plans/{plan.pk}/", {"responsible": "Mallory"}, format="json"
        ).status_code
        == 404
    )
    assert outsider.get(f"/api/v1/campaign-attestations/{created['id']}/").status_code == 404
    evidence = created["evidence"][0]["id"]
    assert outsider.get(f"/api/v1/campaign-evidence/{evidence}/download/").status_code == 404
    # An id in a body that the user may not see is refused like a missing one: 400 naming it.
    refused = outsider.post("/api/v1/campaign-attestations/", attest_body(plan), format="json")
    assert refused.status_code == 400
    assert set(refused.json()) == {"plan"}
    assert not Attestation.objects.filter(plan=plan).exclude(pk=created["id"]).exists()
    assert [
        row["organization_name"]
        for row in outsider.get(f"/api/v1/campaigns/{campaign.pk}/progress/").json()["results"]
    ] == ["Klinikum Beta"]


def test_an_admin_changes_the_plan_and_a_viewer_may_not(world: World, campaign: Campaign) -> None:
    plan = Plan.objects.get(campaign=campaign, organization=world.tenants.org_a)
    url = f"/api/v1/campaign-plans/{plan.pk}/"

    refused = client_of(world.tenants.viewer).patch(url, {"responsible": "Eve"}, format="json")
    changed = client_of(world.tenants.owner).patch(
        url, {"responsible": "Ada", "replacement_product": world.defender.pk}, format="json"
    )

    assert refused.status_code == 403
    assert changed.status_code == 200, changed.content
    assert changed.json()["responsible"] == "Ada"
    plan.refresh_from_db()
    assert plan.replacement_product == world.defender


def test_progress_lists_organizations_late_first_a_page_at_a_time(
    world: World, campaign: Campaign
) -> None:
    client = client_of(world.analyst)
    url = f"/api/v1/campaigns/{campaign.pk}/progress/"

    first = client.get(url, {"page_size": 1}).json()
    second = client.get(first["next"]).json()
    detail = client.get(f"/api/v1/campaigns/{campaign.pk}/").json()

    assert first["count"] == 2
    assert first["previous"] is None
    assert second["next"] is None
    rows = first["results"] + second["results"]
    assert [row["organization_name"] for row in rows] == ["Klinikum Beta", "Stadtwerke Alpha"]
    assert [row["state"] for row in rows] == ["late", "late"]
    assert rows[0]["milestones"][0] == {"key": "identify", "state": "late"}
    assert detail["progress"] == {
        "organizations": 2,
        "late": 2,
        "items_at_start": 5,
        "remaining": 5,
        "replaced": 0,
    }
    assert client.get(url, {"page_size": 201}).status_code == 400


def test_progress_pages_and_totals_count_only_the_organizations_one_sees(
    world: World, campaign: Campaign
) -> None:
    client = client_of(world.tenants.viewer)

    page = client.get(f"/api/v1/campaigns/{campaign.pk}/progress/").json()
    detail = client.get(f"/api/v1/campaigns/{campaign.pk}/").json()

    assert page["count"] == 1
    assert [row["organization_name"] for row in page["results"]] == ["Stadtwerke Alpha"]
    assert detail["progress"]["organizations"] == 1
    assert detail["progress"]["items_at_start"] == 3


def test_the_schema_describes_progress_as_a_page_of_rows(world: World) -> None:
    schema = client_of(world.analyst).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    operation = schema.json()["paths"]["/api/v1/campaigns/{id}/progress/"]["get"]
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]

    assert {p["name"] for p in operation["parameters"]} >= {"page", "page_size"}
    assert body["$ref"].endswith("/PaginatedProgressRowList")
