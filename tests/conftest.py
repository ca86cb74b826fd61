import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client

from myprescriptions import demo

HOST = "my.prescriptions.test"  # python3-saml rejects single-label hosts such as "testserver"


@pytest.fixture(autouse=True)
def _test_idp_keys(settings, tmp_path_factory):
    # One generated IdP key for the whole run; never a committed key.
    settings.TEST_IDP_DIR = tmp_path_factory.getbasetemp() / "testidp"


@pytest.fixture(autouse=True)
def _closing_notice_read_once_per_test(monkeypatch):
    # The closing notice is cached per process for 30 s; in tests it is read afresh once per test
    # and then kept, so query counts do not depend on when a 30-second window happens to end.
    from myprescriptions.site import closing

    closing.forget_cached_notice()
    monkeypatch.setattr(closing, "CACHE_SECONDS", float("inf"))


@pytest.fixture
def client():
    return Client(HTTP_HOST=HOST)


@pytest.fixture
def people(db):
    return demo.seed()


@pytest.fixture
def kari(people):
    """The main demo citizen (tests/test_pages.py has its own, logged-in variant)."""
    return people["kari"]


def start_login(client, next_url=None):
    """Press "Log in": returns the test IdP's query parameters (SAMLRequest, RelayState)."""
    data = {"process": "login"}
    if next_url:
        data["next"] = next_url
    response = client.post("/auth/saml/eid/login/", data)
    assert response.status_code == 302, response.status_code
    location = urlparse(response["Location"])
    assert location.path == "/testidp/sso/"
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def idp_answer(client, params, national_id, level="high"):
    """Log in at the test IdP; returns the form fields it posts back to the ACS."""
    response = client.post(
        "/testidp/sso/", {**params, "typed_number": national_id, "level": level}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "SAMLResponse" in html, html
    fields = dict(re.findall(r'name="(SAMLResponse|RelayState)" value="([^"]*)"', html))
    action = re.search(r'<form method="post" action="([^"]+)" data-autosubmit', html).group(1)
    return urlparse(action).path, fields


def post_to_acs(client, acs_path, fields):
    response = client.post(acs_path, fields)
    assert response.status_code == 302
    return client.get(response["Location"])


def login(client, national_id, level="high"):
    params = start_login(client)
    acs_path, fields = idp_answer(client, params, national_id, level)
    return post_to_acs(client, acs_path, fields)
