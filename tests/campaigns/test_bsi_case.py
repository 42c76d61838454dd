"""The BSI case end to end over the demo data: a campaign opened from the BSI's Kaspersky
warning, an organization plans and attests, its Kaspersky items are replaced through
inventory imports, progress and the burn-down follow, and a report for an earlier moment
shows what was true then."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from advisories.models import Advisory
from campaigns.attestations import attestation_review, attestation_submit
from campaigns.evidence import EvidenceFile
from campaigns.models import Plan
from campaigns.report import attestation_rows, organization_rows
from campaigns.selectors import campaign_burndown, campaign_dashboard, campaign_state_at
from campaigns.services import campaign_open, campaign_progress_record, plan_update
from orgs.importers.services import inventory_import_submit
from orgs.models import Organization, User
from vendors.models import Product

pytestmark = pytest.mark.django_db

BSI = "BSI-WARNING-2022-03-15-KASPERSKY"
KASPERSKY_ROWS = [
    ("ks-1", "Kaspersky", "Kaspersky Endpoint Security for Business", "11.10"),
    ("ks-2", "Kaspersky", "Kaspersky Endpoint Security for Business", "11.10"),
    ("ks-3", "Kaspersky", "Kaspersky Endpoint Security for Business", "11.11"),
]


def report_rows(state: Any) -> tuple[list[list[Any]], list[list[Any]]]:
    """The regulator report's two tables, as both its formats write them."""
    return organization_rows(state), attestation_rows(state)


def csv_file(rows: list[tuple[str, str, str, str]]) -> bytes:
    lines = ["external_ref,vendor,product,version", *(",".join(row) for row in rows)]
    return "\n".join(lines).encode()


@pytest.fixture
def demo(django_capture_on_commit_callbacks: Any, settings: Any, tmp_path: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {**settings.STORAGES["evidence"], "OPTIONS": {"location": tmp_path}},
    }
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", stdout=io.StringIO())


def test_the_bsi_kaspersky_warning_as_a_campaign(
    demo: None, run_on_commit: Callable[..., Any]
) -> None:
    advisory = Advisory.objects.get(identifier=BSI)
    analyst = User.objects.get(username="analyst")
    owner = User.objects.get(username="owner")
    nordhafen = Organization.objects.get(slug="stadtwerke-nordhafen")

    def upload(rows: list[tuple[str, str, str, str]]) -> None:
        job = run_on_commit(
            inventory_import_submit,
            organization=nordhafen,
            user=owner,
            file_format="csv",
            mode="replace",
            filename="cmdb-export.csv",
            content=csv_file(rows),
        )
        assert job.status == "succeeded", job.errors

    upload(KASPERSKY_ROWS)
    campaign = campaign_open(
        advisory=advisory,
        user=analyst,
        replacement_products=[Product.objects.get(name="Microsoft Defender for Endpoint")],
    )
    plan = Plan.objects.get(campaign=campaign, organization=nordhafen)
    at_start = plan.items_at_start
    assert at_start >= 3
    assert campaign.plans.count() >= 4  # the demo's Kaspersky users
    opened = timezone.now()

    plan_update(
        plan=plan,
        user=owner,
        data={
            "replacement_product": Product.objects.get(name="Microsoft Defender for Endpoint"),
            "responsible": "Olga Owner",
            "notes": "Plant 2: servers first",
        },
    )
    attestation = attestation_submit(
        plan=plan,
        milestone=campaign.milestones.get(key="identify"),
        user=owner,
        statement=f"{at_start} Kaspersky installations found.",
        files=[EvidenceFile("scan.csv", b"host,product\nsrv-1,Kaspersky\n")],
    )
    attestation_review(attestation=attestation, user=analyst, accept=True)
    accepted_at = timezone.now()
    report_then = report_rows(campaign_state_at(campaign=campaign, user=analyst, as_of=accepted_at))

    # The CMDB export now names Defender for ks-1 and no longer lists ks-2.
    upload(
        [
            ("ks-1", "Microsoft", "Microsoft Defender for Endpoint", "4.18"),
            KASPERSKY_ROWS[2],
        ]
    )
    campaign_progress_record(campaign=campaign)

    row = next(
        r for r in campaign_dashboard(campaign=campaign, user=analyst).rows if r.plan == plan
    )
    assert (row.items_at_start, row.remaining, row.replaced) == (at_start, at_start - 2, 2)
    assert row.cells[0].state == "accepted"
    burndown = campaign_burndown(campaign=campaign, user=analyst)
    total_at_start = sum(p.items_at_start for p in campaign.plans.all())
    assert burndown[-1][1] == total_at_start - 2

    then = campaign_state_at(campaign=campaign, user=analyst, as_of=opened)
    now = campaign_state_at(campaign=campaign, user=analyst, as_of=timezone.now())
    then_row = next(r for r in then.organizations if r.organization == nordhafen)
    now_row = next(r for r in now.organizations if r.organization == nordhafen)
    assert (then_row.remaining, then_row.replaced, then_row.attestations) == (at_start, 0, [])
    assert then_row.plan == {}
    assert (now_row.remaining, now_row.replaced) == (at_start - 2, 2)
    assert now_row.plan["responsible"] == "Olga Owner"
    assert [a.status for a in now_row.attestations] == ["Submitted, awaiting review", "Accepted"]
    assert then.remaining == total_at_start and now.remaining == total_at_start - 2

    # The report for the moment the attestation was accepted, made now, is what it said then.
    again = campaign_state_at(campaign=campaign, user=analyst, as_of=accepted_at)
    assert report_rows(again) == report_then
    assert report_rows(now) != report_then

    # An organization's own view of the same campaign is its line alone.
    hospital = User.objects.get(username="hospital")
    own = campaign_dashboard(campaign=campaign, user=hospital)
    assert {r.organization.slug for r in own.rows} <= {"klinikum-lindenau"}
