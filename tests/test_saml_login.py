"""Issue 2: logins through the real ACS with really signed responses from the test IdP's key,
one accepted path and every refusal the issue names. Refusals show a clear page, never a 500,
create no session and store no one."""

import datetime
import logging

import pytest
from allauth.socialaccount.models import SocialAccount
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C

from myprescriptions.testidp import idp
from prescriptions.identity import make_synthetic
from prescriptions.models import Person
from tests.conftest import idp_answer, post_to_acs, start_login
from tests.fixtures.saml import (
    HIGH,
    LEVEL4,
    SUBSTANTIAL,
    assert_refused,
    authn_request,
    encode,
    english_client,
    logged_in,
    new_request_id,
    post_response,
    seconds_from_now,
    signed_response,
    user_count,
)

NS = {"samlp": C.NS_SAMLP, "saml": C.NS_SAML}


@pytest.fixture
def client(db):
    return english_client()


def test_high_assurance_login_creates_a_session_linked_to_the_person(client, kari):
    response = post_response(client, signed_response(client, kari.national_id, given_name="Kari", family_name="Nordmann"))
    assert response.status_code == 302
    assert response["Location"] == "/choose/"
    assert logged_in(client)
    account = SocialAccount.objects.get()
    assert account.uid == kari.national_id
    assert account.user.person == kari
    page = client.get("/choose/")
    assert page.status_code == 200 and "Emma Nordmann" in page.content.decode()


def test_the_older_level4_class_is_accepted_too(client, people):
    response = post_response(client, signed_response(client, people["nils"].national_id, authn_context=LEVEL4))
    assert response.status_code == 302
    assert logged_in(client)


def test_the_test_idp_browser_flow_lands_on_the_site(client, kari):
    landing = post_to_acs(client, *idp_answer(client, start_login(client), kari.national_id, "high"))
    assert landing.status_code == 302 and landing["Location"] == "/choose/"
    assert logged_in(client)


def test_authn_request_asks_for_both_accepted_classes_exactly(client, db):
    request = authn_request(start_login(client))
    requested = request.find("samlp:RequestedAuthnContext", NS)
    assert requested is not None and requested.get("Comparison") == "exact"
    classes = [el.text for el in requested.findall("saml:AuthnContextClassRef", NS)]
    assert classes == [HIGH, LEVEL4]


def test_unsigned_response_is_refused(client, kari):
    before = user_count()
    xml = signed_response(client, kari.national_id, sign_assertion=False, sign_response=False)
    assert_refused(post_response(client, xml), client, before, text="could not be verified")


def test_signed_message_with_unsigned_assertion_is_refused(client, kari):
    before = user_count()
    xml = signed_response(client, kari.national_id, sign_assertion=False, sign_response=True)
    assert_refused(post_response(client, xml), client, before)


def test_response_signed_with_another_key_is_refused(client, kari):
    before = user_count()
    key, cert = idp.generate_key_pair("Evil IdP")
    xml = signed_response(client, kari.national_id, key_pem=key, cert_pem=cert)
    assert_refused(post_response(client, xml), client, before)


def test_uid_changed_after_signing_is_refused(client, kari, people):
    before = user_count()
    xml = signed_response(client, people["nils"].national_id)
    tampered = xml.replace(people["nils"].national_id, kari.national_id)
    assert tampered != xml
    assert_refused(post_response(client, tampered), client, before)


def test_expired_response_is_refused(client, kari):
    before = user_count()
    xml = signed_response(client, kari.national_id, now=seconds_from_now(-15 * 60))
    assert_refused(post_response(client, xml), client, before)


def test_response_for_another_audience_is_refused(client, kari):
    before = user_count()
    xml = signed_response(client, kari.national_id, audience="https://another-service.example/saml")
    assert_refused(post_response(client, xml), client, before)


def test_response_from_another_issuer_is_refused(client, kari):
    before = user_count()
    xml = signed_response(client, kari.national_id, issuer="urn:some:other:idp")
    assert_refused(post_response(client, xml), client, before)


def test_substantial_assurance_gets_the_highest_level_page_and_nothing_is_stored(client, db):
    newcomer = make_synthetic(datetime.date(1990, 5, 17), 120)
    before_people = Person.objects.count()
    response = post_response(client, signed_response(client, newcomer, authn_context=SUBSTANTIAL))
    assert_refused(response, client, 0, status=403, text="needs an electronic ID at the highest security level")
    assert response.context["reason"] == "assurance"
    assert SocialAccount.objects.count() == 0
    assert Person.objects.count() == before_people


