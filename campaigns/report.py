"""The regulator report: a campaign as it stood at a moment (``selectors.campaign_state_at``),
as an XLSX workbook (openpyxl) and a PDF (WeasyPrint). Both are built from the same rows; the
PDF is an HTML template rendered offline (no resource is fetched from anywhere)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl import Workbook

from campaigns.choices import MilestoneState
from campaigns.selectors import CampaignAt, OrganizationAt
from exposure.report_pdf import pdf_from_html
from listing.pages import xlsx_bytes, xlsx_row

ORGANIZATION_HEADER = [
    "Organization",
    "Sector",
    "Criticality tier",
    "Joined",
    "Items at start",
    "Remaining",
    "Replaced",
    "State",
    "Replacement",
    "Responsible",
    "Target date",
]
ATTESTATION_HEADER = [
    "Organization",
    "Milestone",
    "Status",
    "When",
    "By",
    "Statement",
    "Evidence",
    "Review reason",
]


def _plan_replacement(row: OrganizationAt) -> str:
    parts = [row.plan.get("replacement_product", ""), row.plan.get("replacement_text", "")]
    return " — ".join(part for part in parts if part)


def organization_rows(state: CampaignAt) -> list[list[Any]]:
    """One line per organization: the report's main table, in both formats."""
    return [
        [
            row.organization.name,
            row.organization.get_sector_display(),
            row.organization.get_criticality_tier_display(),
            timezone.localdate(row.joined_at),
            row.items_at_start,
            row.remaining,
            row.replaced,
            row.state.label,
            _plan_replacement(row),
            row.plan.get("responsible", ""),
            date.fromisoformat(row.plan["target_date"]) if row.plan.get("target_date") else None,
            *(cell.state.label for cell in row.milestones),
        ]
        for row in state.organizations
    ]


def attestation_rows(state: CampaignAt) -> list[list[Any]]:
    return [
        [
            row.organization.name,
            record.milestone,
            record.status,
            timezone.localtime(record.at).replace(tzinfo=None),
            record.actor,
            record.statement,
            ", ".join(record.evidence),
            record.review_reason,
        ]
        for row in state.organizations
        for record in row.attestations
    ]


def report_xlsx(state: CampaignAt) -> bytes:
    """The report as a workbook: a summary, the organizations, the attestations."""
    book = Workbook(write_only=True)
    summary = book.create_sheet("Summary")
    campaign = state.campaign
    for label, value in (
        ("Campaign", campaign.title),
        ("Advisory", f"{campaign.advisory.identifier}: {campaign.advisory.title}"),
        ("As of", timezone.localtime(state.as_of).replace(tzinfo=None)),
        ("Organizations", len(state.organizations)),
        ("Affected items at start", state.items_at_start),
        ("Remaining", state.remaining),
        ("Replaced", state.replaced),
    ):
        summary.append(xlsx_row(summary, [label, value]))
    summary.append([])
    summary.append(xlsx_row(summary, ["Milestone", "Due on"], bold=True))
    for milestone in state.milestones:
        summary.append(
            xlsx_row(summary, [milestone["name"], date.fromisoformat(milestone["due_on"])])
        )
    organizations = book.create_sheet("Organizations")
    names = [milestone["name"] for milestone in state.milestones]
    organizations.append(xlsx_row(organizations, [*ORGANIZATION_HEADER, *names], bold=True))
    for row in organization_rows(state):
        organizations.append(xlsx_row(organizations, row))
    attestations = book.create_sheet("Attestations")
    attestations.append(xlsx_row(attestations, ATTESTATION_HEADER, bold=True))
    for row in attestation_rows(state):
        attestations.append(xlsx_row(attestations, row))
    return xlsx_bytes(book)


