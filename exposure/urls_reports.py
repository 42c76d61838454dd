"""URLs of the reports, mounted at /reports/."""

from django.urls import path

from exposure import views_reports

app_name = "reports"

urlpatterns = [
    path("", views_reports.reports_view, name="reports"),
    path(
        "<slug:name>.<str:extension>",
        views_reports.report_export_view,
        name="export",
    ),
    path(
        "organizations/<slug:slug>.pdf",
        views_reports.organization_report_view,
        name="organization_pdf",
    ),
]
