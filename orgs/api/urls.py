"""API routes of orgs, included at /api/v1/ by ``config.api``."""

from rest_framework.routers import SimpleRouter

from orgs.api import views
from orgs.api.imports import ImportJobViewSet

router = SimpleRouter()
router.register("organizations", views.OrganizationViewSet)
router.register("memberships", views.MembershipViewSet)
router.register("inventory-items", views.InventoryItemViewSet)
router.register("tokens", views.ApiTokenViewSet, basename="token")
router.register("inventory-imports", ImportJobViewSet, basename="inventory-import")

# Plain paths (not viewsets) go before the router's, so that "<pk>/" never swallows them.
urlpatterns = [
    *router.urls,
]
