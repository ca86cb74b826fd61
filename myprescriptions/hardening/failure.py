"""Telling a database outage apart from a bug."""

from django.db import InterfaceError, OperationalError

# Seconds a browser or load balancer is asked to wait before trying again.
RETRY_AFTER_SECONDS = 30


def is_database_unavailable(exc: BaseException | None) -> bool:
    """True when `exc`, or an exception it was raised from, means the database cannot be reached
    or the connection broke (server down, refusing connections, connection terminated). A wrapper
    such as prescriptions.services.AccessLogUnavailable keeps the original as its cause."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, (OperationalError, InterfaceError)):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False
