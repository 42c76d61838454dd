from django.apps import AppConfig


class ListingConfig(AppConfig):
    """Shared list machinery; an app so that its template tags load."""

    name = "listing"
