"""The REST API's root, mounted at /api/v1/: every app's routes, the schema and its docs.

Each app declares its routes in ``<app>/api/urls.py`` with its own router; this module only
gathers them, so that adding an endpoint never means editing a central list of viewsets.
"""

from typing import Any

from django.conf import settings
from django.urls import include, path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from advisories.api.urls import router as advisories_router
from audit.api.urls import router as audit_router
from campaigns.api.urls import router as campaigns_router
from exposure.api.urls import router as exposure_router
from notifications.api.urls import router as notifications_router
from orgs.api.urls import router as orgs_router
from vendors.api.urls import router as vendors_router

app_name = "api"

ROUTERS: tuple[SimpleRouter, ...] = (
    vendors_router,
    advisories_router,
    orgs_router,
    exposure_router,
    audit_router,
    notifications_router,
    campaigns_router,
)


class ApiRootView(APIView):
    """Lists the API's collections, like DRF's browsable root, across every app's router."""

    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        links: dict[str, str] = {}
        for router in ROUTERS:
            for prefix, _viewset, basename in router.registry:
                links[prefix] = reverse(f"api:{basename}-list", request=request)
        links["schema"] = reverse("api:schema", request=request)
        links["docs"] = reverse("api:docs", request=request)
        return Response(links)


class RedocView(SpectacularRedocView):
    """ReDoc, with inline styles and a blob: worker allowed on its page alone.

    ReDoc styles itself with styled-components, which injects <style> elements at run time and
    stops rendering when the Content-Security-Policy refuses them, and runs its search in a
    web worker built from a blob. Scripts still come from this origin's files only.
    """

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        policy = settings.CONTENT_SECURITY_POLICY.replace(
            "style-src 'self'", "style-src 'self' 'unsafe-inline'"
        )
        response.headers["Content-Security-Policy"] = f"{policy}; worker-src 'self' blob:"
        return response


urlpatterns = [
    path("", ApiRootView.as_view(), name="root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Our own templates: drf-spectacular's carry inline styles, which the CSP refuses.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    path(
        "redoc/",
        RedocView.as_view(url_name="api:schema", template_name="api/redoc.html"),
        name="redoc",
    ),
    path("", include("vendors.api.urls")),
    path("", include("advisories.api.urls")),
    path("", include("orgs.api.urls")),
    path("", include("exposure.api.urls")),
    path("", include("audit.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("campaigns.api.urls")),
]
