"""Issue 6: logout is a POST that ends the local session and starts SAML single logout at the
IdP with the NameID and SessionIndex from login; a signed IdP-initiated LogoutRequest ends the
local session. The test IdP does both, so the demo shows them."""

from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.sessions.models import Session
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

from myprescriptions.testidp import idp
from tests.conftest import idp_answer, post_to_acs, start_login
from tests.fixtures.saml import english_client, logged_in, post_response, signed_response

NS = {"samlp": "urn:oasis:names:tc:SAML:2.0:protocol", "saml": "urn:oasis:names:tc:SAML:2.0:assertion"}
SLS = "http://my.prescriptions.test/auth/saml/eid/sls/"


@pytest.fixture
def client(db):
    return english_client()


def split(url):
    parts = urlparse(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def decoded(message):
    return OneLogin_Saml2_XML.to_etree(OneLogin_Saml2_Utils.decode_base64_and_inflate(message))


def test_logout_ends_the_session_and_sends_nameid_and_session_index_to_the_idp(client, people):
    xml = signed_response(client, people["kari"].national_id, name_id="_n-kari-login", session_index="_s-kari-42")
    assert post_response(client, xml).status_code == 302
    key = client.cookies["mrsession"].value

    response = client.post("/logout/")
    assert not logged_in(client)
    assert not Session.objects.filter(session_key=key).exists()
    path, query = split(response["Location"])
    assert path == "/testidp/slo/"
    request = decoded(query["SAMLRequest"])
    assert request.tag == "{%s}LogoutRequest" % NS["samlp"]
    assert request.find("saml:NameID", NS).text == "_n-kari-login"
    assert request.find("samlp:SessionIndex", NS).text == "_s-kari-42"

    # The test IdP answers with a signed LogoutResponse; the site shows the logged-out page.
    at_idp = client.get(response["Location"])
    path, query = split(at_idp["Location"])
    assert path == "/auth/saml/eid/sls/" and "Signature" in query
    assert decoded(query["SAMLResponse"]).get("InResponseTo") == request.get("ID")
    done = client.get(at_idp["Location"])
    assert done["Location"] == "/logged-out/"
    assert client.get("/logged-out/").status_code == 200


def test_after_logout_the_back_button_shows_nothing(client, people):
    assert post_response(client, signed_response(client, people["kari"].national_id)).status_code == 302
    client.post("/choose/switch/", {"person": people["kari"].pk})
    assert client.get("/prescriptions/").status_code == 200
    client.post("/logout/")
    response = client.get("/prescriptions/")
    assert response.status_code == 302 and "Metformin" not in response.content.decode()


def test_logout_by_get_does_nothing(client, people):
    assert post_response(client, signed_response(client, people["kari"].national_id)).status_code == 302
    assert client.get("/logout/").status_code == 405
    assert logged_in(client)


def _log_in_through_the_test_idp(client, person):
    landing = post_to_acs(client, *idp_answer(client, start_login(client), person.national_id, "high"))
    assert landing.status_code == 302 and logged_in(client)


def test_idp_initiated_logout_from_the_test_idp_ends_the_local_session(client, people):
    _log_in_through_the_test_idp(client, people["kari"])
    page = client.get("/testidp/").content.decode()
    assert "End the session at the test IdP" in page

    response = client.post("/testidp/logout/")
    path, query = split(response["Location"])
    assert path == "/auth/saml/eid/sls/" and "Signature" in query
    request = decoded(query["SAMLRequest"])
    login_record = client.session  # the IdP forgot its session; the site's is still there
    assert "_auth_user_id" in login_record

    answer = client.get(response["Location"])
    assert not logged_in(client)
    path, query = split(answer["Location"])
    assert path == "/testidp/slo/"
    assert decoded(query["SAMLResponse"]).get("InResponseTo") == request.get("ID")
    final = client.get(answer["Location"])
    assert "You are logged out" in final.content.decode()
    assert client.get("/prescriptions/").status_code == 302


def _idp_logout_url(client, *, key_pem=None, signed=True):
    record = client.session["saml_logout"]
    xml = idp.logout_request_xml(destination=SLS, name_id=record["name_id"], session_index=record["session_index"])
    if signed:
        return idp.sign_redirect(SLS, "SAMLRequest", xml, key_pem=key_pem)
    return f"{SLS}?SAMLRequest={OneLogin_Saml2_Utils.escape_url(OneLogin_Saml2_Utils.deflate_and_base64_encode(xml))}"


def test_unsigned_logout_request_is_refused_and_the_session_stays(client, people):
    _log_in_through_the_test_idp(client, people["kari"])
    response = client.get(_idp_logout_url(client, signed=False))
    assert response.status_code == 400
    assert "could not be verified" in response.content.decode()
    assert logged_in(client)


def test_logout_request_signed_by_another_key_is_refused(client, people):
    _log_in_through_the_test_idp(client, people["kari"])
    other_key, _ = idp.generate_key_pair("not the IdP")
    response = client.get(_idp_logout_url(client, key_pem=other_key))
    assert response.status_code == 400
    assert logged_in(client)


def test_logout_request_signed_by_the_idp_ends_the_session(client, people):
    _log_in_through_the_test_idp(client, people["kari"])
    response = client.get(_idp_logout_url(client))
    assert response.status_code == 302
    assert not logged_in(client)


@pytest.mark.parametrize("query", ["", "?SAMLRequest=%%%garbage", "?SAMLResponse=bm9wZQ%3D%3D", "?SAMLRequest=bm9wZQ%3D%3D&Signature=x"])
def test_garbage_at_the_logout_endpoint_gets_a_page(client, people, query):
    _log_in_through_the_test_idp(client, people["kari"])
    response = client.get(f"/auth/saml/eid/sls/{query}")
    assert response.status_code in (302, 400)
    assert logged_in(client)  # nothing unverified ends a session