def test_substantial_through_the_test_idp_form_is_refused(client, kari):
    before = user_count()
    acs_path, fields = idp_answer(client, start_login(client), kari.national_id, "substantial")
    response = client.post(acs_path, fields)
    response = client.get(response["Location"])
    assert_refused(response, client, before, status=403, text="highest security level")


def test_replayed_response_is_refused(client, kari):
    xml = signed_response(client, kari.national_id)
    assert post_response(client, xml).status_code == 302
    client.post("/logout/")
    before = user_count()
    response = post_response(client, xml)
    assert_refused(response, client, before, status=403, text="already been used")


def test_second_response_to_the_same_request_is_refused(client, kari):
    request_id = new_request_id(client)
    first = signed_response(client, kari.national_id, in_response_to=request_id)
    assert post_response(client, first).status_code == 302
    client.post("/logout/")
    before = user_count()
    second = signed_response(client, kari.national_id, in_response_to=request_id)
    assert_refused(post_response(client, second), client, before, status=403, text="already been used")


def test_replayed_assertion_in_a_new_response_is_refused(client, kari):
    first = signed_response(client, kari.national_id, assertion_id="_assertion-once")
    assert post_response(client, first).status_code == 302
    client.post("/logout/")
    before = user_count()
    # A fresh login, answered with the old assertion ID: only the replay cache can tell.
    again = signed_response(client, kari.national_id, assertion_id="_assertion-once")
    response = post_response(client, again)
    assert_refused(response, client, before, status=403)
    assert response.context["reason"] == "replay"


def test_response_to_a_request_from_another_browser_is_refused(client, kari):
    other = english_client()
    request_id = new_request_id(other)
    new_request_id(client)
    before = user_count()
    xml = signed_response(client, kari.national_id, in_response_to=request_id)
    assert_refused(post_response(client, xml), client, before, status=403)


def test_idp_initiated_response_is_refused(client, kari):
    before = user_count()
    xml = signed_response(client, kari.national_id, in_response_to=None)
    response = post_response(client, xml)
    assert_refused(response, client, before, status=403, text="must start on this site")
    assert response.context["reason"] == "unsolicited"


@pytest.mark.parametrize("uid", ["12345678901", "31129956716", "3112995671", "abc", ""])
def test_uid_that_is_not_an_identity_number_is_refused(client, db, uid):
    response = post_response(client, signed_response(client, uid))
    assert_refused(response, client, 0, status=403, text="valid Norwegian national identity number")
    assert SocialAccount.objects.count() == 0


def test_two_uid_values_are_refused(client, kari, people):
    before = user_count()
    # Signed by the IdP, but with a second uid: the attribute names no one in particular.
    xml = signed_response(client, kari.national_id, extra_attributes=[("uid", people["nils"].national_id)])
    assert_refused(post_response(client, xml), client, before, status=403, text="valid Norwegian")


def test_the_parked_response_cookie_is_httponly_and_lax(client, kari):
    response = client.post("/auth/saml/eid/acs/", {"SAMLResponse": encode(signed_response(client, kari.national_id))})
    cookie = response.cookies["saml-acs-session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["path"] == "/auth/saml/eid/acs/finish/"


def test_no_identity_number_or_name_in_any_log_line(client, kari, caplog):
    with caplog.at_level(logging.INFO):
        post_response(client, signed_response(client, kari.national_id, authn_context=SUBSTANTIAL))
        post_response(client, signed_response(client, kari.national_id, sign_assertion=False, sign_response=False))
        post_response(client, signed_response(client, kari.national_id, issuer=f"urn:{kari.national_id}"))
        post_response(client, signed_response(client, kari.national_id[:10] + "0"))
        post_response(client, encoded="%%garbage")
        ok = post_response(client, signed_response(client, kari.national_id, given_name="Kari", family_name="Nordmann"))
        assert ok.status_code == 302
        client.post("/logout/")
    assert len(caplog.records) > 5
    for record in caplog.records:
        text = record.getMessage() + repr(record.__dict__)
        for secret in (kari.national_id, kari.national_id[:10], "Nordmann"):
            assert secret not in text, record.getMessage()
