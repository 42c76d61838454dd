from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo world: vendors, advisories and organizations that ``load_demo`` creates."""

    name = "demo"
