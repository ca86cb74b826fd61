from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "myprescriptions.site"
    label = "site"
