"""API routes of the catalogue, included at /api/v1/ by ``api.urls``."""

from rest_framework.routers import SimpleRouter

from vendors.api import views

router = SimpleRouter()
router.register("vendors", views.VendorViewSet)
router.register("vendor-aliases", views.VendorAliasViewSet)
router.register("products", views.ProductViewSet)
router.register("product-aliases", views.ProductAliasViewSet)

# Plain paths (not viewsets) go before the router's, so that "<pk>/" never swallows them.
urlpatterns = [
    *router.urls,
]
