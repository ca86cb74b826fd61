from django import template
from django.conf import settings

from myprescriptions.accounts.middleware import remaining

register = template.Library()

WARN_SECONDS = 5 * 60


@register.simple_tag(takes_context=True)
def session_clock(context) -> dict:
    """Seconds left in the session and when to warn, for the warning script."""
    request = context.get("request")
    if request is None or not hasattr(request, "session"):
        return {}
    idle_left, absolute_left = remaining(request.session)
    # Five minutes ahead (or halfway through a test-sized idle limit).
    warn = min(WARN_SECONDS, settings.SESSION_IDLE_SECONDS // 2)
    return {
        "idle": int(idle_left),
        "absolute": int(absolute_left),
        "warn": warn,
        "idle_minutes": settings.SESSION_IDLE_SECONDS // 60,
        "absolute_minutes": settings.SESSION_ABSOLUTE_SECONDS // 60,
    }
