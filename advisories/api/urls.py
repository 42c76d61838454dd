"""API routes of advisories, included at /api/v1/ by ``config.api``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from advisories.api import views
from advisories.api.feeds import CsafImportView

router = SimpleRouter()
router.register("sources", views.SourceViewSet)
router.register("advisories", views.AdvisoryViewSet, basename="advisory")

# Plain paths (not viewsets) go before the router's, so that "<pk>/" never swallows them.
urlpatterns = [
    path("advisories/import-csaf/", CsafImportView.as_view(), name="advisory-import-csaf"),
    *router.urls,
]
