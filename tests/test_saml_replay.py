"""Issue 6: the replay cache is shared by every app process. The database store is the default;
with REDIS_URL set, the real Redis at 127.0.0.1:6379 (db 14, reserved for these tests) keeps
assertion IDs until their NotOnOrAfter plus the skew."""

import datetime
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from django.utils import timezone

from myprescriptions.accounts.models import UsedAssertion
from myprescriptions.saml import replay
from tests.fixtures.saml import assert_refused, english_client, post_response, signed_response, user_count

REDIS_TEST_URL = "redis://127.0.0.1:6379/14"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def client(db):
    return english_client()


@pytest.fixture
def redis_db():
    """The test Redis database. Not flushed: other test runs may share it at the same time, so
    every test uses IDs of its own (unique()) and looks only at its own keys, which expire
    with their assertions."""
    return redis.Redis.from_url(REDIS_TEST_URL)


def unique(name: str) -> str:
    return f"_{name}-{uuid.uuid4().hex}"


def redis_key(assertion_id: str) -> str:
    return replay.RedisReplayStore.PREFIX + replay._key(assertion_id)


def in_five_minutes():
    return timezone.now() + datetime.timedelta(minutes=5)


def test_database_store_accepts_an_id_once(db):
    store = replay.DatabaseReplayStore()
    assert store.first_use("_a1", in_five_minutes())
    assert not store.first_use("_a1", in_five_minutes())
    assert replay.DatabaseReplayStore().first_use("_a2", in_five_minutes())
    # Another store object (as in another process) sees the same table.
    assert not replay.DatabaseReplayStore().first_use("_a2", in_five_minutes())


def test_database_store_forgets_ids_that_can_no_longer_be_used(db):
    store = replay.DatabaseReplayStore()
    store.first_use("_old", timezone.now() - datetime.timedelta(seconds=1))
    store.first_use("_new", in_five_minutes())
    assert UsedAssertion.objects.count() == 1
    # Keys are digests, not the sender's text.
    assert len(UsedAssertion.objects.get().assertion_id) == 64


def test_ids_are_kept_until_not_on_or_after_plus_the_skew(settings):
    settings.SAML_CLOCK_SKEW_SECONDS = 60
    moment = datetime.datetime(2027, 1, 1, 12, 0, tzinfo=datetime.UTC)
    assert replay.keep_until(int(moment.timestamp())) == moment + datetime.timedelta(seconds=60)


def test_redis_store_accepts_an_id_once_and_expires_it(redis_db):
    store = replay.RedisReplayStore(REDIS_TEST_URL)
    assertion_id = unique("r1")
    assert store.first_use(assertion_id, in_five_minutes())
    assert not store.first_use(assertion_id, in_five_minutes())
    assert 290 <= redis_db.ttl(redis_key(assertion_id)) <= 302


def test_redis_store_is_shared_with_another_process(redis_db):
    assertion_id = unique("shared")
    code = (
        "import datetime, django; django.setup();"
        "from django.utils import timezone; from myprescriptions.saml import replay;"
        f"s = replay.RedisReplayStore({REDIS_TEST_URL!r});"
        f"print(s.first_use({assertion_id!r}, timezone.now() + datetime.timedelta(minutes=5)))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "myprescriptions.settings", "DEBUG": "1"}
    other = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert other.stdout.strip().endswith("True"), other.stderr
    assert not replay.RedisReplayStore(REDIS_TEST_URL).first_use(assertion_id, in_five_minutes())


def test_redis_is_used_when_redis_url_is_set(client, people, settings, redis_db):
    settings.REDIS_URL = REDIS_TEST_URL
    replay._redis_store.cache_clear()
    kari = people["kari"]
    assertion_id = unique("via-redis")
    first = signed_response(client, kari.national_id, assertion_id=assertion_id)
    assert post_response(client, first).status_code == 302
    assert UsedAssertion.objects.count() == 0
    assert redis_db.exists(redis_key(assertion_id))
    client.post("/logout/")
    before = user_count()
    again = signed_response(client, kari.national_id, assertion_id=assertion_id)
    response = post_response(client, again)
    assert_refused(response, client, before, status=403)
    assert response.context["reason"] == "replay"


def test_an_unreachable_redis_refuses_the_login_instead_of_skipping_the_check(client, people, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    replay._redis_store.cache_clear()
    before = user_count()
    response = post_response(client, signed_response(client, people["kari"].national_id))
    assert_refused(response, client, before, status=503, text="temporarily unavailable")
