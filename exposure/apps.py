from django.apps import AppConfig


class ExposureConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "exposure"
    verbose_name = "Exposure"

    def ready(self) -> None:
        # Connects the receivers of the inventory's signals.
        from exposure import receivers  # noqa: F401
