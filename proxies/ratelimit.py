"""A fixed-window rate limit kept in Django's cache, so every app process shares it (the database
cache by default, Redis when REDIS_URL is set).

Each attempt claims a numbered slot with `cache.add`, which is atomic on both backends (an INSERT
against the cache table's primary key; SET NX in Redis). `cache.incr` would not do: on the
database cache it is a read followed by a write, so concurrent requests could slip past the limit.
"""

import math
import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_seconds: int  # until the current window closes; 0 when allowed


def hit(key: str, *, limit: int, window_seconds: int, now: float | None = None) -> Verdict:
    """Count one attempt under `key`; refused once `limit` attempts were made in this window."""
    now = time.time() if now is None else now
    window = int(now // window_seconds)
    base = f"ratelimit:{key}:{window}"
    retry_after = max(1, math.ceil((window + 1) * window_seconds - now))
    # The hint only saves round trips; a stale hint is corrected by the failing adds that follow.
    first = cache.get(f"{base}:used", 0)
    for slot in range(min(first, limit), limit):
        if cache.add(f"{base}:{slot}", 1, timeout=window_seconds + 60):
            cache.set(f"{base}:used", slot + 1, timeout=window_seconds + 60)
            return Verdict(True, 0)
    return Verdict(False, retry_after)
