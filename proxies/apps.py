from django.apps import AppConfig


class ProxiesConfig(AppConfig):
    name = "proxies"

    def ready(self):
        # RelatedPerson → ParentalResponsibility joins the FHIR importer (prescriptions never imports proxies).
        from prescriptions.fhir.registry import register
        from proxies.fhir import RelatedPersonHandler

        register(RelatedPersonHandler())