# The PDF lists each organization on one line of fixed-width text, its columns padded with
# spaces: WeasyPrint lays out a table cell (or an inline block) at about a millisecond each,
# so a table of 1,000 organizations took 20 s, while a line of text costs a tenth of a row of
# cells. The line holds what a reader of the PDF needs; the XLSX keeps every column and every
# attestation. Each column: header, width in characters, and whether it is aligned right.
PDF_LISTING_COLUMNS = [
    ("Organization", 34, False),
    ("State", 15, False),
    ("At start", 9, True),
    ("Remaining", 9, True),
    ("Replaced", 9, True),
]
PDF_MILESTONE_WIDTH = 9
PDF_PLAN_COLUMNS = [("Responsible", 22, False), ("Target date", 11, False)]
PDF_GAP = 2
# The milestone states as short as a column of the listing allows.
PDF_MILESTONE_STATES = {
    MilestoneState.LATE: "LATE",
    MilestoneState.RETURNED: "returned",
    MilestoneState.SUBMITTED: "in review",
    MilestoneState.PENDING: "pending",
    MilestoneState.ACCEPTED: "accepted",
}
# Lines of the listing per page, under its header line (the section starts a page, and each
# group of lines is a page of its own, so that every page has the header).
PDF_LINES_PER_PAGE = 50
# A4 landscape less the margins, in points, and DejaVu Sans Mono's advance (em per character).
PDF_LINE_POINTS = (297 - 2 * 12) / 25.4 * 72
MONOSPACE_ADVANCE = 0.602


def _fit(value: Any, width: int, right: bool) -> str:
    text = "" if value is None else str(value)
    if len(text) > width:
        text = text[: width - 1] + "…"
    return text.rjust(width) if right else text.ljust(width)


def _line(values: list[Any], columns: list[tuple[str, int, bool]]) -> str:
    gap = " " * PDF_GAP
    return gap.join(
        _fit(value, width, right) for value, (_h, width, right) in zip(values, columns, strict=True)
    )


def pdf_listing(state: CampaignAt) -> tuple[str, list[str], float]:
    """The PDF's organization listing: its header line, one line per organization (in the
    report's order) and the type size, in points, at which the longest line fits the page."""
    columns = [
        *PDF_LISTING_COLUMNS,
        *((f"M{n}", PDF_MILESTONE_WIDTH, False) for n in range(1, len(state.milestones) + 1)),
        *PDF_PLAN_COLUMNS,
    ]
    header = _line([name for name, _w, _r in columns], columns)
    lines = [
        _line(
            [
                row.organization.name,
                row.state.label,
                f"{row.items_at_start:,}",
                f"{row.remaining:,}",
                f"{row.replaced:,}",
                *(PDF_MILESTONE_STATES[cell.state] for cell in row.milestones),
                row.plan.get("responsible", ""),
                row.plan.get("target_date", ""),
            ],
            columns,
        )
        for row in state.organizations
    ]
    characters = sum(width for _h, width, _r in columns) + PDF_GAP * (len(columns) - 1)
    size = min(7.5, PDF_LINE_POINTS / (characters * MONOSPACE_ADVANCE))
    return header, lines, int(size * 10) / 10


def milestone_counts(state: CampaignAt) -> list[dict[str, Any]]:
    """Each milestone with how many organizations stood in each state on it."""
    counts = []
    for index, milestone in enumerate(state.milestones):
        by_state = {value: 0 for value in MilestoneState.values}
        for row in state.organizations:
            by_state[row.milestones[index].state] += 1
        counts.append({**milestone, "due_on": date.fromisoformat(milestone["due_on"]), **by_state})
    return counts


def report_html(state: CampaignAt) -> str:
    """The report as the HTML that becomes the PDF (``campaigns/report.html``): the summary,
    each milestone's organizations by state, and the organizations as a listing."""
    header, lines, size = pdf_listing(state)
    pages = [
        lines[start : start + PDF_LINES_PER_PAGE]
        for start in range(0, len(lines), PDF_LINES_PER_PAGE)
    ]
    return render_to_string(
        "campaigns/report.html",
        {
            "state": state,
            "campaign": state.campaign,
            "milestones": milestone_counts(state),
            "listing_header": header,
            "listing_pages": pages,
            "listing_size": size,
            "newline": "\n",
            "attestations": sum(len(row.attestations) for row in state.organizations),
            "generated_at": timezone.now(),
        },
    )


def report_pdf(state: CampaignAt) -> bytes:
    """The report as a PDF, rendered without network access."""
    return pdf_from_html(report_html(state))
