"""Writes that must not be lost are all-or-nothing even when the database connection dies in the
middle of a request: the test terminates the request's own database backend
(pg_terminate_backend, from a second connection) right after a chosen statement has run and
before the transaction commits, then checks that nothing of the write remains and that the
visitor got a "try again" page without data.

PostgreSQL only: SQLite has no server connection to kill. CI runs the suite on PostgreSQL.
"""

import datetime

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from prescriptions.models import AccessLogEntry
from proxies.models import PowerOfAttorney
from tests.conftest import HOST, login

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: the test kills the request's database connection with pg_terminate_backend",
)


class KillAfter:
    """Terminates the current connection's backend just after the first statement starting with
    `prefix` has run (or just before it, with before=True), as a database crash or failover at that
    instant would."""

    def __init__(self, prefix: str, before: bool = False):
        self.prefix = prefix
        self.before = before
        self.fired = False

    def __call__(self, execute, sql, params, many, context):
        matches = not self.fired and sql.lstrip().startswith(self.prefix)
        if matches and self.before:
            self._kill(context)
        result = execute(sql, params, many, context)
        if matches and not self.before:
            self._kill(context)
        return result

    def _kill(self, context):
        self.fired = True
        pid = context["connection"].connection.info.backend_pid
        conf = connection.settings_dict
        with psycopg.connect(
            dbname=conf["NAME"], user=conf["USER"], password=conf["PASSWORD"] or None,
            host=conf["HOST"] or None, port=conf["PORT"] or None, autocommit=True,
        ) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.fixture
def browser():
    # The visitor's view: the error page, not the exception the test client would re-raise.
    return Client(HTTP_HOST=HOST, raise_request_exception=False)


def request_with_kill(prefix, send, before=False):
    killer = KillAfter(prefix, before=before)
    with connection.execute_wrapper(killer):
        response = send()
    connection.close()  # the test's own next query opens a fresh connection
    assert killer.fired, f"no statement starting with {prefix!r} ran"
    return response


def assert_try_again_page(response, *secrets):
    assert response.status_code == 503
    body = response.content.decode()
    for secret in secrets:
        assert secret not in body


# The access-log entry is a single INSERT in autocommit: it is written the moment the statement
# returns, so there is no moment between writing and committing it. Shown if and only if logged:


def test_access_log_insert_on_a_dead_connection_leaves_nothing_and_shows_nothing(browser, people, transactional_db):
    kari = people["kari"]
    login(browser, kari.national_id)
    before = AccessLogEntry.objects.filter(subject=kari).count()
    table = AccessLogEntry._meta.db_table
    response = request_with_kill(
        f'INSERT INTO "{table}"', lambda: browser.get(reverse("prescriptions:valid")), before=True
    )
    assert_try_again_page(response, "Metformin Sandoz", "Atorvastatin Krka")
    assert AccessLogEntry.objects.filter(subject=kari).count() == before
    # The same page works on the next request, and is logged then.
    assert "Metformin Sandoz" in browser.get(reverse("prescriptions:valid")).content.decode()
    assert AccessLogEntry.objects.filter(subject=kari).count() == before + 1


def test_connection_lost_right_after_the_access_log_insert_shows_the_logged_page(browser, people, transactional_db):
    kari = people["kari"]
    login(browser, kari.national_id)
    before = AccessLogEntry.objects.filter(subject=kari).count()
    table = AccessLogEntry._meta.db_table
    response = request_with_kill(f'INSERT INTO "{table}"', lambda: browser.get(reverse("prescriptions:valid")))
    assert response.status_code == 200 and "Metformin Sandoz" in response.content.decode()
    assert AccessLogEntry.objects.filter(subject=kari).count() == before + 1


def test_grant_killed_after_its_second_write_leaves_neither(browser, people, transactional_db):
    """Granting to someone whose earlier time-limited power ran out writes twice: the old one is
    closed, then the new one inserted. Killed after the insert, neither write remains."""
    kari, nils = people["kari"], people["nils"]
    today = timezone.localdate()
    old = PowerOfAttorney.objects.create(
        grantor=kari, holder=nils, starts_on=today - datetime.timedelta(days=40), ends_on=today - datetime.timedelta(days=1)
    )
    login(browser, kari.national_id)
    step_one = browser.post(reverse("proxies:grant"), {"national_id": nils.national_id, "ends_on": ""})
    assert step_one["Location"] == reverse("proxies:grant_confirm")
    table = PowerOfAttorney._meta.db_table
    response = request_with_kill(
        f'INSERT INTO "{table}"', lambda: browser.post(reverse("proxies:grant_confirm"), {"action": "confirm"})
    )
    assert_try_again_page(response, "Nils Olsen")
    old.refresh_from_db()
    assert old.ended_at is None  # the first write is gone too
    assert PowerOfAttorney.objects.filter(grantor=kari, holder=nils).count() == 1


def test_end_killed_before_commit_leaves_the_power_in_force(browser, people, transactional_db):
    kari, ingrid = people["kari"], people["ingrid"]
    poa = PowerOfAttorney.objects.get(grantor=kari, holder=ingrid, ended_at__isnull=True)
    login(browser, kari.national_id)
    table = PowerOfAttorney._meta.db_table
    response = request_with_kill(
        f'UPDATE "{table}"', lambda: browser.post(reverse("proxies:end", args=[poa.pk]))
    )
    assert_try_again_page(response, "Ingrid Dahl")
    poa.refresh_from_db()
    assert poa.ended_at is None and poa.ended_by is None
    # Ending it again now works: nothing was half done.
    assert browser.post(reverse("proxies:end", args=[poa.pk])).status_code == 302
    poa.refresh_from_db()
    assert poa.ended_by == kari
