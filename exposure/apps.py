from django.apps import AppConfig


class ExposureConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "exposure"
    verbose_name = "Exposure"
