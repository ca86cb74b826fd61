"""Scale-out, checked on the settings themselves: whatever the environment, every store that holds
per-user state (sessions, the cache behind rate limits, the SAML replay cache) is shared by all app
processes. Runs everywhere, SQLite included; tests/test_two_nodes.py proves it with two live nodes.
"""

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROCESS_LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.filebased.FileBasedCache",
    "django.core.cache.backends.dummy.DummyCache",
}
SHARED_SESSION_ENGINES = {
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cache",
    "django.contrib.sessions.backends.cached_db",
}

PROBE = """
import json, django
django.setup()
from django.conf import settings
from myprescriptions.saml import replay
print(json.dumps({
    "caches": {alias: conf["BACKEND"] for alias, conf in settings.CACHES.items()},
    "cache_location": settings.CACHES["default"].get("LOCATION"),
    "session_engine": settings.SESSION_ENGINE,
    "session_cache_alias": settings.SESSION_CACHE_ALIAS,
    "replay_store": type(replay.get_store()).__name__,
}))
"""

PRODUCTION = {"DEBUG": "0", "TEST_IDP": "0", "SECRET_KEY": "scale-out-test-" + "k" * 48}
ENVIRONMENTS = {
    "development": {"DEBUG": "1", "TEST_IDP": "1"},
    "production": PRODUCTION,
    "production with Redis": {**PRODUCTION, "REDIS_URL": "redis://127.0.0.1:6379/13"},
}


@functools.cache
def settings_under(name: str) -> dict:
    """The relevant settings as a fresh process sees them in the named environment."""
    env = ENVIRONMENTS[name]
    base = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DEBUG", "TEST_IDP", "SECRET_KEY")}
    base["DJANGO_SETTINGS_MODULE"] = "myprescriptions.settings"
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env={**base, **env}, text=True, capture_output=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_per_user_state_lives_in_stores_every_process_shares(name):
    found = settings_under(name)
    assert not set(found["caches"].values()) & PROCESS_LOCAL_CACHES, found["caches"]
    assert found["session_engine"] in SHARED_SESSION_ENGINES
    if found["session_engine"] != "django.contrib.sessions.backends.db":
        assert found["caches"][found["session_cache_alias"]] not in PROCESS_LOCAL_CACHES
    assert found["replay_store"] in ("DatabaseReplayStore", "RedisReplayStore")


def test_redis_url_moves_the_cache_and_the_replay_cache_to_redis():
    without = settings_under("production")
    assert without["caches"]["default"] == "django.core.cache.backends.db.DatabaseCache"
    assert without["replay_store"] == "DatabaseReplayStore"
    with_redis = settings_under("production with Redis")
    assert with_redis["caches"]["default"] == "django.core.cache.backends.redis.RedisCache"
    assert with_redis["cache_location"] == "redis://127.0.0.1:6379/13"
    assert with_redis["replay_store"] == "RedisReplayStore"
