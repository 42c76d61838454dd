"""The campaign pages: who sees what (404 for another organization's plan, attestation and
evidence), the dashboard's order and numbers, and the forms that open, plan and attest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from campaigns.attestations import attestation_submit
from campaigns.choices import AttestationStatus
from campaigns.models import Attestation, Campaign, Evidence, Plan
from campaigns.services import campaign_open
from orgs.models import User
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


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def plan_url(campaign: Campaign, slug: str) -> str:
    return reverse("campaigns:plan_detail", kwargs={"pk": campaign.pk, "slug": slug})


def test_the_dashboard_lists_late_organizations_first_with_their_numbers(
    world: World, campaign: Campaign
) -> None:
    # The advisory is 40 days old: "identify" (D+30) is late for whoever has not attested.
    plan_b = Plan.objects.get(campaign=campaign, organization=world.tenants.org_b)
    attestation_submit(
        plan=Plan.objects.get(campaign=campaign, organization=world.tenants.org_a),
        milestone=campaign.milestones.get(key="identify"),
        user=world.tenants.owner,
        statement="Three clients found.",
    )

    response = signed_in(world.analyst).get(campaign.get_absolute_url())

    assert response.status_code == 200
    rows = response.context["dashboard"].rows
    assert [row.organization.slug for row in rows] == ["klinikum-beta", "stadtwerke-alpha"]
    assert [row.state for row in rows] == ["late", "submitted"]
    assert rows[0].plan == plan_b and rows[0].days_late == 10
    body = response.content.decode()
    assert '<svg viewBox="0 0 1200 260"' in body and "affected items remaining" in body
    assert response.context["dashboard"].items_at_start == 5


def test_the_dashboard_shows_its_organizations_a_page_at_a_time_late_first(
    world: World,
) -> None:
    from campaigns.choices import CampaignScope
    from tests.factories import OrganizationFactory

    OrganizationFactory.create_batch(60, sector="energy")
    campaign = campaign_open(
        advisory=world.advisory,
        user=world.analyst,
        scope=CampaignScope.PROFILE,
        scope_sectors=["energy"],
    )
    alpha = Plan.objects.get(campaign=campaign, organization=world.tenants.org_a)
    for milestone in campaign.milestones.all():
        attestation_submit(
            plan=alpha, milestone=milestone, user=world.tenants.owner, statement="Done."
        )
    client = signed_in(world.analyst)

    first = client.get(campaign.get_absolute_url())
    second = client.get(campaign.get_absolute_url(), {"page": "2"})

    # The totals and the milestone summary count all 62 organizations; the table shows 50.
    dashboard = first.context["dashboard"]
    assert len(dashboard.rows) == 62 and dashboard.items_at_start == 3
    assert dashboard.late == 61
    assert [row.state for row in first.context["rows"]] == ["late"] * 50
    assert [row.state for row in second.context["rows"]] == ["late"] * 11 + ["submitted"]
    assert "51–62 of 62" in second.content.decode()
    assert plan_url(campaign, "stadtwerke-alpha") in second.content.decode()
    assert plan_url(campaign, "stadtwerke-alpha") not in first.content.decode()


def test_an_organization_sees_only_its_own_line_of_the_campaign(
    world: World, campaign: Campaign
) -> None:
    response = signed_in(world.tenants.viewer).get(campaign.get_absolute_url())

    assert response.status_code == 200
    assert [row.organization for row in response.context["dashboard"].rows] == [world.tenants.org_a]
    assert response.context["dashboard"].items_at_start == 3
    assert "Klinikum Beta" not in response.content.decode()


def test_another_organizations_plan_attestation_and_evidence_answer_404(
    world: World, campaign: Campaign
) -> None:
    attestation = attestation_submit(
        plan=Plan.objects.get(campaign=campaign, organization=world.tenants.org_a),
        milestone=campaign.milestones.get(key="identify"),
        user=world.tenants.owner,
        statement="Three clients found.",
        files=[],
    )
    outsider = signed_in(world.tenants.outsider)
    slug = world.tenants.org_a.slug

    assert outsider.get(plan_url(campaign, slug)).status_code == 404
    assert outsider.get(plan_url(campaign, world.tenants.org_b.slug)).status_code == 200
    assert (
        outsider.post(
            reverse("campaigns:plan_edit", kwargs={"pk": campaign.pk, "slug": slug}),
            {"responsible": "Mallory"},
        ).status_code
        == 404
    )
    assert (
        outsider.post(
            reverse("campaigns:review", kwargs={"pk": attestation.pk}), {"decision": "accept"}
        ).status_code
        == 404
    )
    attestation.refresh_from_db()
    assert attestation.status == AttestationStatus.SUBMITTED
    attest = reverse("campaigns:attest", kwargs={"pk": campaign.pk, "slug": slug, "key": "plan"})
    assert outsider.post(attest, {"statement": "Forged by Beta."}).status_code == 404
    assert list(Attestation.objects.values_list("pk", flat=True)) == [attestation.pk]


def test_a_campaign_without_the_users_organizations_answers_404(world: World) -> None:
    campaign = campaign_open(
        advisory=world.advisory, user=world.analyst, scope="profile", scope_sectors=["energy"]
    )

    assert signed_in(world.tenants.outsider).get(campaign.get_absolute_url()).status_code == 404


def test_an_analyst_opens_a_campaign_from_the_advisory_page(world: World) -> None:
    client = signed_in(world.analyst)
    advisory_page = client.get(world.advisory.get_absolute_url()).content.decode()
    open_url = reverse("campaigns:campaign_open", kwargs={"advisory_pk": world.advisory.pk})
    assert open_url in advisory_page

    response = client.post(
        open_url,
        {
            "scope": "flagged",
            "days_identify": 14,
            "days_plan": 30,
            "days_removal_started": 60,
            "days_removed": 120,
            "replacement_products": [world.defender.pk],
        },
    )

    campaign = Campaign.objects.get(advisory=world.advisory)
    assert response.status_code == 302 and response.url == campaign.get_absolute_url()
    assert [m.offset_days for m in campaign.milestones.all()] == [14, 30, 60, 120]
    assert list(campaign.replacement_products.all()) == [world.defender]
    assert campaign.title in client.get(world.advisory.get_absolute_url()).content.decode()
    assert signed_in(world.tenants.owner).get(open_url).status_code == 403


def test_the_organization_page_shows_its_campaigns(world: World, campaign: Campaign) -> None:
    page = signed_in(world.tenants.viewer).get(world.tenants.org_a.get_absolute_url())

    assert plan_url(campaign, world.tenants.org_a.slug) in page.content.decode()


def test_an_admin_attests_through_the_page_with_evidence(world: World, campaign: Campaign) -> None:
    url = reverse(
        "campaigns:attest",
        kwargs={"pk": campaign.pk, "slug": world.tenants.org_a.slug, "key": "identify"},
    )

    response = signed_in(world.tenants.owner).post(
        url,
        {
            "identify-statement": "Scanned every site.",
            "identify-evidence": [SimpleUploadedFile("scan.pdf", PDF, "application/pdf")],
        },
    )

    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert evidence.name == "scan.pdf"
    assert evidence.attestation.statement == "Scanned every site."


def test_an_evidence_file_of_the_wrong_type_is_refused_on_the_page_and_nothing_is_stored(
    world: World, campaign: Campaign, evidence_root: Path
) -> None:
    url = reverse(
        "campaigns:attest",
        kwargs={"pk": campaign.pk, "slug": world.tenants.org_a.slug, "key": "identify"},
    )

    response = signed_in(world.tenants.owner).post(
        url,
        {
            "identify-statement": "Scanned every site.",
            "identify-evidence": [
                SimpleUploadedFile("tool.exe", b"MZ\x90\x00", "application/x-msdos-program")
            ],
        },
    )

    assert response.status_code == 400
    assert "tool.exe: evidence may be" in response.content.decode()
    assert not Attestation.objects.exists()
    assert not evidence_root.exists() or not any(evidence_root.iterdir())


def test_an_analyst_returns_an_attestation_with_a_reason_on_the_page(
    world: World, campaign: Campaign
) -> None:
    attestation = attestation_submit(
        plan=Plan.objects.get(campaign=campaign, organization=world.tenants.org_a),
        milestone=campaign.milestones.get(key="identify"),
        user=world.tenants.owner,
        statement="Three clients found.",
    )
    client = signed_in(world.analyst)
    page = client.get(plan_url(campaign, world.tenants.org_a.slug)).content.decode()
    assert reverse("campaigns:review", kwargs={"pk": attestation.pk}) in page

    client.post(
        reverse("campaigns:review", kwargs={"pk": attestation.pk}),
        {"decision": "return", "reason": "Attach the scan."},
    )

    attestation.refresh_from_db()
    assert attestation.status == AttestationStatus.RETURNED
    assert attestation.review_reason == "Attach the scan."


def test_milestones_are_moved_on_their_page(world: World, campaign: Campaign) -> None:
    milestones = list(campaign.milestones.all())
    data = {}
    for m in milestones:
        data[f"m{m.pk}-name"] = m.name
        data[f"m{m.pk}-due_on"] = m.due_on.isoformat()
    data[f"m{milestones[-1].pk}-due_on"] = "2099-12-31"

    response = signed_in(world.analyst).post(
        reverse("campaigns:milestones_edit", kwargs={"pk": campaign.pk}), data
    )

    assert response.status_code == 302
    assert str(campaign.milestones.last().due_on) == "2099-12-31"  # type: ignore[union-attr]
    assert (
        signed_in(world.tenants.owner)
        .get(reverse("campaigns:milestones_edit", kwargs={"pk": campaign.pk}))
        .status_code
        == 403
    )


def test_a_campaign_of_an_advisory_the_reader_may_not_read_is_not_found(
    world: World, campaign: Campaign
) -> None:
    from advisories.models import Advisory

    Advisory.objects.filter(pk=world.advisory.pk).update(tlp="red")
    viewer = signed_in(world.tenants.viewer)

    assert viewer.get(campaign.get_absolute_url()).status_code == 404
    assert viewer.get(plan_url(campaign, world.tenants.org_a.slug)).status_code == 404
    assert signed_in(world.analyst).get(campaign.get_absolute_url()).status_code == 404


def test_an_analyst_closes_a_campaign_and_nothing_more_is_attested(
    world: World, campaign: Campaign
) -> None:
    url = reverse("campaigns:campaign_close", kwargs={"pk": campaign.pk})

    assert signed_in(world.tenants.owner).post(url).status_code == 403
    assert signed_in(world.analyst).post(url).status_code == 302

    campaign.refresh_from_db()
    assert campaign.status == "closed" and campaign.closed_at is not None
    page = signed_in(world.tenants.owner).get(plan_url(campaign, world.tenants.org_a.slug))
    assert "Attest this milestone" not in page.content.decode()
    with pytest.raises(ValidationError, match="closed"):
        attestation_submit(
            plan=Plan.objects.get(campaign=campaign, organization=world.tenants.org_a),
            milestone=campaign.milestones.first(),
            user=world.tenants.owner,
            statement="Late.",
        )


def test_the_dashboard_asks_as_many_queries_for_many_organizations_as_for_two(
    world: World, campaign: Campaign, run_on_commit: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from campaigns.services import campaign_progress_record
    from orgs.services import inventory_item_create
    from tests.factories import OrganizationFactory

    client = signed_in(world.analyst)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(campaign.get_absolute_url()).status_code == 200
        return len(captured)

    two = queries()
    for n in range(5):
        run_on_commit(
            inventory_item_create,
            organization=OrganizationFactory(),
            data={"raw_vendor": "Kaspersky", "raw_product": world.kes.name, "version": f"11.{n}"},
        )
    campaign_progress_record(campaign=campaign)
    assert campaign.plans.count() == 7

    assert queries() == two
