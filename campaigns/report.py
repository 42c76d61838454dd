"""The regulator report: a campaign as it stood at a moment (``selectors.campaign_state_at``),
as an XLSX workbook (openpyxl) and a PDF (WeasyPrint). Both are built from the same rows; the
PDF is an HTML template rendered offline (no resource is fetched from anywhere)."""

from __future__ import annotations

import unicodedata
from datetime import date
from itertools import groupby
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
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


# The PDF lists each organization on a line of fixed-width text, its columns padded with
# spaces: WeasyPrint lays out a table cell (or an inline block) at about a millisecond each,
# so a table of 1,000 organizations took 20 s, while a line of text costs a tenth of a row of
# cells. A text longer than its column (a long organization name) goes on in the same column
# on continuation lines, indented, rather than being cut. The line holds what a reader of the
# PDF needs; the XLSX keeps every column and every attestation. Each column: header, width in
# cells, and whether it is aligned right.
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
PDF_CONTINUATION_INDENT = 2
# The milestone states as short as a column of the listing allows.
PDF_MILESTONE_STATES = {
    MilestoneState.LATE: "LATE",
    MilestoneState.RETURNED: "returned",
    MilestoneState.SUBMITTED: "in review",
    MilestoneState.PENDING: "pending",
    MilestoneState.ACCEPTED: "accepted",
}
# Lines of the listing per page, under its header line (the section starts a page, and each
# group of lines is a page of its own, so that every page has the header). An organization's
# lines stay on one page.
PDF_LINES_PER_PAGE = 50
# A4 landscape less the margins, in points, and DejaVu Sans Mono's advance (em per character).
PDF_LINE_POINTS = (297 - 2 * 12) / 25.4 * 72
MONOSPACE_ADVANCE = 0.602
WIDE = ("W", "F")


def _cells(character: str) -> int:
    if unicodedata.combining(character):
        return 0
    return 2 if unicodedata.east_asian_width(character) in WIDE else 1


def display_width(text: str) -> int:
    """The cells ``text`` takes in a fixed-width line: two for a wide or full-width character
    (Chinese, Japanese, Korean), none for a combining mark, one for any other."""
    return len(text) if text.isascii() else sum(_cells(character) for character in text)


def _split(word: str, width: int) -> tuple[str, str]:
    """The longest start of ``word`` that fits in ``width`` cells (at least one character),
    and the rest."""
    used = 0
    for index, character in enumerate(word):
        used += _cells(character)
        if used > width and index:
            return word[:index], word[index:]
    return word, ""


def wrap_cells(text: str, width: int) -> list[str]:
    """``text`` in pieces of at most ``width`` cells: the first as it starts, the others
    indented as continuations; broken between words, and inside a word (a name written
    without spaces, as Chinese and Japanese are) only where the word alone is too wide."""
    if display_width(text) <= width:
        return [text]
    indent = " " * PDF_CONTINUATION_INDENT
    pieces: list[str] = []
    line = ""
    for word in text.split():
        room = width - (len(indent) if pieces else 0)
        joined = f"{line} {word}" if line else word
        if display_width(joined) <= room:
            line = joined
            continue
        if line:
            pieces.append(line)
            line, room = "", width - len(indent)
        while display_width(word) > room:
            head, word = _split(word, room)
            pieces.append(head)
            room = width - len(indent)
        line = word
    if line:
        pieces.append(line)
    return [pieces[0], *(indent + piece for piece in pieces[1:])]


def _pad(text: str, width: int, right: bool) -> str:
    padding = " " * (width - display_width(text))
    return padding + text if right else text + padding


def listing_lines(values: list[Any], columns: list[tuple[str, int, bool]]) -> list[str]:
    """One organization's lines of the listing: its values in their columns, a value too
    long for its column continued on the lines below."""
    cells = [
        wrap_cells("" if value is None else str(value), width)
        for value, (_h, width, _r) in zip(values, columns, strict=True)
    ]
    gap = " " * PDF_GAP
    # Without the spaces at the end, which the PDF would otherwise lay out and write.
    return [
        gap.join(
            _pad(pieces[index] if index < len(pieces) else "", width, right)
            for pieces, (_h, width, right) in zip(cells, columns, strict=True)
        ).rstrip()
        for index in range(max(len(pieces) for pieces in cells))
    ]


def pdf_listing(state: CampaignAt) -> tuple[str, list[list[str]], float]:
    """The PDF's organization listing: its header line, each organization's lines (in the
    report's order) and the type size, in points, at which the longest line fits the page."""
    columns = [
        *PDF_LISTING_COLUMNS,
        *((f"M{n}", PDF_MILESTONE_WIDTH, False) for n in range(1, len(state.milestones) + 1)),
        *PDF_PLAN_COLUMNS,
    ]
    header = listing_lines([name for name, _w, _r in columns], columns)[0]
    entries = [
        listing_lines(
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
    return header, entries, int(size * 10) / 10


def _line_html(line: str) -> str:
    """A line of the listing as HTML. A run of wide characters is set in a box exactly as
    many cells wide as it counts, whatever the advance of the font that draws it (DejaVu Sans
    Mono has no CJK glyphs; a fallback font's are rarely two of its cells), so the columns
    after it stay aligned. (A ``ch`` is the advance of "0": one cell.)"""
    if line.isascii():
        return escape(line)
    parts = []
    for wide, run in groupby(line, key=lambda c: unicodedata.east_asian_width(c) in WIDE):
        text = "".join(run)
        parts.append(
            f'<span class="wide" style="width: {2 * len(text)}ch">{escape(text)}</span>'
            if wide
            else escape(text)
        )
    return "".join(parts)


def listing_pages(entries: list[list[str]]) -> list[str]:
    """The listing's lines in pages of at most ``PDF_LINES_PER_PAGE`` (an organization with
    more lines than that on a page of its own), each page as the HTML of its lines."""
    pages: list[list[str]] = []
    page: list[str] = []
    for entry in entries:
        if page and len(page) + len(entry) > PDF_LINES_PER_PAGE:
            pages.append(page)
            page = []
        page.extend(entry)
    if page:
        pages.append(page)
    return [mark_safe("\n".join(_line_html(line) for line in lines)) for lines in pages]  # noqa: S308 - each line escaped


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
    header, entries, size = pdf_listing(state)
    return render_to_string(
        "campaigns/report.html",
        {
            "state": state,
            "campaign": state.campaign,
            "milestones": milestone_counts(state),
            "listing_header": header,
            "listing_pages": listing_pages(entries),
            "listing_size": size,
            "attestations": sum(len(row.attestations) for row in state.organizations),
            "generated_at": timezone.now(),
        },
    )


def report_pdf(state: CampaignAt) -> bytes:
    """The report as a PDF, rendered without network access."""
    return pdf_from_html(report_html(state))
