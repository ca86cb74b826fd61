"""With DEBUG off the site refuses to start with development values: the development SECRET_KEY,
a short or simple key, or the test IdP switched on. Checked on the function and on a real
`manage.py check` in a fresh process, configured only through the environment."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from myprescriptions.safety import DEV_SECRET_KEY, refuse_unsafe_production, unsafe_production_reasons

ROOT = Path(__file__).resolve().parents[1]
GOOD_KEY = secrets.token_urlsafe(50)

UNSAFE = {
    "development key": (dict(secret_key=DEV_SECRET_KEY, test_idp=False), "SECRET_KEY is a development value"),
    "django-insecure key": (dict(secret_key="django-insecure-" + GOOD_KEY, test_idp=False),
                            "SECRET_KEY is a development value"),
    "short key": (dict(secret_key=GOOD_KEY[:39], test_idp=False), "SECRET_KEY is too short or too simple"),
    "empty key": (dict(secret_key="", test_idp=False), "SECRET_KEY is too short or too simple"),
    "simple key": (dict(secret_key="abcd" * 20, test_idp=False), "SECRET_KEY is too short or too simple"),
    "test IdP on": (dict(secret_key=GOOD_KEY, test_idp=True), "TEST_IDP is on"),
}


@pytest.mark.parametrize("case", UNSAFE, ids=str)
def test_unsafe_values_are_refused_with_debug_off(case):
    values, reason = UNSAFE[case]
    reasons = unsafe_production_reasons(debug=False, **values)
    assert len(reasons) == 1 and reasons[0].startswith(reason)
    with pytest.raises(ImproperlyConfigured, match="Refusing to start with DEBUG off") as refusal:
        refuse_unsafe_production(debug=False, **values)
    assert reason in str(refusal.value)


def test_every_reason_is_named_at_once():
    with pytest.raises(ImproperlyConfigured) as refusal:
        refuse_unsafe_production(debug=False, secret_key=DEV_SECRET_KEY, test_idp=True)
    assert "SECRET_KEY is a development value" in str(refusal.value) and "TEST_IDP is on" in str(refusal.value)


def test_safe_values_start():
    assert unsafe_production_reasons(debug=False, secret_key=GOOD_KEY, test_idp=False) == []
    refuse_unsafe_production(debug=False, secret_key=GOOD_KEY, test_idp=False)


@pytest.mark.parametrize("case", UNSAFE, ids=str)
def test_development_is_allowed_anything(case):
    values, _ = UNSAFE[case]
    assert unsafe_production_reasons(debug=True, **values) == []


# --- the real thing: manage.py in a fresh process, configured by environment variables ---

def manage_check(tmp_path, **env_values) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "TEST_IDP", "SECRET_KEY", "DATABASE_URL")}
    env.update(VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    env.update({k: v for k, v in env_values.items() if v is not None})
    for name in [k for k, v in env_values.items() if v is None]:
        env.pop(name, None)
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def last_line(result) -> str:
    return (result.stderr.strip().splitlines() or [""])[-1]


@pytest.mark.parametrize(
    ("env_values", "reason"),
    [
        (dict(DEBUG="0", SECRET_KEY=None, TEST_IDP="0"), "SECRET_KEY is a development value"),
        (dict(DEBUG="0", SECRET_KEY=DEV_SECRET_KEY, TEST_IDP="0"), "SECRET_KEY is a development value"),
        (dict(DEBUG="0", SECRET_KEY="too-short-but-random-Zx81", TEST_IDP="0"), "SECRET_KEY is too short"),
        (dict(DEBUG="0", SECRET_KEY=GOOD_KEY, TEST_IDP="1"), "TEST_IDP is on"),
        # DEBUG unset means off: production is the default.
        (dict(DEBUG=None, SECRET_KEY=GOOD_KEY, TEST_IDP="1"), "TEST_IDP is on"),
    ],
    ids=["no key", "development key", "short key", "test IdP on", "DEBUG unset, test IdP on"],
)
def test_manage_py_refuses_to_start(tmp_path, env_values, reason):
    result = manage_check(tmp_path, **env_values)
    assert result.returncode != 0
    assert "Refusing to start with DEBUG off" in last_line(result) and reason in last_line(result), result.stderr


def test_manage_py_refuses_a_debug_value_it_does_not_understand(tmp_path):
    result = manage_check(tmp_path, DEBUG="maybe", SECRET_KEY=GOOD_KEY, TEST_IDP="0")
    assert result.returncode != 0
    assert "DEBUG must be one of" in last_line(result), result.stderr


def test_manage_py_starts_with_safe_values(tmp_path):
    result = manage_check(tmp_path, DEBUG="0", SECRET_KEY=GOOD_KEY, TEST_IDP="0")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_manage_py_starts_in_development_with_development_values(tmp_path):
    result = manage_check(tmp_path, DEBUG="1", SECRET_KEY=None, TEST_IDP="1")
    assert result.returncode == 0, result.stderr
