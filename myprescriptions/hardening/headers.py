"""Response headers and cookie flags that Django's own settings do not cover.

Django's SecurityMiddleware sets HSTS, nosniff, Referrer-Policy and COOP, and its CSP middleware
the Content-Security-Policy (see SECURE_* in settings.py). This adds the rest, on every dynamic
response (static files are answered earlier by WhiteNoise and are public anyway).
"""

from django.conf import settings
from django.utils.cache import add_never_cache_headers

NO_STORE = "no-store, no-cache, must-revalidate, private, max-age=0"


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        self._forbid_storing(request, response)
        self._harden_cookies(response)
        return response

    @staticmethod
    def _forbid_storing(request, response):
        """Nothing dynamic is kept by the browser or a proxy: the back button after logout on a
        shared computer must show nothing. A public page may opt in to caching with its own
        Cache-Control, but only for visitors without a session cookie: whether someone is logged
        in is decided without the database, so this also holds when the database is down."""
        has_session = settings.SESSION_COOKIE_NAME in request.COOKIES or settings.SESSION_COOKIE_NAME in response.cookies
        if has_session or "Cache-Control" not in response.headers:
            add_never_cache_headers(response)
            response.headers["Cache-Control"] = NO_STORE

    @staticmethod
    def _harden_cookies(response):
        """Every cookie HttpOnly and SameSite (Lax unless set stricter), and Secure wherever the
        session cookie is. allauth's saml-acs-session cookie, which carries the IdP's POST across
        to the finishing redirect, is set without HttpOnly; no script of ours reads cookies."""
        for morsel in response.cookies.values():
            morsel["httponly"] = True
            if not morsel["samesite"]:
                morsel["samesite"] = "Lax"
            if settings.SESSION_COOKIE_SECURE:
                morsel["secure"] = True
