"""Probes for load balancers: /health/live and /health/ready. Their behaviour during a real
database outage is in test_failure_outage.py."""

import json
import logging

from django.db import connection

from myprescriptions.hardening.views import live, ready
from prescriptions.access_rules import PUBLIC, rule_of


def test_live_answers_without_touching_the_database(client):
    # No `db` fixture: any query in this request would raise.
    response = client.get("/health/live")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}
    assert not response.cookies  # no session, no CSRF cookie


def test_ready_when_the_database_answers_and_migrations_are_applied(client, db):
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}


def test_not_ready_while_a_migration_is_waiting(client, db):
    with connection.cursor() as cursor:
        # Rolled back with the test's transaction.
        cursor.execute("DELETE FROM django_migrations WHERE app = %s AND name = %s", ["prescriptions", "0001_initial"])
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert json.loads(response.content) == {"status": "unavailable", "problems": ["migrations"]}
    assert response.headers["Retry-After"].isdigit()


def test_probes_are_public_and_tiny(client, people):
    assert rule_of(live) == PUBLIC and rule_of(ready) == PUBLIC
    for url in ("/health/live", "/health/ready"):
        response = client.get(url)
        assert len(response.content) < 100
        assert "no-store" in response.headers["Cache-Control"]


def test_probes_are_not_logged_at_info(client, db, caplog):
    with caplog.at_level(logging.DEBUG, logger="myprescriptions.requests"):
        client.get("/health/live")
        client.get("/health/ready")
        client.get("/")
    by_path = {record.path: record.levelno for record in caplog.records if record.name == "myprescriptions.requests"}
    assert by_path == {"/health/live": logging.DEBUG, "/health/ready": logging.DEBUG, "/": logging.INFO}
