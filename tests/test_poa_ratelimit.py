"""The holder-lookup rate limit on both cache backends: the database cache (default) and Redis.

The Redis tests run when REDIS_TEST_URL is set (CI sets redis://127.0.0.1:6379/15); they use a key
prefix of their own and delete only their own keys. The concurrency test on the database cache
needs PostgreSQL (SQLite's in-memory test database is not shared between threads).
"""

import os
import threading
import uuid

import pytest
from django.core.cache import caches
from django.db import connection

from proxies import ratelimit

WINDOW = 60


def _allowed(key, attempts, *, limit, now):
    return [ratelimit.hit(key, limit=limit, window_seconds=WINDOW, now=now).allowed for _ in range(attempts)]


def _behaves_as_a_fixed_window():
    key = f"test:{uuid.uuid4().hex}"
    start = 1_000_000 * WINDOW + 5.0
    assert _allowed(key, 5, limit=3, now=start) == [True, True, True, False, False]
    refused = ratelimit.hit(key, limit=3, window_seconds=WINDOW, now=start + 10)
    assert (refused.allowed, refused.retry_after_seconds) == (False, WINDOW - 15)
    assert _allowed(f"test:{uuid.uuid4().hex}", 1, limit=3, now=start) == [True]  # another key, its own count
    assert _allowed(key, 4, limit=3, now=start + WINDOW) == [True, True, True, False]  # the next window


def _concurrent_attempts_never_exceed_the_limit(close_connections):
    key, limit, threads = f"test:{uuid.uuid4().hex}", 4, 16
    results, barrier = [], threading.Barrier(threads)

    def attempt():
        try:
            barrier.wait()
            results.append(ratelimit.hit(key, limit=limit, window_seconds=WINDOW).allowed)
        finally:
            if close_connections:
                connection.close()

    workers = [threading.Thread(target=attempt) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(results) == threads
    assert results.count(True) == limit


def test_database_cache_fixed_window(db):
    assert caches["default"].__class__.__name__ == "DatabaseCache"
    _behaves_as_a_fixed_window()


@pytest.mark.django_db(transaction=True)
def test_database_cache_concurrent_attempts():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the SQLite test database is per-thread in memory")
    _concurrent_attempts_never_exceed_the_limit(close_connections=True)


@pytest.fixture
def redis_cache(settings):
    url = os.environ.get("REDIS_TEST_URL")
    if not url:
        pytest.skip("REDIS_TEST_URL is not set")
    prefix = f"mp-ratelimit-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": prefix}
    }
    assert caches["default"].__class__.__name__ == "RedisCache"
    yield
    client = caches["default"]._cache.get_client(write=True)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_redis_fixed_window(redis_cache):
    _behaves_as_a_fixed_window()


def test_redis_concurrent_attempts(redis_cache):
    _concurrent_attempts_never_exceed_the_limit(close_connections=False)
