"""Our CSAF provider's URLs, under /.well-known/csaf/ as the CSAF standard places them."""

from django.urls import path, re_path

from advisories.publishing import views

app_name = "csaf"

urlpatterns = [
    path("provider-metadata.json", views.provider_metadata_view, name="provider_metadata"),
    re_path(r"^openpgp/(?P<fingerprint>[0-9A-Fa-f]+)\.asc$", views.public_key_view, name="key"),
    re_path(
        r"^(?P<folder>[a-z]+)/(?P<year>[0-9]{4})/(?P<name>[a-z0-9+_-]+\.json(\.sha512|\.asc)?)$",
        views.document_view,
        name="document",
    ),
    re_path(
        r"^(?P<folder>[a-z]+)/(?P<name>index\.txt|changes\.csv|csaf-feed-tlp-[a-z]+\.json)$",
        views.folder_file_view,
        name="folder_file",
    ),
]
