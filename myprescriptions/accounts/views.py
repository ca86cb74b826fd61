"""The two endpoints of the session warning (static/js/session-warning.js)."""

from django.http import JsonResponse
from django.views.decorators.http import require_GET, require_POST

from myprescriptions.accounts.middleware import remaining, touch
from prescriptions.access_rules import logged_in


def _state(request) -> dict:
    idle_left, absolute_left = remaining(request.session)
    return {"authenticated": True, "idle_seconds": int(idle_left), "absolute_seconds": int(absolute_left)}


@logged_in
@require_GET
def session_status(request):
    """How long the session has left. Not counted as activity (see the middleware)."""
    return JsonResponse(_state(request))


@logged_in
@require_POST
def keep_alive(request):
    """ "Stay logged in": restarts the idle clock to the full limit."""
    touch(request.session)
    return JsonResponse(_state(request))
