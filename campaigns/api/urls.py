"""API routes of campaigns, included at /api/v1/ by ``api.urls``."""

from rest_framework.routers import SimpleRouter

from campaigns.api import views

router = SimpleRouter()
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("campaign-plans", views.PlanViewSet, basename="campaignplan")
router.register("campaign-attestations", views.AttestationViewSet, basename="campaignattestation")
router.register("campaign-evidence", views.EvidenceViewSet, basename="campaignevidence")

urlpatterns = [
    *router.urls,
]
