from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class HardeningConfig(AppConfig):
    default = True
    name = "myprescriptions.hardening"
    label = "hardening"


class OperatorAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the operator console as admin.site. After autodiscovery only the
    project's own apps stay registered: allauth's social accounts (whose extra data holds identity
    numbers), tokens and Django's groups are not for operators."""

    default = False  # named explicitly in INSTALLED_APPS
    default_site = "myprescriptions.hardening.admin_site.OperatorAdminSite"

    def ready(self):
        super().ready()
        from myprescriptions.hardening import admin_site

        admin_site.register_models()
        admin_site.keep_only_project_models()
