"""`manage.py check --deploy` is clean under the production settings documented in the README
("Running in production"); CI (.ci/run) runs the same command."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def deploy_check(**overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "TEST_IDP", "SECRET_KEY", "DATABASE_URL")}
    env.update(
        # The README's production environment (values are examples, as there).
        DEBUG="0",
        TEST_IDP="0",
        SECRET_KEY=secrets.token_urlsafe(60),
        DATABASE_URL="postgres://myprescriptions@db.example.no:5432/myprescriptions",
        ALLOWED_HOSTS="mine-resepter.example.no",
        BEHIND_TLS_PROXY="1",
        CSP_FORM_ACTION_EXTRA="https://idp.example.no",
    )
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_gives_no_warnings_with_the_production_settings():
    result = deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_would_catch_a_weakened_setting():
    """The check above can fail: turning off the https redirect is reported."""
    result = deploy_check(SECURE_SSL_REDIRECT="0")
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


def test_production_refuses_to_start_with_a_development_secret():
    result = deploy_check(SECRET_KEY="dev-insecure-my-prescriptions-change-me")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
