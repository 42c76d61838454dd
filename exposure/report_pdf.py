"""An organization's printable report as PDF, rendered by WeasyPrint on the server.

The HTML is a template of its own (``exposure/organization_report.html``) with its own print
stylesheet (``static/css/report.css``); the trend is inline SVG. Rendering is offline: the
stylesheet is read from the app's static files and WeasyPrint may follow ``data:`` URLs only,
so a report never waits for, or leaks to, another server.
"""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string

REPORT_STYLESHEET = "css/report.css"


def organization_report_html(*, context: dict[str, Any]) -> str:
    """The report as the HTML that becomes the PDF."""
    return render_to_string("exposure/organization_report.html", context)


def organization_report_pdf(*, context: dict[str, Any]) -> bytes:
    """The report as PDF bytes."""
    stylesheet = finders.find(REPORT_STYLESHEET)
    if not isinstance(stylesheet, str):
        raise ImproperlyConfigured(f"{REPORT_STYLESHEET} is missing from the static files.")
    return pdf_from_html(organization_report_html(context=context), stylesheet=stylesheet)


def pdf_from_html(html: str, *, stylesheet: str | None = None) -> bytes:
    """``html`` (with the CSS file ``stylesheet``, if any) as PDF bytes, rendered offline:
    WeasyPrint may follow ``data:`` URLs only. Every PDF the app produces is made here."""
    # Imported here: WeasyPrint loads pango when imported, which only the PDFs need.
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    offline = URLFetcher(allowed_protocols=("data",))
    document = HTML(string=html, url_fetcher=offline)
    stylesheets = [CSS(filename=stylesheet)] if stylesheet else []
    pdf: bytes = document.write_pdf(stylesheets=stylesheets)
    return pdf
