"""Root URL configuration: pages, the admin, and the REST API under /api/v1/."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from config.views import healthz
from exposure import views as exposure_views
from orgs import views_sso, views_tokens

# The admin signs in on the one sign-in page, so that its password form keeps every rule of that
# page (an organization without passwords, the second factor, the lockout).
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("api/v1/", include("api.urls", namespace="api")),
    path("", exposure_views.overview, name="home"),
    path("accounts/tokens/", views_tokens.token_list, name="tokens"),
    path("accounts/tokens/<int:pk>/revoke/", views_tokens.token_revoke_view, name="token_revoke"),
    path("accounts/sso/", views_sso.sso_start_view, name="sso_start"),
    path("accounts/sso/confirm/", views_sso.sso_reauthenticate_view, name="sso_reauthenticate"),
    # Sign-in and out, single sign-on, second factors and sessions (django-allauth).
    path("accounts/", include("allauth.urls")),
    path("advisories/", include("advisories.urls")),
    path("notifications/", include("notifications.urls")),
    path("audit/", include("audit.urls")),
    path("flags/", include("exposure.urls")),
    path("reports/", include("exposure.urls_reports")),
    path("campaigns/", include("campaigns.urls")),
    path("", include("orgs.urls")),
    path("", include("vendors.urls")),
    path(".well-known/csaf/", include("advisories.publishing.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]

handler404 = "api.exceptions.not_found"
