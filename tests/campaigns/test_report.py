"""The regulator report: what was true at a past moment, rebuilt from the campaign's history,
as XLSX and PDF, over the organizations the reader may see."""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from campaigns.attestations import attestation_review, attestation_submit
from campaigns.models import Campaign, Plan
from campaigns.report import organization_rows, report_html
from campaigns.selectors import campaign_state_at
from campaigns.services import campaign_open, campaign_progress_record, plan_update
from orgs.models import Organization
from orgs.services import inventory_item_delete
from tests.campaigns.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(world: World) -> Campaign:
    return campaign_open(advisory=world.advisory, user=world.analyst)


def line(state: Any, organization: Organization) -> Any:
    return next(row for row in state.organizations if row.organization == organization)


def test_a_report_for_an_earlier_moment_shows_what_was_true_then(
    world: World, campaign: Campaign, run_on_commit: Callable[..., Any]
) -> None:
    org_a = world.tenants.org_a
    plan = Plan.objects.get(campaign=campaign, organization=org_a)
    before = timezone.now()

    plan_update(plan=plan, user=world.tenants.owner, data={"responsible": "Ada"})
    run_on_commit(inventory_item_delete, item=world.items_a[0])
    campaign_progress_record(campaign=campaign)
    attestation = attestation_submit(
        plan=plan,
        milestone=campaign.milestones.get(key="identify"),
        user=world.tenants.owner,
        statement="Found three.",
    )
    attestation_review(attestation=attestation, user=world.analyst, accept=True)

    then = line(campaign_state_at(campaign=campaign, user=world.analyst, as_of=before), org_a)
    assert (then.items_at_start, then.remaining, then.replaced) == (3, 3, 0)
    assert then.plan == {}
    assert then.attestations == []
    assert [m.state for m in then.milestones][:2] == ["late", "pending"]

    now = line(
        campaign_state_at(campaign=campaign, user=world.analyst, as_of=timezone.now()), org_a
    )
    assert (now.items_at_start, now.remaining, now.replaced) == (3, 2, 1)
    assert now.plan["responsible"] == "Ada"
    assert [a.status for a in now.attestations] == ["Submitted, awaiting review", "Accepted"]
    assert now.milestones[0].state == "accepted"


def test_the_xlsx_report_lists_each_organization_and_keeps_text_as_text(
    world: World, campaign: Campaign
) -> None:
    Organization.objects.filter(pk=world.tenants.org_b.pk).update(name='=HYPERLINK("x")')
    client = Client()
    client.force_login(world.analyst)

    response = client.get(
        reverse("campaigns:report", kwargs={"pk": campaign.pk}),
        {"date": timezone.localdate().isoformat(), "format": "xlsx"},
    )

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book["Organizations"].iter_rows(values_only=True))
    assert rows[0][:8] == (
        "Organization",
        "Sector",
        "Criticality tier",
        "Joined",
        "Items at start",
        "Remaining",
        "Replaced",
        "State",
    )
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Stadtwerke Alpha"][4:7] == (3, 3, 0)
    cell = next(c for c in book["Organizations"]["A"] if c.value == '=HYPERLINK("x")')
    assert cell.data_type == "s"


def test_the_pdf_report_is_a_pdf_and_an_organization_reads_only_its_own(
    world: World, campaign: Campaign
) -> None:
    client = Client()
    client.force_login(world.tenants.viewer)
    url = reverse("campaigns:report", kwargs={"pk": campaign.pk})
    today = timezone.localdate().isoformat()

    pdf = client.get(url, {"date": today, "format": "pdf"})
    xlsx = client.get(url, {"date": today, "format": "xlsx"})

    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    names = [
        row[0]
        for row in load_workbook(io.BytesIO(xlsx.content))["Organizations"].iter_rows(
            min_row=2, values_only=True
        )
    ]
    assert names == ["Stadtwerke Alpha"]


def test_a_future_or_pre_campaign_date_is_refused_naming_the_field(
    world: World, campaign: Campaign
) -> None:
    client = Client()
    client.force_login(world.analyst)
    url = reverse("campaigns:report", kwargs={"pk": campaign.pk})
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    future = client.get(url, {"date": tomorrow.isoformat(), "format": "xlsx"})
    early = client.get(url, {"date": "2001-01-01", "format": "pdf"})

    assert future.status_code == 400 and future.content.decode().startswith("date: ")
    assert early.status_code == 400 and "opened on" in early.content.decode()


