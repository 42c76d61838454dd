"""API routes of notifications, included at /api/v1/ by ``config.api``."""

from rest_framework.routers import SimpleRouter

from notifications.api import views

router = SimpleRouter()
router.register("notification-channels", views.ChannelViewSet, basename="notificationchannel")
router.register("notification-deliveries", views.DeliveryViewSet, basename="delivery")

urlpatterns = [
    *router.urls,
]
