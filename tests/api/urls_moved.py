"""The app's API mounted elsewhere, for tests that follow a changed URL configuration."""

from django.urls import include, path

urlpatterns = [path("elsewhere/", include("api.urls", namespace="api"))]
