"""Issue 6, "SAML operations": `manage.py refresh_idp_metadata` against a real local HTTP server
(http is allowed only through the tests-only setting), the last good copy kept when the IdP is
down or serves something unusable, and logins that never fetch."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from myprescriptions.saml import config, metadata
from myprescriptions.testidp import idp
from tests.conftest import login
from tests.fixtures.saml import english_client, idp_metadata, logged_in


class MetadataServer:
    """Serves whatever the test sets as `body` with `status`; counts requests."""

    def __init__(self):
        owner = self
        self.body, self.status, self.requests = b"", 200, 0

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.requests += 1
                self.send_response(owner.status)
                self.send_header("Content-Type", "application/samlmetadata+xml")
                self.send_header("Content-Length", str(len(owner.body)))
                self.end_headers()
                self.wfile.write(owner.body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/idp-metadata.xml"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, body: str | bytes, status: int = 200):
        self.body = body.encode() if isinstance(body, str) else body
        self.status = status

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.SAML_IDP_METADATA_ALLOW_HTTP = True
    running = MetadataServer()
    settings.SAML_IDP_METADATA = running.url
    yield running
    running.stop()


@pytest.fixture
def client(db):
    return english_client()


def cached() -> Path:
    return config.cached_metadata_path()


def refresh():
    call_command("refresh_idp_metadata")


def test_refresh_caches_good_metadata_and_logins_use_it(server, client, people):
    good = idp_metadata()
    server.serve(good)
    refresh()
    assert cached().read_text() == good
    server.stop()  # the IdP's metadata server goes away; logins never fetch
    requests = server.requests
    login(client, people["kari"].national_id)
    assert logged_in(client)
    assert server.requests == requests


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda: ("", 503), id="idp-down-503"),
        pytest.param(lambda: ("<html>maintenance</html>", 200), id="not-metadata"),
        pytest.param(lambda: ("\x00\x01garbage", 200), id="garbage"),
        pytest.param(lambda: (idp_metadata(signing_certs=[]), 200), id="no-signing-cert"),
        pytest.param(
            lambda: (idp_metadata().replace("<ds:X509Certificate>", "<ds:X509Certificate>AAAA"), 200),
            id="unreadable-cert",
        ),
        pytest.param(
            lambda: (idp_metadata(signing_certs=[idp.generate_key_pair("old IdP", days=0)[1]]), 200),
            id="only-expired-cert",
        ),
    ],
)
def test_failed_refresh_keeps_the_last_good_copy(server, db, bad):
    good = idp_metadata()
    server.serve(good)
    refresh()
    body, status = bad()
    server.serve(body, status)
    with pytest.raises(CommandError, match="last good copy"):
        refresh()
    assert cached().read_text() == good
    assert not [p for p in cached().parent.iterdir() if p.name.startswith(".idp-metadata-")]


def test_unreachable_idp_keeps_the_copy(server, db):
    server.serve(idp_metadata())
    refresh()
    server.stop()
    with pytest.raises(CommandError, match="fetching failed"):
        refresh()
    assert cached().exists()


def test_first_refresh_failing_says_logins_cannot_start(server, client, db):
    server.serve("", 500)
    with pytest.raises(CommandError, match="no cached copy yet"):
        refresh()
    assert not cached().exists()
    # A login attempt meanwhile gets a page, not a fetch and not a 500.
    response = client.post("/auth/saml/eid/login/", {"process": "login"})
    assert response.status_code == 503
    assert "temporarily unavailable" in response.content.decode()
    assert server.requests == 1


def test_http_is_refused_without_the_tests_only_setting(server, settings, db):
    settings.SAML_IDP_METADATA_ALLOW_HTTP = False
    server.serve(idp_metadata())
    with pytest.raises(CommandError, match="https"):
        refresh()
    assert server.requests == 0
    assert not cached().exists()


def test_rollover_metadata_with_two_signing_certs_is_accepted(server, db, capsys):
    _, next_cert = idp.generate_key_pair("next IdP key")
    server.serve(idp_metadata(signing_certs=[idp.key_pair()[1], next_cert]))
    refresh()
    assert "2 signing certificate(s)" in capsys.readouterr().out


def test_a_local_file_is_checked_not_copied(settings, tmp_path, db, capsys):
    settings.VAR_DIR = tmp_path / "var"
    path = tmp_path / "idp.xml"
    path.write_text(idp_metadata())
    settings.SAML_IDP_METADATA = str(path)
    refresh()
    assert "nothing to cache" in capsys.readouterr().out
    assert not cached().exists()


def test_write_is_atomic_and_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "cache" / "idp.xml"
    metadata.write_atomically(target, "first")
    metadata.write_atomically(target, "second")
    assert target.read_text() == "second"
    assert [p.name for p in target.parent.iterdir()] == ["idp.xml"]
