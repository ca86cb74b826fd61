"""Which language a visitor sees, and where their choice is kept.

Bokmål is shown until the visitor picks another language with the switch on every page. The
choice always lives in the session (an essential cookie that ends when the browser closes).
Only with consent to optional cookies is it also kept in the language cookie, so it survives
the next visit; without consent that cookie is never set, and removed if it is found.
"""

from django.conf import settings

from myprescriptions.site import consent

SESSION_KEY = "site_language"
COOKIE_MAX_AGE = 365 * 24 * 60 * 60


def supported(code) -> str | None:
    """The code itself when it is one of ours, else None (unknown codes are ignored)."""
    return code if code in dict(settings.LANGUAGES) else None


def chosen(request) -> str | None:
    if consent.allows_optional(request):
        from_cookie = supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
        if from_cookie:
            return from_cookie
    session = getattr(request, "session", None)
    return supported(session.get(SESSION_KEY)) if session is not None else None


def current(request) -> str:
    return chosen(request) or settings.LANGUAGE_CODE


def remember(request, response, code: str) -> None:
    request.session[SESSION_KEY] = code
    if consent.allows_optional(request):
        set_cookie(response, code)


def set_cookie(response, code: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=COOKIE_MAX_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def delete_cookie(response) -> None:
    response.delete_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def keep_across(request, end_session) -> None:
    """Runs end_session (a logout) and puts the session-held language back into the new session,
    so the "you are logged out" page still speaks the visitor's language."""
    code = supported(request.session.get(SESSION_KEY))
    end_session()
    if code:
        request.session[SESSION_KEY] = code
