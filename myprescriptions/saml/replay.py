"""The replay cache: each SAML assertion ID is accepted once, by any app process.

Two stores share one small interface. The database store is the default (every process already
shares the database); with REDIS_URL set, Redis keeps the IDs and expires them by itself.
An ID is kept until the assertion's NotOnOrAfter plus the allowed clock skew: after that, the
assertion itself is refused as expired, so remembering it longer is useless.
"""

import datetime
import hashlib
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from myprescriptions.accounts.models import UsedAssertion


class ReplayStore(Protocol):
    def first_use(self, assertion_id: str, keep_until: datetime.datetime) -> bool:
        """Records the ID; True on its first use, False if any process has seen it already."""


class DatabaseReplayStore:
    def first_use(self, assertion_id: str, keep_until: datetime.datetime) -> bool:
        now = timezone.now()
        UsedAssertion.objects.filter(not_on_or_after__lt=now).delete()
        try:
            # The unique index decides between racing processes.
            with transaction.atomic():
                UsedAssertion.objects.create(assertion_id=_key(assertion_id), not_on_or_after=keep_until)
        except IntegrityError:
            return False
        return True


class RedisReplayStore:
    PREFIX = "mp:saml:assertion:"

    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)

    def first_use(self, assertion_id: str, keep_until: datetime.datetime) -> bool:
        seconds = max(1, int((keep_until - timezone.now()).total_seconds()) + 1)
        # SET NX is atomic: exactly one process wins.
        return bool(self.client.set(self.PREFIX + _key(assertion_id), b"1", nx=True, ex=seconds))


def _key(assertion_id: str) -> str:
    # IDs are chosen by the sender; a fixed-length digest keeps keys and the column bounded.
    return hashlib.sha256(assertion_id.encode("utf-8", "surrogatepass")).hexdigest()


def keep_until(not_on_or_after: int | None) -> datetime.datetime:
    """Until when an assertion could still be accepted: its NotOnOrAfter plus the clock skew."""
    skew = datetime.timedelta(seconds=settings.SAML_CLOCK_SKEW_SECONDS)
    if not_on_or_after:
        return datetime.datetime.fromtimestamp(not_on_or_after, tz=datetime.UTC) + skew
    # Without a NotOnOrAfter (never from a sane IdP) keep it for a generous hour.
    return timezone.now() + datetime.timedelta(hours=1) + skew


@lru_cache(maxsize=4)
def _redis_store(url: str) -> RedisReplayStore:
    return RedisReplayStore(url)  # one connection pool per process


def get_store() -> ReplayStore:
    if settings.REDIS_URL:
        return _redis_store(settings.REDIS_URL)
    return DatabaseReplayStore()
