"""URLs of the organization pages: organizations, their inventory and uploads, and the
reconciliation of unresolved names. Mounted at the site root."""

from django.urls import path

from orgs import (
    views,
    views_imports,
    views_inventory,
    views_reconciliation,
    views_saml,
    views_sso,
)

app_name = "orgs"

urlpatterns = [
    path("organizations/", views.organization_list_view, name="organization_list"),
    path("organizations/<slug:slug>/", views.organization_detail_view, name="organization_detail"),
    path("inventory/", views_inventory.inventory_all_view, name="inventory_all"),
    path(
        "organizations/<slug:slug>/inventory/",
        views_inventory.inventory_list_view,
        name="inventory_list",
    ),
    path(
        "organizations/<slug:slug>/inventory/new/",
        views_inventory.item_create_view,
        name="item_create",
    ),
    path(
        "organizations/<slug:slug>/inventory/<int:pk>/",
        views_inventory.item_detail_view,
        name="item_detail",
    ),
    path(
        "organizations/<slug:slug>/inventory/<int:pk>/edit/",
        views_inventory.item_edit_view,
        name="item_edit",
    ),
    path(
        "organizations/<slug:slug>/inventory/<int:pk>/delete/",
        views_inventory.item_delete_view,
        name="item_delete",
    ),
    path(
        "organizations/<slug:slug>/inventory/import/",
        views_imports.import_view,
        name="import",
    ),
    path(
        "organizations/<slug:slug>/inventory/import/<int:pk>/",
        views_imports.import_detail_view,
        name="import_detail",
    ),
    path("reconciliation/", views_reconciliation.reconciliation_view, name="reconciliation"),
    path("reconciliation/map/", views_reconciliation.name_map_view, name="name_map"),
    path("sso/", views_sso.provider_list_view, name="sso_provider_list"),
    path("sso/new/", views_sso.provider_create_view, name="sso_provider_create"),
    path("sso/<int:pk>/", views_sso.provider_edit_view, name="sso_provider_edit"),
    path("sso/saml/new/", views_saml.saml_provider_create_view, name="saml_provider_create"),
    path("sso/saml/<int:pk>/", views_saml.saml_provider_edit_view, name="saml_provider_edit"),
]
