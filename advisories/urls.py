"""URLs of the advisory pages and the editor."""

from django.urls import path

from advisories import views
from advisories.publishing import views as publishing_views

app_name = "advisories"

urlpatterns = [
    path("", views.advisory_list_view, name="advisory_list"),
    path("new/", views.advisory_create_view, name="advisory_create"),
    path("editor/range-check/", views.version_range_check_view, name="range_check"),
    path("editor/impact-preview/", views.impact_preview_view, name="impact_preview"),
    path("<int:pk>/", views.advisory_detail_view, name="advisory_detail"),
    path("<int:pk>/edit/", views.advisory_edit_view, name="advisory_edit"),
    path("<int:pk>/publish/", views.advisory_publish_view, name="advisory_publish"),
    path("<int:pk>/withdraw/", views.advisory_withdraw_view, name="advisory_withdraw"),
    path("<int:pk>/csaf/", publishing_views.advisory_csaf_view, name="advisory_csaf"),
]
