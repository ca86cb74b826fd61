from django.apps import AppConfig


class SamlConfig(AppConfig):
    name = "myprescriptions.saml"
    label = "mp_saml"

    def ready(self):
        from django.conf import settings
        from onelogin.saml2.constants import OneLogin_Saml2_Constants

        from myprescriptions.saml import compiled

        # python3-saml allows 300 s of clock drift by default; ours is configurable and smaller.
        OneLogin_Saml2_Constants.ALLOWED_CLOCK_DRIFT = settings.SAML_CLOCK_SKEW_SECONDS
        # python3-saml compiles its XSD schema and XPath expressions again for every message.
        compiled.install()
