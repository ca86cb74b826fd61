"""The service is closing in favour of a successor; from SERVICE_CLOSES_ON it runs in closed mode.

The closing date and the two addresses come from settings. Operators may change the notice's
text and the addresses in the admin (myprescriptions.site.models.NoticeVersion, the newest row
wins); the closing date itself only changes with the settings, because it also decides who may
log in.
"""

import logging
import re
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError
from django.utils import formats, timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Written as {name} in an operator's text; every custom text must use all three.
PLACEHOLDERS = ("closes_on", "successor_url", "poa_registration_url")
PLACEHOLDER_RE = re.compile(r"\{(\w+)\}")
# Other processes see an operator's edit within this many seconds; this one at once.
CACHE_SECONDS = 30
_clock = time.monotonic


def closes_on():
    return settings.SERVICE_CLOSES_ON


def is_closed(today=None) -> bool:
    return (today or timezone.localdate()) >= closes_on()


def logged_out_message() -> str:
    return _("You have been logged out because My Prescriptions has closed. Your prescriptions are available in the new service.")


@dataclass(frozen=True)
class Notice:
    closes_on: object
    successor_url: str
    poa_registration_url: str
    # Language code → the operator's text; empty when the standard text applies.
    texts: dict = field(default_factory=dict)

    def custom_paragraphs(self, language_code=None) -> list[SafeString]:
        """The operator's text in the active language as safe HTML paragraphs, or [] for the
        standard text. Before the closing date only: once closed, the standard closed text says so."""
        if is_closed():
            return []
        text = self.texts.get(language_code or get_language() or settings.LANGUAGE_CODE, "")
        return render_text(text, self) if text.strip() else []


def render_text(text: str, notice: Notice) -> list[SafeString]:
    values = {
        "closes_on": escape(formats.date_format(notice.closes_on, "DATE_FORMAT")),
        "successor_url": format_html('<a href="{}">{}</a>', notice.successor_url, notice.successor_url),
        "poa_registration_url": format_html(
            '<a href="{}">{}</a>', notice.poa_registration_url, notice.poa_registration_url
        ),
    }
    paragraphs = []
    for raw in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        raw = raw.strip()
        if not raw:
            continue
        parts, position = [], 0
        for match in PLACEHOLDER_RE.finditer(raw):
            parts.append(escape(raw[position : match.start()]))
            parts.append(values.get(match.group(1), escape(match.group(0))))
            position = match.end()
        parts.append(escape(raw[position:]))
        # Everything but the placeholders was escaped above.
        paragraphs.append(mark_safe("".join(parts).replace("\n", "<br>")))
    return paragraphs


def placeholder_problems(text: str) -> tuple[set[str], set[str]]:
    """(unknown placeholders used, required placeholders missing) in an operator's text."""
    used = set(PLACEHOLDER_RE.findall(text))
    return used - set(PLACEHOLDERS), set(PLACEHOLDERS) - used


_cache_lock = threading.Lock()
_cache = {"at": None, "version": None}


def forget_cached_notice(**kwargs) -> None:
    """Called when a version is saved (see apps.py), and by tests."""
    with _cache_lock:
        _cache["at"] = None
        _cache["version"] = None


def _newest_version():
    """The operator's newest version as plain values, None when there is none; raises DatabaseError."""
    from myprescriptions.site.models import NoticeVersion

    version = NoticeVersion.objects.order_by("-created_at", "-pk").first()
    if version is None:
        return None
    return {
        "texts": {code: version.text_for(code) for code, _name in settings.LANGUAGES},
        "successor_url": version.successor_url,
        "poa_registration_url": version.poa_registration_url,
    }


def _cached_version():
    now = _clock()
    with _cache_lock:
        if _cache["at"] is not None and now - _cache["at"] < CACHE_SECONDS:
            return _cache["version"]
    try:
        version = _newest_version()
    except DatabaseError:
        # The notice must never take a page down (the 503 page shows it too): settings suffice.
        logger.warning("closing notice unavailable, showing the one from settings")
        return None
    with _cache_lock:
        _cache["at"], _cache["version"] = now, version
    return version


def current_notice() -> Notice:
    version = _cached_version() or {}
    return Notice(
        closes_on=closes_on(),
        successor_url=version.get("successor_url") or settings.SUCCESSOR_URL,
        poa_registration_url=version.get("poa_registration_url") or settings.POA_REGISTRATION_URL,
        texts=version.get("texts") or {},
    )
