from django.conf import settings

from myprescriptions.site import closing, consent

# The page where the closing notice offers the printable list of one's powers of attorney.
POA_PAGE = "proxies:powers"


def site(request):
    notice = closing.current_notice()
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match else ""
    return {
        "notice": notice,
        "service_closes_on": notice.closes_on,
        "service_closed": closing.is_closed(),
        "successor_url": notice.successor_url,
        "poa_registration_url": notice.poa_registration_url,
        "notice_offers_poa_print": view_name == POA_PAGE,
        "cookie_consent": consent.answer(request),
        # The cookie page asks the same question in full; no banner on top of it.
        "show_consent_banner": consent.answer(request) is None and view_name != "site:cookies",
        "subject": getattr(request, "subject", None),
        "viewer": getattr(request, "viewer", None),
        "test_idp": settings.TEST_IDP,
    }
