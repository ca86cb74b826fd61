"""Structured logging: one JSON object per line on stdout, each carrying the id of the request
it belongs to, with valid national identity numbers removed as a last line of defence.

Imported by settings.py, so it must not touch django.conf.settings at import time.
"""

import contextvars
import copy
import datetime
import json
import logging
import re
import traceback

from prescriptions import identity

# Set by RequestIdMiddleware for the duration of a request (per thread / task).
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

REDACTED = "[redacted-id]"
# 11 digits on their own, or split 6 + 5 by one space as people write them; never part of a longer run.
_CANDIDATE = re.compile(r"(?<![0-9])([0-9]{6}) ?([0-9]{5})(?![0-9])")

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
# Extras that are objects (Django puts the request on django.request records): their repr may
# carry a query string, so they are left out.
_SKIPPED_EXTRAS = frozenset({"request", "server_time"})


def redact(text: str) -> str:
    """`text` with every valid identity number (fødselsnummer, D-, H- or synthetic number)
    replaced. Other 11-digit runs (phone numbers, GLNs cut short ...) are left alone."""

    def replace(match: re.Match) -> str:
        return REDACTED if identity.is_valid(match.group(1) + match.group(2)) else match.group(0)

    return _CANDIDATE.sub(replace, text)


def _plain(value):
    """JSON-safe copy of an `extra` value, or None when it is not plain data."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return None


def _redact_plain(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value if redact(str(value)) == str(value) else REDACTED
    if isinstance(value, list):
        return [_redact_plain(v) for v in value]
    if isinstance(value, dict):
        return {redact(k): _redact_plain(v) for k, v in value.items()}
    return value


class JsonFormatter(logging.Formatter):
    """{"time", "level", "logger", "message", "request_id", ...extras, "exception"} on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        for key, value in record.__dict__.items():
            if key in _STANDARD_ATTRS or key in _SKIPPED_EXTRAS or key.startswith("_") or key in entry:
                continue
            plain = _plain(value)
            if plain is not None:
                entry[key] = plain
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        # ensure_ascii=False: a name such as "Ås" stays searchable as written.
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """For a developer's terminal (LOG_FORMAT=text): the same facts, one readable line."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = getattr(record, "request_id", None) or request_id_var.get() or "-"
        return super().format(record)


class RedactIdentityNumbers(logging.Filter):
    """Safety net on the handler: a copy of the record whose message, extras and traceback text
    hold no valid identity number, whichever library logged it. A copy (Python 3.12+), so other
    handlers still see the record as it was logged."""

    def filter(self, record: logging.LogRecord) -> logging.LogRecord:
        clean = copy.copy(record)
        clean.msg, clean.args = redact(record.getMessage()), None
        if record.exc_info:
            clean.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
            clean.exc_info = None
        elif record.exc_text:
            clean.exc_text = redact(record.exc_text)
        if record.stack_info:
            clean.stack_info = redact(record.stack_info)
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS:
                setattr(clean, key, _redact_plain(_plain(value)))
        return clean


def logging_config(level: str = "INFO", fmt: str = "json") -> dict:
    """The LOGGING setting: everything (Django, allauth, python3-saml, ours) to stdout through
    one handler, so every line has the same shape and passes the same redaction."""
    formatter = {"()": JsonFormatter} if fmt == "json" else {"()": TextFormatter}
    # Never below INFO, whatever LOG_LEVEL says: at DEBUG these log the template context (names,
    # prescriptions) and SQL with its parameters (identity numbers).
    numeric = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    at_least_info = logging.getLevelName(max(numeric if isinstance(numeric, int) else logging.INFO, logging.INFO))
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": formatter},
        "filters": {"redact_identity_numbers": {"()": RedactIdentityNumbers}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "structured",
                "filters": ["redact_identity_numbers"],
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        # Django's defaults give these loggers handlers of their own (plain text on stderr);
        # here they only propagate to the root handler.
        "loggers": {
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.server": {"handlers": [], "level": level, "propagate": True},
            "django.template": {"handlers": [], "level": at_least_info, "propagate": True},
            "django.db.backends": {"handlers": [], "level": at_least_info, "propagate": True},
        },
    }
