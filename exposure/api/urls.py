"""API routes of exposure, included at /api/v1/ by ``config.api``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from exposure.api import views
from exposure.api.export import FlagExportView

router = SimpleRouter()
router.register("flags", views.FlagViewSet)
router.register("match-runs", views.MatchRunViewSet, basename="matchrun")

# Plain paths (not viewsets) go before the router's, so that "<pk>/" never swallows them.
urlpatterns = [
    path("flags/export.csv", FlagExportView.as_view(), name="flag-export"),
    *router.urls,
]
