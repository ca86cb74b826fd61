"""Runs the site under gunicorn with production settings, for the benchmark.

DEBUG off, a random SECRET_KEY, the test IdP off, static files collected into a temporary
STATIC_ROOT and served by whitenoise, persistent database connections, and BENCHMARK=1 for the
baseline page. The IdP is a key pair generated here, trusted through a metadata file
(SAML_IDP_METADATA), so bench.saml_logins can sign responses the server verifies for real.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "my.prescriptions.test"  # python3-saml refuses single-label hosts
IDP_ENTITY_ID = "urn:myprescriptions:bench-idp"
IDP_SSO_URL = "https://idp.bench.invalid/sso"  # never contacted: the benchmark answers for the IdP

# Two cores: two processes (each its own GIL) with a few threads each, so one worker's threads can
# run Python while another waits on PostgreSQL. On this 2-core machine 2x4 was within noise of 1x8,
# 3x2 and 2x8 for the pages and best for the baseline at 32 clients; 4x1 was worst on every page.
DEFAULT_WORKERS = 2
DEFAULT_THREADS = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_idp(directory: Path) -> dict:
    """A fresh IdP signing key and the metadata file that makes the server trust it."""
    from myprescriptions.testidp.idp import cert_body, generate_key_pair

    key_pem, cert_pem = generate_key_pair("My Prescriptions benchmark IdP", days=30)
    metadata = directory / "bench-idp-metadata.xml"
    metadata.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{IDP_ENTITY_ID}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert_body(cert_pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{IDP_SSO_URL}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
""")
    return {"key_pem": key_pem, "cert_pem": cert_pem, "metadata": str(metadata), "entity_id": IDP_ENTITY_ID}


def production_env(work: Path, database_url: str, idp_metadata: str, secret_key: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEBUG", "TEST_IDP", "REDIS_URL"))}
    env.update({
        "DEBUG": "0",
        "TEST_IDP": "0",
        "SECRET_KEY": secret_key,
        "SECURE_SSL_REDIRECT": "0",
        "BENCHMARK": "1",
        "DATABASE_URL": database_url,
        # Persistent connections: one per gunicorn thread, reused for the life of the worker.
        "DB_CONN_MAX_AGE": os.environ.get("BENCH_DB_CONN_MAX_AGE", "600"),
        "ALLOWED_HOSTS": HOST,
        "STATIC_ROOT": str(work / "static"),
        "VAR_DIR": str(work / "var"),
        "SAML_IDP_METADATA": idp_metadata,
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "INFO"),  # production's level: a line per request
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    redis_url = redis_for_benchmark()
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def redis_for_benchmark() -> str:
    """Redis as production with several nodes uses it (replay cache, rate limits): database 12 of
    the local Redis, emptied, unless BENCH_REDIS_URL says otherwise (empty: the database instead)."""
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    if not url:
        return ""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()
    except redis.RedisError:
        return ""
    return url


def new_secret_key() -> str:
    return secrets.token_urlsafe(48)


def manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def collectstatic(env: dict) -> None:
    Path(env["VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    manage(env, "collectstatic", "--noinput", "-v0")


class Gunicorn:
    def __init__(self, env: dict, *, workers: int = DEFAULT_WORKERS, threads: int = DEFAULT_THREADS,
                 log_path: Path | None = None, port: int | None = None):
        self.env = env
        self.workers = workers
        self.threads = threads
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str = "/bench/fortunes/", timeout: float = 60.0) -> "Gunicorn":
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [
                str(Path(PYTHON).parent / "gunicorn"), "myprescriptions.wsgi:application",
                # The production configuration: JSON logs, one line per request.
                "-c", "python:myprescriptions.hardening.gunicorn_conf",
                "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(self.workers), "--threads", str(self.threads), "--worker-class", "gthread",
                "--keep-alive", "30",
            ],
            cwd=ROOT, env=self.env, stdout=log, stderr=log,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            try:
                response = httpx.get(self.base_url + ready_path, headers={"Host": HOST}, timeout=2)
                if response.status_code < 500:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer on {self.base_url} within {timeout} s")

    def worker_pids(self) -> list[int]:
        """The worker processes (children of the gunicorn master), for CPU accounting."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
