"""API routes of the audit trail, included at /api/v1/ by ``config.api``."""

from rest_framework.routers import SimpleRouter

from audit.api import views

router = SimpleRouter()
router.register("audit-entries", views.AuditEntryViewSet, basename="auditentry")

# Plain paths (not viewsets) go before the router's, so that "<pk>/" never swallows them.
urlpatterns = [
    *router.urls,
]
