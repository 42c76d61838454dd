"""API routes of the catalogue, included at /api/v1/ by ``config.api``."""

from rest_framework.routers import SimpleRouter

router = SimpleRouter()

# Plain paths (not viewsets) go before the router's, so that "<pk>/" never swallows them.
urlpatterns = [
    *router.urls,
]
