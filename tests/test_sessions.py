"""Issue 6, "HTTP and sessions": server-side sessions, 30 minutes idle and 120 minutes absolute,
a new session key at login, and the warning script's endpoints and include."""

import datetime
import re

import pytest
import time_machine
from django.contrib.sessions.models import Session

from tests.conftest import login, start_login
from tests.fixtures.saml import english_client, logged_in

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def client(db):
    return english_client()


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def minutes(n):
    return datetime.timedelta(minutes=n)


def logged_in_as(client, person):
    login(client, person.national_id)
    client.post("/choose/switch/", {"person": person.pk})
    assert logged_in(client)


def test_the_session_lives_in_the_database(client, people):
    logged_in_as(client, people["kari"])
    key = client.cookies["mrsession"].value
    stored = Session.objects.get(session_key=key).get_decoded()
    assert stored["_auth_user_id"]
    assert client.cookies["mrsession"]["httponly"]
    assert client.cookies["mrsession"]["samesite"] == "Lax"


def test_the_session_key_is_cycled_at_login(client, people):
    start_login(client)  # the login itself starts a session (the stashed request state)
    before = client.cookies["mrsession"].value
    assert Session.objects.filter(session_key=before).exists()
    login(client, people["kari"].national_id)
    after = client.cookies["mrsession"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()


def test_29_minutes_idle_is_fine_and_activity_restarts_the_clock(client, people, clock):
    logged_in_as(client, people["kari"])
    for _ in range(3):
        clock.shift(minutes(29))
        assert client.get("/prescriptions/").status_code == 200
    assert logged_in(client)


def test_31_minutes_idle_asks_for_login_again(client, people, clock):
    logged_in_as(client, people["kari"])
    key = client.cookies["mrsession"].value
    clock.shift(minutes(31))
    response = client.get("/prescriptions/")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not logged_in(client)
    assert not Session.objects.filter(session_key=key).exists()
    landing = client.get("/").content.decode()
    assert "session expired" in landing


def test_120_minutes_is_the_limit_however_active(client, people, clock):
    logged_in_as(client, people["kari"])
    for _ in range(4):  # active every 25 minutes: 100 minutes
        clock.shift(minutes(25))
        assert client.get("/prescriptions/").status_code == 200
    clock.shift(minutes(19))  # 119 minutes
    assert client.get("/prescriptions/").status_code == 200
    clock.shift(minutes(2))  # 121 minutes
    response = client.get("/prescriptions/")
    assert response.status_code == 302 and not logged_in(client)


def test_the_status_request_does_not_count_as_activity(client, people, clock):
    logged_in_as(client, people["kari"])
    clock.shift(minutes(20))
    status = client.get("/auth/session/").json()
    assert status == {"authenticated": True, "idle_seconds": 600, "absolute_seconds": 6000}
    clock.shift(minutes(11))
    assert client.get("/auth/session/").json() == {"authenticated": False}
    assert not logged_in(client)


def test_stay_logged_in_restarts_the_idle_clock(client, people, clock):
    logged_in_as(client, people["kari"])
    clock.shift(minutes(28))
    answer = client.post("/auth/session/keep-alive/").json()
    assert answer["idle_seconds"] == 1800
    clock.shift(minutes(20))
    assert client.get("/prescriptions/").status_code == 200


def test_keep_alive_is_post_only_and_for_logged_in_users(client, people):
    assert client.post("/auth/session/keep-alive/").status_code == 302  # to the landing page
    logged_in_as(client, people["kari"])
    assert client.get("/auth/session/keep-alive/").status_code == 405


def test_keep_alive_needs_the_csrf_token(people):
    from django.test import Client

    strict = Client(HTTP_HOST="my.prescriptions.test", enforce_csrf_checks=True)
    login(strict, people["kari"].national_id)
    assert strict.post("/auth/session/keep-alive/").status_code == 403


def test_pages_of_a_logged_in_user_load_the_warning_with_the_csp_nonce(client, people, clock):
    logged_in_as(client, people["kari"])
    clock.shift(minutes(10))
    response = client.get("/prescriptions/")
    page = response.content.decode()
    tag = re.search(r'<script src="[^"]*session-warning[^"]*\.js" nonce="([^"]+)"[^>]*>', page)
    assert tag, page[:2000]
    assert f"'nonce-{tag.group(1)}'" in response["Content-Security-Policy"]
    assert 'data-idle-seconds="1800"' in tag.group(0)  # this request was activity
    assert 'data-absolute-seconds="6600"' in tag.group(0)
    assert 'data-warn-seconds="300"' in tag.group(0)
    assert '<template id="session-warning">' in page
    assert "Stay logged in" in page


def test_anonymous_pages_have_no_warning(client, db):
    page = client.get("/").content.decode()
    assert "session-warning" not in page


def _session_writes(queries):
    return [q["sql"] for q in queries if q["sql"].startswith('UPDATE "django_session"')]


def test_page_views_rewrite_the_session_at_most_every_half_minute(client, people, clock):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    logged_in_as(client, people["kari"])
    clock.shift(datetime.timedelta(seconds=40))
    with CaptureQueriesContext(connection) as first:
        assert client.get("/prescriptions/").status_code == 200
    assert len(_session_writes(first.captured_queries)) == 1  # the activity is stored
    with CaptureQueriesContext(connection) as soon_after:
        for _ in range(3):
            clock.shift(datetime.timedelta(seconds=5))
            assert client.get("/prescriptions/").status_code == 200
    assert _session_writes(soon_after.captured_queries) == []
    # The idle limit counts from the stored activity (at 40 s), 29 min 25 s before this request:
    clock.shift(minutes(29) + datetime.timedelta(seconds=10))
    assert client.get("/prescriptions/").status_code == 200
    assert logged_in(client)


def test_stay_logged_in_gives_the_full_idle_time_even_right_after_a_page(client, people, clock):
    logged_in_as(client, people["kari"])
    clock.shift(minutes(5))
    assert client.get("/prescriptions/").status_code == 200
    clock.shift(datetime.timedelta(seconds=10))
    assert client.post("/auth/session/keep-alive/").json()["idle_seconds"] == 1800
    clock.shift(minutes(29) + datetime.timedelta(seconds=50))  # 30 min after the page, 29:50 after the button
    assert client.get("/prescriptions/").status_code == 200
