"""The reports page (SLA compliance, ageing, time to resolve, per organization and per sector),
its lists as CSV and XLSX, and an organization's printable report as PDF."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from advisories.choices import Severity
from exposure.charts import bars, line_chart
from exposure.dashboard import open_flag_trend
from exposure.report_pdf import organization_report_pdf
from exposure.reports import (
    AGE_BUCKETS,
    REPORT_PERIODS,
    Resolution,
    ResolutionReport,
    resolution_report,
)
from exposure.selectors import flags_overdue, org_exposure_summary
from listing.pages import csv_response, paginate, xlsx_response
from orgs.models import Organization

# Rows of the organization table per page.
ORGANIZATION_ROWS = 50
# Overdue flags listed in an organization's PDF report (the count says how many there are).
PDF_OVERDUE_ROWS = 50

FIGURE_COLUMNS: tuple[tuple[str, Callable[[Resolution], Any]], ...] = (
    ("open_flags", lambda r: r.active),
    ("overdue", lambda r: r.overdue),
    *(
        (f"open_aged_{bucket.key.replace('+', '_plus')}_days", lambda r, i=i: r.ages[i])
        for i, bucket in enumerate(AGE_BUCKETS)
    ),
    ("closed_in_period", lambda r: r.closed),
    ("closed_with_due_date", lambda r: r.closed_with_due),
    ("closed_within_sla", lambda r: r.within_sla),
    ("sla_compliance_percent", lambda r: r.sla_percent),
    ("mean_days_to_resolve", lambda r: r.mean_days_to_resolve),
)


def _period(request: HttpRequest) -> int:
    value = request.GET.get("days", "")
    return int(value) if value.isdigit() and int(value) in REPORT_PERIODS else REPORT_PERIODS[0]


def _report_lists(
    report: ResolutionReport,
) -> dict[str, tuple[list[str], list[Sequence[Any]]]]:
    """Every list the page shows, as (header, rows) for the exports."""
    figures = [name for name, _value in FIGURE_COLUMNS]
    return {
        "organizations": (
            ["organization", "sector", *figures],
            [
                [org.name, org.sector, *(value(org) for _name, value in FIGURE_COLUMNS)]
                for org in report.organizations
            ],
        ),
        "sectors": (
            ["sector", *figures],
            [
                [sector.name, *(value(sector) for _name, value in FIGURE_COLUMNS)]
                for sector in report.sectors
            ],
        ),
        "ageing": (
            ["open_for", "open_flags"],
            [
                [bucket.label, count]
                for bucket, count in zip(AGE_BUCKETS, report.total.ages, strict=True)
            ],
        ),
    }


@login_required
@require_GET
def reports_view(request: HttpRequest) -> HttpResponse:
    """SLA compliance, ageing of open flags and mean time to resolve, with charts, over the
    organizations the user may see."""
    days = _period(request)
    report = resolution_report(user=request.user, today=timezone.localdate(), days=days)
    context = {
        "report": report,
        "days": days,
        "periods": REPORT_PERIODS,
        "age_buckets": AGE_BUCKETS,
        "organizations": paginate(
            report.organizations, request, per_page=ORGANIZATION_ROWS, param="page"
        ),
        "ageing_bars": bars(
            [
                (bucket.key, bucket.label, count)
                for bucket, count in zip(AGE_BUCKETS, report.total.ages, strict=True)
            ]
        ),
        "sla_bars": bars(
            [
                (sector.key, sector.name, sector.sla_percent)
                for sector in report.sectors
                if sector.sla_percent is not None
            ],
            peak=100,
        ),
        "resolve_bars": bars(
            [
                (sector.key, sector.name, sector.mean_days_to_resolve)
                for sector in report.sectors
                if sector.mean_days_to_resolve is not None
            ]
        ),
        "exports": ("organizations", "sectors", "ageing"),
    }
    return render(request, "exposure/reports.html", context)


@login_required
@require_GET
def report_export_view(request: HttpRequest, name: str, extension: str) -> HttpResponseBase:
    """One list of the reports page as CSV or XLSX, for the same period and organizations."""
    days = _period(request)
    today = timezone.localdate()
    lists = _report_lists(resolution_report(user=request.user, today=today, days=days))
    if name not in lists or extension not in ("csv", "xlsx"):
        raise Http404("No such list.")
    header, rows = lists[name]
    filename = f"vendorwatch-{name}-{days}-days-{today:%Y-%m-%d}.{extension}"
    if extension == "xlsx":
        return xlsx_response(filename=filename, sheet=name, header=header, rows=rows)
    return csv_response(filename=filename, header=header, rows=rows)


def organization_report_context(
    *, request: HttpRequest, organization: Organization, today: date, days: int
) -> dict[str, Any]:
    """What an organization's printable report shows."""
    report = resolution_report(user=request.user, today=today, days=days, organization=organization)
    trend = open_flag_trend(user=request.user, today=today, organization=organization)
    summary = org_exposure_summary(organization=organization, user=request.user)
    return {
        "organization": organization,
        "figures": report.total,
        "report": report,
        "ageing": list(zip(AGE_BUCKETS, report.total.ages, strict=True)),
        "by_severity": [
            (severity.label, summary.active_by_severity[severity.value]) for severity in Severity
        ],
        "summary": summary,
        "overdue": flags_overdue(
            user=request.user, organization=organization, today=today, limit=PDF_OVERDUE_ROWS
        ),
        "trend": line_chart([(point.day, point.count) for point in trend], width=700, height=200),
        "generated_at": timezone.localtime(),
    }


@login_required
@require_GET
def organization_report_view(request: HttpRequest, slug: str) -> HttpResponse:
    """An organization's report as a PDF: current exposure, overdue flags, the 90-day trend
    and SLA compliance, rendered by WeasyPrint on the server without any network access."""
    organization = Organization.objects.visible_to(request.user).filter(slug=slug).first()
    if organization is None:
        raise Http404("No such organization.")
    today = timezone.localdate()
    context = organization_report_context(
        request=request, organization=organization, today=today, days=_period(request)
    )
    response = HttpResponse(
        organization_report_pdf(context=context), content_type="application/pdf"
    )
    response["Content-Disposition"] = (
        f'inline; filename="vendorwatch-{organization.slug}-{today:%Y-%m-%d}.pdf"'
    )
    return response
