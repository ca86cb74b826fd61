from django.apps import AppConfig


class TestIdpConfig(AppConfig):
    name = "myprescriptions.testidp"
    label = "testidp"
    verbose_name = "Test IdP (development only)"
