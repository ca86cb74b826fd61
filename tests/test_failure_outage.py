"""A real database outage under gunicorn with production settings: the site answers with a
translated 503 page and Retry-After, shows no data and no traceback, and recovers by itself
when the database is back, without a restart.

The outage is real: on a PostgreSQL database of its own, the test terminates the server's
connections and refuses new ones (ALTER DATABASE ... ALLOW_CONNECTIONS false), then allows them
again. Skipped when PostgreSQL is not reachable at 127.0.0.1:5432 (CI has it).
"""

import secrets

import psycopg
import pytest

from tests.test_failure_pages import translated
from tests.test_headers_gunicorn import ProductionServer

ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"

MAKE_SESSION = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from prescriptions.models import Person
person = Person.objects.get(given_name="Kari", family_name="Nordmann")
user, _ = get_user_model().objects.get_or_create(username="eid-outage-test", defaults={"person": person})
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "myprescriptions.accounts.backends.AuthenticationBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(session.session_key)
"""


def _admin():
    return psycopg.connect(ADMIN_DSN, autocommit=True)


@pytest.fixture
def outage_db():
    try:
        admin = _admin()
    except psycopg.OperationalError:
        pytest.skip("needs PostgreSQL at 127.0.0.1:5432 (CI runs it): the outage is made with ALLOW_CONNECTIONS")
    name = f"mp_hardening_outage_{secrets.token_hex(4)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def take_database_down(name):
    with _admin() as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])


def bring_database_back(name):
    with _admin() as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


def test_database_outage_and_recovery_without_restart(outage_db, tmp_path):
    # Kept connections (DB_CONN_MAX_AGE) are the hard case: they break under the running process.
    server = ProductionServer(
        tmp_path, f"postgres://postgres@127.0.0.1:5432/{outage_db}", DB_CONN_MAX_AGE="600"
    ).prepare("seed_demo")
    session_key = server.manage("shell", "-c", MAKE_SESSION).stdout.strip().splitlines()[-1]
    kari = {"mrsession": session_key}
    server.start()
    try:
        before = server.get("/prescriptions/", cookies=kari)
        assert before.status_code == 200
        assert "Metformin Sandoz" in before.text
        assert server.get("/health/ready").status_code == 200
        pid = server.process.pid

        take_database_down(outage_db)
        down = server.get("/prescriptions/", cookies=kari)
        assert down.status_code == 503
        assert down.headers["retry-after"] == "30"
        assert "no-store" in down.headers["cache-control"]
        assert '<html lang="nb">' in down.text
        assert translated("nb", "My Prescriptions is temporarily unavailable") in down.text
        for leak in ("Metformin", "Kari", "Nordmann", "Traceback", "OperationalError", "psycopg", outage_db):
            assert leak not in down.text, leak
        english = server.get("/prescriptions/", cookies={**kari, "django_language": "en"})
        assert english.status_code == 503
        assert "My Prescriptions is temporarily unavailable" in english.text
        assert server.get("/health/live").status_code == 200  # the process is fine: no restart wanted
        not_ready = server.get("/health/ready")
        assert not_ready.status_code == 503
        assert not_ready.json() == {"status": "unavailable", "problems": ["database"]}

        bring_database_back(outage_db)
        after = server.get("/prescriptions/", cookies=kari)
        assert after.status_code == 200
        assert "Metformin Sandoz" in after.text
        assert server.get("/health/ready").status_code == 200
        assert server.process.poll() is None and server.process.pid == pid
    finally:
        bring_database_back(outage_db)
        server.stop()
    lines = server.log_lines()
    outage_lines = [line for line in lines if line.get("status") == 503 or line.get("level") == "ERROR"]
    assert outage_lines and all(line["request_id"] for line in outage_lines)
