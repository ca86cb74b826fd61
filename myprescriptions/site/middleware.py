"""The site's middleware: the visitor's language, and closed mode. (Security headers live in
myprescriptions.hardening.headers.)"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect
from django.utils import translation
from django.utils.cache import patch_vary_headers

from myprescriptions.site import closing, consent, language


class LanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, but the language comes only from the visitor's own choice
    (see myprescriptions.site.language), never from a cookie set without consent. Bokmål until
    they choose; the browser's Accept-Language is not used, so every first visit looks the same."""

    def process_request(self, request):
        translation.activate(language.current(request))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        response = super().process_response(request, response)
        patch_vary_headers(response, ("Cookie",))
        if settings.LANGUAGE_COOKIE_NAME in request.COOKIES and not consent.allows_optional(request):
            # Consent was withdrawn, or never given: the optional cookie goes.
            if settings.LANGUAGE_COOKIE_NAME not in response.cookies:
                language.delete_cookie(response)
        return response


class ClosedModeMiddleware:
    """From SERVICE_CLOSES_ON, a session still open ends on its next request, with the closed
    message on the front page. Anonymous visitors pass: the public pages stay up."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and closing.is_closed():
            language.keep_across(request, lambda: logout(request))
            messages.error(request, closing.logged_out_message())
            return redirect("site:landing")
        return self.get_response(request)
