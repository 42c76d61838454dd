"""URLs of the campaign pages, mounted at /campaigns/."""

from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("evidence/<int:pk>/", views.evidence_download_view, name="evidence_download"),
]
