"""The visitor's answer to the cookie question, kept in an essential cookie.

Two answers exist: "all" (optional cookies allowed) and "essential" (only what the service needs).
Anything else in the cookie, forged or stale, counts as no answer: the banner asks again and
nothing optional is set.
"""

from django.conf import settings

COOKIE_NAME = "mrconsent"
ALL = "all"
ESSENTIAL = "essential"
CHOICES = (ALL, ESSENTIAL)
# Asked again after a year, as the Norwegian guidance on consent suggests.
MAX_AGE = 365 * 24 * 60 * 60


def answer(request) -> str | None:
    value = request.COOKIES.get(COOKIE_NAME)
    return value if value in CHOICES else None


def allows_optional(request) -> bool:
    return answer(request) == ALL


def remember(response, choice: str) -> None:
    if choice not in CHOICES:
        raise ValueError(choice)
    response.set_cookie(
        COOKIE_NAME,
        choice,
        max_age=MAX_AGE,
        # Sent over the same transport as the session cookie: HTTPS only in production.
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
