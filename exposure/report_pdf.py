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
    # Imported here: WeasyPrint loads pango when imported, which only this view needs.
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    stylesheet = finders.find(REPORT_STYLESHEET)
    if not isinstance(stylesheet, str):
        raise ImproperlyConfigured(f"{REPORT_STYLESHEET} is missing from the static files.")
    offline = URLFetcher(allowed_protocols=("data",))
    document = HTML(string=organization_report_html(context=context), url_fetcher=offline)
    pdf: bytes = document.write_pdf(stylesheets=[CSS(filename=stylesheet)])
    return pdf