def test_the_pdf_lists_each_organization_in_the_xlsx_order_a_long_name_continued_below(
    world: World, campaign: Campaign
) -> None:
    long_name = "Klinikum Beta of the Very Long Name Indeed, Anstalt des öffentlichen Rechts"
    Organization.objects.filter(pk=world.tenants.org_b.pk).update(name=long_name)
    plan = Plan.objects.get(campaign=campaign, organization=world.tenants.org_a)
    plan_update(plan=plan, user=world.tenants.owner, data={"responsible": "Ada Lovelace"})
    attestation_submit(
        plan=plan,
        milestone=campaign.milestones.get(key="identify"),
        user=world.tenants.owner,
        statement="Three found.",
    )
    state = campaign_state_at(campaign=campaign, user=world.analyst, as_of=timezone.now())

    html = report_html(state)

    listing = html[html.index('<section class="listing">') :]
    header, text = re.findall(r"<pre><b>([^<]*)</b>\n([^<]*)</pre>", listing)[0]
    lines = text.split("\n")
    assert header.split() == [
        "Organization",
        "State",
        "At",
        "start",
        "Remaining",
        "Replaced",
        "M1",
        "M2",
        "M3",
        "M4",
        "Responsible",
        "Target",
        "date",
    ]
    # The whole name is there, in its column, over as many lines as it needs, nothing cut.
    assert [line[:34].rstrip() for line in lines] == [
        "Klinikum Beta of the Very Long",
        "  Name Indeed, Anstalt des",
        "  öffentlichen Rechts",
        "Stadtwerke Alpha",
    ]
    assert " ".join(line[:34].strip() for line in lines[:3]) == long_name
    assert [row[0] for row in organization_rows(state)] == [long_name, "Stadtwerke Alpha"]
    assert "…" not in listing
    beta, continued, more, alpha = (line[34:].split() for line in lines)
    assert beta == ["Late", "2", "2", "0", "LATE", "pending", "pending", "pending"]
    assert continued == more == []
    assert alpha == [
        "Awaiting", "review", "3", "3", "0", "in", "review", "pending", "pending", "pending",
        "Ada", "Lovelace",
    ]  # fmt: skip
    # The columns line up under the header.
    assert {line.index("Late") if "Late" in line else line.index("Awaiting") for line in lines
            if line[34:].strip()} == {header.index("State")}  # fmt: skip
    assert "Three found." not in html and "Attestations and reviews</td><td>1 by then" in html
    assert '<td class="num">1</td>' in html  # "identify": one organization late, one awaiting


def test_wide_characters_count_two_cells_so_the_columns_after_a_cjk_name_line_up(
    world: World, campaign: Campaign
) -> None:
    from campaigns.report import display_width, pdf_listing

    cjk = "東京電力ホールディングス株式会社福島第一原子力発電所"  # 26 characters, 52 cells
    Organization.objects.filter(pk=world.tenants.org_b.pk).update(name=cjk)
    state = campaign_state_at(campaign=campaign, user=world.analyst, as_of=timezone.now())

    header, entries, _size = pdf_listing(state)
    html = report_html(state)

    [[alpha]] = [entry for entry in entries if entry[0].startswith("Stadtwerke")]
    [[first, second]] = [entry for entry in entries if entry[0].startswith(cjk[0])]
    assert display_width(cjk) == 52 and display_width("Stadtwerke Alpha") == 16
    # Cut after 17 characters (34 cells), the rest continued on the next line.
    assert first.startswith(cjk[:17] + "  Late") and second.strip() == cjk[17:]
    for column, text in (("State", "Late"), ("M1", "LATE")):
        assert display_width(first[: first.index(text)]) == header.index(column)
        assert alpha.index(text) == header.index(column)
    # In the PDF a run of wide characters is a box as wide as the cells it counts.
    assert f'<span class="wide" style="width: 34ch">{cjk[:17]}</span>  Late' in html
    assert f'<span class="wide" style="width: 18ch">{cjk[17:]}</span>' in html


def test_a_name_is_broken_between_words_and_inside_a_word_only_when_it_alone_is_too_long() -> None:
    from campaigns.report import wrap_cells

    assert wrap_cells("Stadtwerke Alpha", 34) == ["Stadtwerke Alpha"]
    assert wrap_cells("Stadtwerke Alpha Beta", 12) == ["Stadtwerke", "  Alpha Beta"]
    assert wrap_cells("Donaudampfschifffahrtsgesellschaft mbH", 12) == [
        "Donaudampfsc",
        "  hifffahrts",
        "  gesellscha",
        "  ft mbH",
    ]
    assert wrap_cells("株式会社", 5) == ["株式", "  会", "  社"]


