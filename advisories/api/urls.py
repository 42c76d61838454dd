"""API routes of advisories, included at /api/v1/ by ``api.urls``."""

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.routers import SimpleRouter

from advisories.api import views
from advisories.api.feeds import CsafImportView


@extend_schema_view(post=extend_schema(summary="Import a CSAF 2.0 document (editors)"))
class CsafImport(CsafImportView):
    """The CSAF import as served here, with the summary every operation of the docs has."""


router = SimpleRouter()
router.register("sources", views.SourceViewSet)
router.register("advisories", views.AdvisoryViewSet, basename="advisory")
router.register("feed-runs", views.FeedRunViewSet, basename="feedrun")

# Plain paths (not viewsets) go before the router's, so that "<pk>/" never swallows them.
urlpatterns = [
    path("advisories/import-csaf/", CsafImport.as_view(), name="advisory-import-csaf"),
    *router.urls,
]
