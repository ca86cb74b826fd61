"""DB_POOL_MAX_SIZE: psycopg's pool instead of one persistent connection per thread. A fresh
process with the pool on serves queries from at most that many connections, on PostgreSQL."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, threading, django
django.setup()
from django.conf import settings
from django.db import connection, connections
from prescriptions.models import Person

seen = []
def work():
    for _ in range(5):
        Person.objects.count()
        seen.append(connection.connection.info.backend_pid)
        connections.close_all()  # what Django does at the end of each request: back to the pool
threads = [threading.Thread(target=work) for _ in range(6)]
[t.start() for t in threads]
[t.join() for t in threads]
print(json.dumps({"conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
                  "pool": {k: v for k, v in settings.DATABASES["default"]["OPTIONS"]["pool"].items() if k != "check"},
                  "backend_pids": len(set(seen)), "queries": len(seen)}))
"""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's pool is for PostgreSQL")
def test_six_threads_share_a_pool_of_two_connections(db):
    settings_dict = connection.settings_dict
    url = f"postgres://{settings_dict['USER']}@{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "myprescriptions.settings", "DATABASE_URL": url,
           "DB_POOL_MAX_SIZE": "2", "DB_CONN_MAX_AGE": "600", "DEBUG": "1", "TEST_IDP": "1"}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, text=True, capture_output=True)
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["conn_max_age"] == 0  # the pool replaces persistent connections
    assert found["pool"] == {"min_size": 2, "max_size": 2, "timeout": 10.0}
    assert found["queries"] == 30
    assert found["backend_pids"] <= 2
