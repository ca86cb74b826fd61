"""The header set and cookie flags of a running gunicorn with production settings: DEBUG off, a
random secret key, no test IdP, static files from the whitenoise manifest, behind a TLS proxy.

`ProductionServer` is also used by test_failure_outage.py.
"""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
HOST = "my.prescriptions.test"
# Environment variables of the test run that must not leak into the production-like server.
_DROPPED = ("DEBUG", "TEST_IDP", "DATABASE_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "ADMIN_ENABLED",
            "SECURE_SSL_REDIRECT", "BEHIND_TLS_PROXY", "LOG_FORMAT", "LOG_LEVEL", "REDIS_URL", "STATIC_ROOT", "VAR_DIR")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ProductionServer:
    """gunicorn on a free 127.0.0.1 port with production-like settings, its stdout in a file."""

    def __init__(self, workdir: Path, database_url: str, **extra_env):
        self.workdir = workdir
        self.port = free_port()
        self.log_path = workdir / "gunicorn.log"
        env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
        env.update(
            DEBUG="0",
            TEST_IDP="0",
            SECRET_KEY=secrets.token_urlsafe(60),
            DATABASE_URL=database_url,
            ALLOWED_HOSTS=HOST,
            BEHIND_TLS_PROXY="1",
            STATIC_ROOT=str(workdir / "static"),
            VAR_DIR=str(workdir / "var"),
            PYTHONUNBUFFERED="1",
            PYTHONDONTWRITEBYTECODE="1",
        )
        env.update(extra_env)
        self.env = env
        self.process = None

    def manage(self, *args, check=True):
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
            check=check, timeout=300,
        )

    def prepare(self, *more_commands: str):
        """Translations, static files (the manifest DEBUG off needs) and migrations, then any of
        `more_commands`, in one Django process: each start of Django costs seconds."""
        (self.workdir / "var").mkdir(exist_ok=True)
        commands = ["compilemessages_py", "collectstatic --noinput", "migrate --noinput", *more_commands]
        script = "from django.core.management import call_command\n" + "".join(
            f"call_command(*{command.split()!r}, verbosity=0)\n" for command in commands
        )
        self.manage("shell", "-c", script)
        return self

    def start(self):
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "myprescriptions.wsgi:application",
             "-c", "python:myprescriptions.hardening.gunicorn_conf",
             "--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--threads", "2", "--timeout", "60"],
            cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log()}")
            try:
                if self.get("/health/live").status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer:\n{self.log()}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            self._log.close()

    def request(self, method, path, *, headers=None, cookies=None, **kwargs):
        # The TLS proxy in front says the visitor came over https.
        all_headers = {"Host": HOST, "X-Forwarded-Proto": "https", **(headers or {})}
        with httpx.Client(base_url=f"http://127.0.0.1:{self.port}", cookies=cookies, timeout=30) as http:
            return http.request(method, path, headers=all_headers, follow_redirects=False, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8") if self.log_path.exists() else ""

    def log_lines(self) -> list[dict]:
        """Every line gunicorn and the application wrote, parsed; fails on a line that is not JSON."""
        return [json.loads(line) for line in self.log().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("gunicorn")
    running = ProductionServer(workdir, f"sqlite:///{workdir / 'db.sqlite3'}").prepare().start()
    yield running
    running.stop()


def set_cookie_flags(response) -> dict[str, set[str]]:
    """{cookie name: {lower-cased attributes}} from every Set-Cookie header."""
    cookies = {}
    for header in response.headers.get_list("set-cookie"):
        name = header.split("=", 1)[0].strip()
        cookies[name] = {part.strip().lower() for part in header.split(";")[1:]}
    return cookies


def test_the_production_header_set(server):
    response = server.get("/")
    assert response.status_code == 200
    headers = response.headers
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    csp = headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["script-src"][0] == "'self'"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert headers["cross-origin-resource-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    assert "camera=()" in headers["permissions-policy"] and "geolocation=()" in headers["permissions-policy"]
    assert "no-store" in headers["cache-control"]
    assert len(headers["x-request-id"]) == 32


def test_plain_http_is_redirected_to_https(server):
    response = server.get("/", headers={"X-Forwarded-Proto": "http"})
    assert response.status_code == 301
    assert response.headers["location"] == f"https://{HOST}/"


def test_error_pages_and_probes_carry_the_headers_too(server):
    for path, status in (("/no-such-page/", 404), ("/health/live", 200), ("/health/ready", 200)):
        response = server.get(path)
        assert response.status_code == status, path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
        assert "no-store" in response.headers["cache-control"], path
        assert response.headers["x-content-type-options"] == "nosniff"


def test_static_files_come_hashed_from_the_manifest(server):
    page = server.get("/").text
    css = next(part.split('"')[0] for part in page.split('href="')[1:] if part.startswith("/static/css/site."))
    assert css != "/static/css/site.css"  # the hashed name
    response = server.get(css)
    assert response.status_code == 200
    assert "immutable" in response.headers["cache-control"]


def test_every_cookie_is_secure_httponly_and_samesite_lax(server):
    landing = server.get("/")
    cookies = set_cookie_flags(landing)
    assert "csrftoken" in cookies
    # allauth's ACS parks the IdP's POST under a cookie of its own; it is hardened like the rest.
    acs = server.post("/auth/saml/eid/acs/", data={"SAMLResponse": "bm90IGEgcmVzcG9uc2U=", "RelayState": ""})
    assert acs.status_code == 302
    cookies.update(set_cookie_flags(acs))
    assert "saml-acs-session" in cookies
    token = landing.cookies["csrftoken"]
    form_token = landing.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    switched = server.post(
        "/i18n/setlang/", data={"language": "en", "next": "/", "csrfmiddlewaretoken": form_token},
        cookies={"csrftoken": token}, headers={"Referer": f"https://{HOST}/", "Origin": f"https://{HOST}"},
    )
    assert switched.status_code == 302
    cookies.update(set_cookie_flags(switched))
    assert "mrsession" in cookies
    for name, flags in cookies.items():
        assert "secure" in flags, name
        assert "httponly" in flags, name
        assert "samesite=lax" in flags, name


def test_request_ids_in_the_header_and_on_every_json_log_line(server):
    mine = server.get("/", headers={"X-Request-ID": "lb-7f3a9c21e0"})
    assert mine.headers["x-request-id"] == "lb-7f3a9c21e0"
    forged = server.get("/", headers={"X-Request-ID": "x\" injected"})
    assert forged.headers["x-request-id"] != "x\" injected"
    time.sleep(0.3)
    lines = server.log_lines()  # every line is JSON, gunicorn's own included
    assert any(line["logger"].startswith("gunicorn") for line in lines)
    request_lines = [line for line in lines if line["logger"] == "myprescriptions.requests"]
    assert {"lb-7f3a9c21e0", forged.headers["x-request-id"]} <= {line["request_id"] for line in request_lines}
    assert all(line["request_id"] for line in request_lines)
    # Probes are not logged at INFO.
    assert not [line for line in request_lines if line["path"].startswith("/health/")]
