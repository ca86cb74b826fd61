"""gunicorn settings: `gunicorn -c python:myprescriptions.hardening.gunicorn_conf ...`.

gunicorn's own lines (worker start, timeouts) go through the same JSON handler as the
application's, so stdout holds one format. gunicorn's access log stays off: the application logs
one line per request itself, with the request id and without the query string.
"""

import os

from myprescriptions.hardening.logs import logging_config

_level = os.environ.get("LOG_LEVEL", "INFO")
logconfig_dict = logging_config(_level, os.environ.get("LOG_FORMAT", "json"))
logconfig_dict["loggers"].update(
    {
        "gunicorn.error": {"handlers": [], "level": _level, "propagate": True},
        "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    }
)
accesslog = None
