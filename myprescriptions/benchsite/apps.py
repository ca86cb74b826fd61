from django.apps import AppConfig


class BenchsiteConfig(AppConfig):
    name = "myprescriptions.benchsite"
    label = "benchsite"
    default_auto_field = "django.db.models.BigAutoField"
