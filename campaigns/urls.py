"""URLs of the campaign pages, mounted at /campaigns/."""

from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list_view, name="campaign_list"),
    path("open/<int:advisory_pk>/", views.campaign_open_view, name="campaign_open"),
    path("<int:pk>/", views.campaign_detail_view, name="campaign_detail"),
    path("<int:pk>/milestones/", views.milestones_edit_view, name="milestones_edit"),
    path("<int:pk>/report/", views.report_view, name="report"),
    path("<int:pk>/close/", views.campaign_close_view, name="campaign_close"),
    path("<int:pk>/<slug:slug>/", views.plan_detail_view, name="plan_detail"),
    path("<int:pk>/<slug:slug>/plan/", views.plan_edit_view, name="plan_edit"),
    path("<int:pk>/<slug:slug>/attest/<slug:key>/", views.attest_view, name="attest"),
    path("attestations/<int:pk>/review/", views.review_view, name="review"),
    path("evidence/<int:pk>/", views.evidence_download_view, name="evidence_download"),
]
