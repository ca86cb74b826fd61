"""Error pages (handler400/403/404/500 and the CSRF failure view), the "database unavailable"
page, and the health probes.

Error pages are rendered without context processors or the session: they must render when the
database is down, and must not show whose page failed. The language is the one the request
already chose, else the language cookie, else Bokmål.
"""

import logging
import sys

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from myprescriptions.hardening import failure, health
from prescriptions.access_rules import public

logger = logging.getLogger(__name__)


def _language(request) -> str:
    known = dict(settings.LANGUAGES)
    for code in (getattr(request, "LANGUAGE_CODE", None), request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)):
        if code in known:
            return code
    return settings.LANGUAGE_CODE


def render_error(request, status: int, template: str | None = None, context: dict | None = None) -> HttpResponse:
    language = _language(request)
    with translation.override(language):
        try:
            html = render_to_string(
                template or f"{status}.html",
                {
                    "LANGUAGE_CODE": language,
                    "status": status,
                    "request_id": getattr(request, "request_id", ""),
                    **(context or {}),
                },
            )
        except Exception:
            # E.g. a static file missing from the manifest: the visitor still gets a page.
            logger.exception("error page could not be rendered", extra={"status": status})
            html = _bare_page(language, status)
    response = HttpResponse(html, status=status)
    response.headers["Content-Language"] = language
    return response


def _bare_page(language: str, status: int) -> str:
    title = escape(_("Something went wrong on our side") if status >= 500 else _("We could not show that page"))
    advice = escape(_("Please try again in a little while."))
    return (
        f'<!doctype html><html lang="{escape(language)}"><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><main><h1>{title}</h1><p>{advice}</p></main></body></html>"
    )


def bad_request(request, exception=None):
    return render_error(request, 400)


def permission_denied(request, exception=None):
    return render_error(request, 403)


def page_not_found(request, exception=None):
    return render_error(request, 404)


def server_error(request):
    # Django calls this inside its `except` block, so the exception is still at hand.
    if failure.is_database_unavailable(sys.exc_info()[1]):
        return database_unavailable(request)
    return render_error(request, 500)


def database_unavailable(request):
    response = render_error(request, 503)
    response.headers["Retry-After"] = str(failure.RETRY_AFTER_SECONDS)
    return response


def csrf_failure(request, reason=""):
    """A form sent without a valid CSRF token: usually a page left open past the session."""
    return render_error(request, 403, context={"csrf": True})


@public
def live(request):
    """The process answers. Touches nothing else: a database outage must not get it restarted."""
    return JsonResponse({"status": "ok"})


@public
def ready(request):
    """Send traffic here? Only when the database answers and every migration is applied."""
    problems = health.readiness_problems()
    if problems:
        response = JsonResponse({"status": "unavailable", "problems": problems}, status=503)
        response.headers["Retry-After"] = str(failure.RETRY_AFTER_SECONDS)
        return response
    return JsonResponse({"status": "ok"})
