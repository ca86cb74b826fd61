from django.conf import settings

from myprescriptions.site import closing


def site(request):
    return {
        "service_closes_on": closing.closes_on(),
        "service_closed": closing.is_closed(),
        "successor_url": settings.SUCCESSOR_URL,
        "poa_registration_url": settings.POA_REGISTRATION_URL,
        "subject": getattr(request, "subject", None),
        "viewer": getattr(request, "viewer", None),
        "test_idp": settings.TEST_IDP,
    }