def test_a_report_keeps_each_attestation_under_the_milestone_as_then_named_and_dated(
    world: World, campaign: Campaign
) -> None:
    from campaigns.services import milestone_update

    identify = campaign.milestones.get(key="identify")
    plan_a = Plan.objects.get(campaign=campaign, organization=world.tenants.org_a)
    plan_b = Plan.objects.get(campaign=campaign, organization=world.tenants.org_b)
    attestation_submit(
        plan=plan_a, milestone=identify, user=world.tenants.owner, statement="Three found."
    )
    plan_update(plan=plan_b, user=world.tenants.outsider, data={"responsible": "Bea"})
    plan_update(plan=plan_b, user=world.tenants.outsider, data={"responsible": "Ben"})
    before_the_move = timezone.now()
    later = timezone.localdate() + datetime.timedelta(days=10)
    milestone_update(milestone=identify, user=world.analyst, due_on=later, name="Find them")
    attestation_submit(
        plan=plan_b, milestone=identify, user=world.tenants.outsider, statement="Two found."
    )

    then = campaign_state_at(campaign=campaign, user=world.analyst, as_of=before_the_move)
    now = campaign_state_at(campaign=campaign, user=world.analyst, as_of=timezone.now())
    own = campaign_state_at(campaign=campaign, user=world.tenants.viewer, as_of=timezone.now())

    assert then.milestones[0]["name"] == "Identify the affected products"
    assert line(then, world.tenants.org_b).milestones[0].state == "late"
    assert line(then, world.tenants.org_b).plan["responsible"] == "Ben"
    assert now.milestones[0]["name"] == "Find them"
    assert [a.milestone for a in line(now, world.tenants.org_a).attestations] == [
        "Identify the affected products"
    ]
    assert [a.milestone for a in line(now, world.tenants.org_b).attestations] == ["Find them"]
    assert [row.organization for row in own.organizations] == [world.tenants.org_a]
    assert [a.statement for a in own.organizations[0].attestations] == ["Three found."]


def test_the_pdf_listing_repeats_its_header_on_each_page_and_shrinks_to_fit_many_milestones(
    world: World, campaign: Campaign
) -> None:
    from campaigns.choices import MilestoneState
    from campaigns.report import MONOSPACE_ADVANCE, PDF_LINE_POINTS, pdf_listing
    from campaigns.selectors import MilestoneAt, OrganizationAt

    state = campaign_state_at(campaign=campaign, user=world.analyst, as_of=timezone.now())
    row = state.organizations[0]
    state.organizations = [
        OrganizationAt(
            organization=Organization(name=f"Operator {n:03d}"),
            joined_at=row.joined_at,
            items_at_start=1200,
            remaining=1000,
            replaced=200,
            plan={},
            milestones=row.milestones,
            attestations=[],
            state=MilestoneState.LATE,
        )
        for n in range(120)
    ]

    state.organizations[49].organization.name = "Operator 049 with a name long enough to wrap"
    pages = re.findall(r"<pre><b>([^<]*)</b>\n([^<]*)</pre>", report_html(state))

    # The 50th organization's two lines do not fit on the first page: both go to the second.
    assert [len(text.split("\n")) for _header, text in pages] == [49, 50, 22]
    assert pages[1][1].split("\n")[:2] == pdf_listing(state)[1][49]
    assert {header for header, _text in pages} == {pdf_listing(state)[0]}
    assert pages[2][1].split("\n")[-1].split()[:5] == ["Operator", "119", "Late", "1,200", "1,000"]
    _header, entries, size = pdf_listing(state)
    assert size == 7.5 and len(entries[0][0]) * size * MONOSPACE_ADVANCE <= PDF_LINE_POINTS

    many = [MilestoneAt(f"m{n}", f"Step {n}", row.milestones[0].due_on, row.milestones[0].state)
            for n in range(9)]  # fmt: skip
    for organization in state.organizations:
        organization.milestones = many
    state.milestones = [{"key": m.key, "name": m.name, "due_on": "2030-01-01"} for m in many]
    _header, entries, size = pdf_listing(state)
    assert size < 7.5 and len(entries[0][0]) * size * MONOSPACE_ADVANCE <= PDF_LINE_POINTS
