"""A request id on every log line and in the X-Request-ID response header, plus one access-log
line per request (method, path, status, duration; never the query string, never who it was)."""

import logging
import re
import time
import uuid

from django.core.signals import request_finished
from django.dispatch import receiver

from myprescriptions.hardening.logs import redact, request_id_var

logger = logging.getLogger("myprescriptions.requests")

HEADER = "X-Request-ID"
# An id from the load balancer is kept only when it is a short plain token (no spaces, quotes
# or control characters that could forge log lines) and carries no identity number.
_SAFE_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")
# Probes run every few seconds; at INFO they would drown the log.
_QUIET_PREFIXES = ("/health/",)


def incoming_id(raw: str | None) -> str | None:
    if raw and _SAFE_TOKEN.fullmatch(raw) and redact(raw) == raw:
        return raw
    return None


class RequestIdMiddleware:
    """First in MIDDLEWARE, so that every line logged while the request runs carries the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = incoming_id(request.META.get("HTTP_X_REQUEST_ID")) or uuid.uuid4().hex
        request.request_id = request_id
        # Not reset on the way out: Django logs 4xx/5xx responses (django.request) after the
        # middleware has returned. request_finished clears it once the response is sent.
        request_id_var.set(request_id)
        started = time.monotonic()
        response = self.get_response(request)
        response[HEADER] = request_id
        quiet = request.path.startswith(_QUIET_PREFIXES)
        logger.log(
            logging.DEBUG if quiet else logging.INFO,
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
        return response


@receiver(request_finished, dispatch_uid="hardening-clear-request-id")
def _clear_request_id(**kwargs):
    request_id_var.set(None)
