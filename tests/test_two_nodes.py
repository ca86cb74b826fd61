"""Scale-out: two app servers (two gunicorn processes on different ports) share one PostgreSQL
database and one Redis, as N nodes behind a load balancer do. Nothing per-user may live in one
process's memory, so a visitor can be sent to either node on every request.

The nodes run the real site over HTTP (DEBUG=1, the test IdP on) against a database of their own,
`<DATABASE_URL's name>_twonodes`, created and migrated here and dropped afterwards, and Redis
database 13 (TWO_NODES_REDIS_URL), flushed here. PostgreSQL only: SQLite is one file on one host.
"""

import base64
import datetime
import os
import re
import socket
import subprocess
import sys
import time
import uuid
import zlib
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
HOST = "my.prescriptions.test"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("TWO_NODES_REDIS_URL", "redis://127.0.0.1:6379/13")
LOOKUP_LIMIT = 4  # POA_LOOKUP_LIMIT on both nodes

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith(("postgres://", "postgresql://")),
    reason="two app nodes need a shared PostgreSQL database: set DATABASE_URL=postgres://... (CI does)",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Node:
    """One app server: its own gunicorn process, its own port."""

    def __init__(self, name: str, env: dict, log: Path):
        self.name = name
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        handle = open(log, "wb")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "myprescriptions.wsgi:application",
             "--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--threads", "2"],
            cwd=ROOT, env=env, stdout=handle, stderr=handle,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"node {self.name} exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/", headers={"Host": HOST}, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        pytest.fail(f"node {self.name} did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Cluster:
    def __init__(self, a: Node, b: Node, database_url: str, key_pem: str, cert_pem: str):
        self.a, self.b = a, b
        self.database_url = database_url
        self.key_pem, self.cert_pem = key_pem, cert_pem

    def person(self, given: str, family: str) -> tuple[int, str]:
        """(pk, national identity number) of a demo person, read from the shared database."""
        import psycopg

        with psycopg.connect(self.database_url) as conn:
            return conn.execute(
                "SELECT id, national_id FROM prescriptions_person WHERE given_name = %s AND family_name = %s",
                [given, family],
            ).fetchone()

    def sql(self, query: str, params=()):
        import psycopg

        with psycopg.connect(self.database_url) as conn:
            return conn.execute(query, params).fetchall()


def _admin_url_and_name(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/") or "postgres"
    return parsed._replace(path="/postgres").geturl(), f"{name}_twonodes"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    import psycopg
    import redis
    from psycopg import sql

    from myprescriptions.testidp.idp import generate_key_pair

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is needed for the two-node test: {exc}")

    admin, name = _admin_url_and_name(DATABASE_URL)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    database_url = urlparse(DATABASE_URL)._replace(path=f"/{name}").geturl()

    work = tmp_path_factory.mktemp("twonodes")
    # Both nodes sign as the test IdP with this key; the test signs hostile variants with it too.
    key_pem, cert_pem = generate_key_pair("two-node test IdP")
    (work / "testidp").mkdir()
    (work / "testidp" / "testidp-signing.pem").write_text(key_pem + cert_pem)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update({
        "DEBUG": "1", "TEST_IDP": "1", "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL,
        "ALLOWED_HOSTS": HOST, "VAR_DIR": str(work), "TEST_IDP_DIR": str(work / "testidp"),
        "POA_LOOKUP_LIMIT": str(LOOKUP_LIMIT), "POA_LOOKUP_WINDOW_SECONDS": "3600",
        "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "myprescriptions.settings",
    })
    for command in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
    a, b = Node("A", env, work / "node-a.log"), Node("B", env, work / "node-b.log")
    try:
        a.wait_ready()
        b.wait_ready()
        yield Cluster(a, b, database_url, key_pem, cert_pem)
    finally:
        a.stop()
        b.stop()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


class Browser:
    """One visitor with one cookie jar, whose requests the "load balancer" sends to either node."""

    def __init__(self):
        self.http = httpx.Client(headers={"Host": HOST}, timeout=30, follow_redirects=False)

    def get(self, node: Node, path: str) -> httpx.Response:
        return self.http.get(node.url + path)

    def post(self, node: Node, path: str, data: dict) -> httpx.Response:
        token = self.http.cookies.get("csrftoken")
        headers = {"X-CSRFToken": token} if token else {}
        return self.http.post(node.url + path, data=data, headers=headers)

    def csrf(self, node: Node, path: str) -> None:
        """Visit a page with a form, as a browser does before posting it (sets the CSRF cookie)."""
        assert self.get(node, path).status_code == 200

    def start_login(self, node: Node) -> dict:
        """Press "Log in" on `node`: the AuthnRequest's ID, ACS URL, audience and the IdP query."""
        response = self.post(node, "/auth/saml/eid/login/", {"process": "login"})
        assert response.status_code == 302, response.status_code
        query = {k: v[0] for k, v in parse_qs(urlparse(response.headers["location"]).query).items()}
        xml = zlib.decompress(base64.b64decode(query["SAMLRequest"]), -15).decode()
        return {
            "query": query,
            "id": re.search(r'\sID="([^"]+)"', xml).group(1),
            "acs_url": re.search(r'AssertionConsumerServiceURL="([^"]+)"', xml).group(1),
            "audience": re.search(r"<saml:Issuer[^>]*>([^<]+)</saml:Issuer>", xml).group(1),
        }

    def idp_answer(self, node: Node, login: dict, national_id: str) -> dict:
        """Log in at the test IdP served by `node`: the fields it posts back to the ACS."""
        response = self.post(node, "/testidp/sso/", {**login["query"], "typed_number": national_id, "level": "high"})
        assert response.status_code == 200
        return dict(re.findall(r'name="(SAMLResponse|RelayState)" value="([^"]*)"', response.text))

    def acs(self, node: Node, fields: dict) -> httpx.Response:
        """Post the IdP's answer to `node`'s ACS and follow to the finish step on the same node."""
        parked = self.post(node, "/auth/saml/eid/acs/", fields)
        assert parked.status_code == 302, parked.status_code
        return self.get(node, urlparse(parked.headers["location"]).path)

    def login(self, node: Node, national_id: str) -> None:
        login = self.start_login(node)
        finished = self.acs(node, self.idp_answer(node, login, national_id))
        assert finished.status_code == 302 and urlparse(finished.headers["location"]).path == "/choose/"


def _signed_answer(cluster: Cluster, login: dict, national_id: str, assertion_id: str) -> dict:
    from myprescriptions.testidp.idp import LEVELS, build_response, encode

    xml = build_response(
        acs_url=login["acs_url"], audience=login["audience"], in_response_to=login["id"], national_id=national_id,
        authn_context=LEVELS["high"], key_pem=cluster.key_pem, cert_pem=cluster.cert_pem, assertion_id=assertion_id,
    )
    return {"SAMLResponse": encode(xml), "RelayState": login["query"].get("RelayState", "")}


def test_a_login_on_node_a_continues_on_node_b(cluster):
    _, kari_number = cluster.person("Kari", "Nordmann")
    browser = Browser()
    # The AuthnRequest is sent by A; the IdP's answer reaches B, which finds the request's state.
    login = browser.start_login(cluster.a)
    finished = browser.acs(cluster.b, browser.idp_answer(cluster.a, login, kari_number))
    assert finished.status_code == 302
    assert urlparse(finished.headers["location"]).path == "/choose/"
    # The session made on B is good on A and on B, request after request.
    for node in (cluster.a, cluster.b, cluster.a):
        page = browser.get(node, "/prescriptions/")
        assert page.status_code == 200
        assert "Metformin Sandoz" in page.text  # Kari's own prescription
    # Logging out on A ends the session on B too.
    browser.csrf(cluster.a, "/prescriptions/")
    assert browser.post(cluster.a, "/logout/", {}).status_code == 302
    after = browser.get(cluster.b, "/prescriptions/")
    assert after.status_code == 302 and "Metformin Sandoz" not in after.text


def test_a_saml_response_consumed_on_a_is_refused_on_b(cluster):
    _, nils_number = cluster.person("Nils", "Olsen")
    assertion_id = f"_a{uuid.uuid4().hex}"

    first = Browser()
    login = first.start_login(cluster.a)
    answer = _signed_answer(cluster, login, nils_number, assertion_id)
    accepted = first.acs(cluster.a, answer)
    assert accepted.status_code == 302 and urlparse(accepted.headers["location"]).path == "/choose/"

    # The very same response, replayed on B by someone else, gets no session.
    thief = Browser()
    replayed = thief.acs(cluster.b, answer)
    assert replayed.status_code in (400, 403)
    assert thief.get(cluster.b, "/prescriptions/").status_code == 302

    # Even wrapped around a request B really sent, the assertion is refused: B knows A consumed it
    # (the replay cache is shared), although nothing else about this login is wrong ...
    second = Browser()
    login_b = second.start_login(cluster.b)
    refused = second.acs(cluster.b, _signed_answer(cluster, login_b, nils_number, assertion_id))
    assert refused.status_code == 403
    assert second.get(cluster.b, "/prescriptions/").status_code == 302
    # ... as a fresh assertion in the same situation shows.
    third = Browser()
    login_b = third.start_login(cluster.b)
    fresh = third.acs(cluster.b, _signed_answer(cluster, login_b, nils_number, f"_a{uuid.uuid4().hex}"))
    assert fresh.status_code == 302 and urlparse(fresh.headers["location"]).path == "/choose/"


def test_a_power_of_attorney_ended_through_a_stops_access_on_bs_next_request(cluster):
    kari_pk, kari_number = cluster.person("Kari", "Nordmann")
    ingrid_pk, ingrid_number = cluster.person("Ingrid", "Dahl")
    (poa_id,) = cluster.sql(
        "SELECT id FROM proxies_powerofattorney WHERE grantor_id = %s AND holder_id = %s AND ended_at IS NULL",
        [kari_pk, ingrid_pk],
    )[0]

    holder = Browser()
    holder.login(cluster.b, ingrid_number)
    holder.csrf(cluster.b, "/choose/")
    # The language picked on A holds on B: it is kept in the shared session too.
    assert holder.post(cluster.a, "/i18n/setlang/", {"language": "en", "next": "/choose/"}).status_code == 302
    # The choice is made on B and holds on A: it lives in the shared session.
    assert holder.post(cluster.b, "/choose/switch/", {"person": kari_pk}).status_code == 302
    as_proxy = holder.get(cluster.a, "/prescriptions/")
    assert as_proxy.status_code == 200 and "Metformin Sandoz" in as_proxy.text

    grantor = Browser()
    grantor.login(cluster.a, kari_number)
    grantor.csrf(cluster.a, "/powers-of-attorney/")
    assert grantor.post(cluster.a, f"/powers-of-attorney/{poa_id}/end/", {}).status_code == 302

    # The holder's very next request, on the other node, no longer shows Kari's prescriptions.
    after = holder.get(cluster.b, "/prescriptions/")
    assert after.status_code == 200
    assert "Metformin Sandoz" not in after.text
    assert "You can no longer view that person" in after.text
    assert "Levaxin" in after.text  # Ingrid's own


def test_a_rate_limit_counts_across_both_nodes(cluster):
    from prescriptions.identity import make_synthetic

    _, per_number = cluster.person("Per", "Hansen")
    browser = Browser()
    browser.login(cluster.a, per_number)
    browser.csrf(cluster.a, "/powers-of-attorney/")
    assert browser.post(cluster.b, "/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    browser.csrf(cluster.b, "/powers-of-attorney/")
    nodes = [cluster.a, cluster.b]
    # Numbers no one has: each lookup counts, found or not. Alternating, each node sees only half.
    for n in range(LOOKUP_LIMIT):
        number = make_synthetic(datetime.date(1990, 1, 1 + n), 300)
        response = browser.post(nodes[n % 2], "/powers-of-attorney/grant/", {"national_id": number, "ends_on": ""})
        assert response.status_code == 200, (n, response.status_code)
    for node in nodes:
        number = make_synthetic(datetime.date(1990, 2, 1), 300)
        refused = browser.post(node, "/powers-of-attorney/grant/", {"national_id": number, "ends_on": ""})
        assert refused.status_code == 429
        assert "please wait" in refused.text
