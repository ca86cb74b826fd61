"""ID-porten style session limits: 30 minutes idle, 120 minutes absolute.

Every request of a logged-in user counts as activity, except the session status the warning
script asks for (it must not keep an abandoned session alive). An expired session is ended on
the next request, which then asks for login again: no JavaScript needed.

The last-activity time is stored at most every ACTIVITY_RESOLUTION seconds: storing it on every
request would write the session row on every page view. The idle limit can thus end a session up
to that many seconds early, never late.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from myprescriptions.site import language

STARTED = "session_started_at"
SEEN = "session_seen_at"
ACTIVITY_RESOLUTION = 30


def mark_login(sender, request, user, **kwargs):
    """Both clocks start at login (connected to user_logged_in)."""
    now = time.time()
    request.session[STARTED] = now
    request.session[SEEN] = now


def remaining(session, now: float | None = None) -> tuple[float, float]:
    """Seconds left before the idle and the absolute limit."""
    now = time.time() if now is None else now
    started = session.get(STARTED, now)
    seen = session.get(SEEN, now)
    return settings.SESSION_IDLE_SECONDS - (now - seen), settings.SESSION_ABSOLUTE_SECONDS - (now - started)


def touch(session, now: float | None = None) -> None:
    """Restarts the idle clock now, whatever the resolution (the "stay logged in" button)."""
    session[SEEN] = time.time() if now is None else now


def is_status_request(request) -> bool:
    return request.path_info == reverse("accounts:session_status")


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            request.session.setdefault(STARTED, now)
            request.session.setdefault(SEEN, now)
            idle_left, absolute_left = remaining(request.session, now)
            if idle_left < 0 or absolute_left < 0:
                language.keep_across(request, lambda: logout(request))
                messages.info(request, _("You were logged out because your session expired. Please log in again."))
                if is_status_request(request):
                    return JsonResponse({"authenticated": False})
                return redirect(reverse("site:landing"))
            if not is_status_request(request) and now - request.session[SEEN] >= ACTIVITY_RESOLUTION:
                request.session[SEEN] = now
        return self.get_response(request)
