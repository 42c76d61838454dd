"""URLs of the catalogue pages, mounted at the site root.

The pickers' search lives outside ``vendors/`` so that no vendor slug can shadow it.
"""

from django.urls import path

from vendors import views

app_name = "vendors"

urlpatterns = [
    path("vendors/", views.vendor_list_view, name="vendor_list"),
    path("vendors/<slug:slug>/", views.vendor_detail_view, name="vendor_detail"),
    path(
        "vendors/<slug:vendor_slug>/<slug:slug>/",
        views.product_detail_view,
        name="product_detail",
    ),
    path("products/", views.product_list_view, name="product_list"),
    path("catalogue/search/vendors/", views.vendor_search_view, name="vendor_search"),
    path("catalogue/search/products/", views.product_search_view, name="product_search"),
]
