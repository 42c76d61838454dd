"""The regulator report: a campaign as it stood at a moment (``selectors.campaign_state_at``),
as an XLSX workbook (openpyxl) and a PDF (WeasyPrint). Both are built from the same rows; the
PDF is an HTML template rendered offline (no resource is fetched from anywhere)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl import Workbook

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
# The PDF's organization columns: each header with its width class (``campaigns/report.html``;
# a fixed table layout spares WeasyPrint from measuring every cell). Milestones share the rest.
PDF_ORGANIZATION_WIDTHS = [
    "name",
    "short",
    "short",
    "date",
    "num",
    "num",
    "num",
    "state",
    "",
    "",
    "date",
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


def report_html(state: CampaignAt) -> str:
    """The report as the HTML that becomes the PDF (``campaigns/report.html``)."""
    return render_to_string(
        "campaigns/report.html",
        {
            "state": state,
            "campaign": state.campaign,
            "organization_header": list(
                zip(ORGANIZATION_HEADER, PDF_ORGANIZATION_WIDTHS, strict=True)
            ),
            "organizations": organization_rows(state),
            "attestations": attestation_rows(state),
            "generated_at": timezone.now(),
        },
    )


def report_pdf(state: CampaignAt) -> bytes:
    """The report as a PDF, rendered without network access."""
    return pdf_from_html(report_html(state))
