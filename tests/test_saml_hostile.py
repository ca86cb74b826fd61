"""Issue 6, "SAML operations": hostile responses get a clear page and no 500, and nobody is
logged in. Each attack starts from a response really signed by the test IdP; where it makes
sense, the untouched original is posted afterwards and accepted, so the refusal is shown to be
caused by the attack and not by a broken fixture."""

import base64
import os

import pytest
from allauth.socialaccount.models import SocialAccount

from tests.fixtures.saml import (
    ACS_PATH,
    assert_refused,
    encode,
    english_client,
    logged_in,
    post_response,
    signed_response,
    user_count,
)
from tests.fixtures.saml import hostile


@pytest.fixture
def client(db):
    return english_client()


@pytest.fixture
def nils(people):
    return people["nils"]


def assert_original_still_accepted(client, xml, national_id):
    response = post_response(client, xml)
    assert response.status_code == 302, response.status_code
    assert logged_in(client)
    assert SocialAccount.objects.get().uid == national_id


@pytest.mark.parametrize("attack", hostile.WRAPPING_ATTACKS.values(), ids=hostile.WRAPPING_ATTACKS.keys())
def test_signature_wrapping_on_the_assertion_is_refused(client, kari, nils, attack):
    # Only the assertion is signed (a valid set-up), so wrapping it does not break a message signature.
    original = signed_response(client, nils.national_id, sign_response=False)
    before = user_count()
    response = post_response(client, attack(original, kari.national_id))
    assert_refused(response, client, before, text="could not be verified")
    assert_original_still_accepted(client, original, nils.national_id)


def test_signature_moved_without_changing_anything_is_refused(client, nils):
    original = signed_response(client, nils.national_id, sign_response=False)
    before = user_count()
    assert_refused(post_response(client, hostile.signature_moved_to_response(original)), client, before)


def test_wrapping_a_signed_response_in_an_evil_one_is_refused(client, kari, nils):
    original = signed_response(client, nils.national_id, sign_response=True, sign_assertion=True)
    before = user_count()
    response = post_response(client, hostile.response_wrapped(original, kari.national_id))
    assert_refused(response, client, before)
    assert_original_still_accepted(client, original, nils.national_id)


def test_external_entity_is_refused(client, kari):
    original = signed_response(client, kari.national_id)
    before = user_count()
    xml = hostile.external_entity(original, where=kari.national_id)
    assert_refused(post_response(client, xml), client, before)


def test_entity_expansion_billion_laughs_is_refused(client, kari):
    original = signed_response(client, kari.national_id)
    before = user_count()
    xml = hostile.billion_laughs(original, where=kari.national_id)
    assert_refused(post_response(client, xml), client, before)


def test_comment_in_the_uid_attribute_is_refused(client, kari):
    original = signed_response(client, kari.national_id)
    before = user_count()
    xml = hostile.comment_inside(original, kari.national_id)
    assert "<!---->" in xml
    assert_refused(post_response(client, xml), client, before)
    assert_original_still_accepted(client, original, kari.national_id)


def test_comment_in_the_name_id_is_refused(client, kari, settings):
    settings.SAML_UID_ATTRIBUTE = ""  # the NameID carries the identity number
    original = signed_response(client, kari.national_id, name_id=kari.national_id)
    before = user_count()
    xml = hostile.comment_inside(original, kari.national_id, at=5)
    assert_refused(post_response(client, xml), client, before)
    assert_original_still_accepted(client, original, kari.national_id)


@pytest.mark.parametrize(
    "encoded",
    [
        "%%%not base64%%%",
        "PHNhbWxwOlJlc3BvbnNl",  # "<samlp:Response" cut off
        base64.b64encode(os.urandom(512)).decode(),
        base64.b64encode(b"<html><body>hello</body></html>").decode(),
        "",
    ],
    ids=["not-base64", "truncated-xml", "random-bytes", "not-saml", "empty"],
)
def test_garbage_is_refused(client, db, encoded):
    signed_response(client, "31129956715")  # a login is under way
    before = user_count()
    assert_refused(post_response(client, encoded=encoded), client, before)


def test_missing_saml_response_is_refused(client, db):
    response = client.post(ACS_PATH, {"RelayState": "/"})
    response = client.get(response["Location"])
    assert_refused(response, client, 0)


def test_utf16_document_is_refused(client, kari):
    original = signed_response(client, kari.national_id)
    before = user_count()
    assert_refused(post_response(client, encoded=base64.b64encode(original.encode("utf-16")).decode()), client, before)


def test_oversize_body_is_refused_with_the_page(client, kari, settings):
    original = signed_response(client, kari.national_id)
    padding = "A" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    before = user_count()
    response = client.post(ACS_PATH, {"SAMLResponse": encode(original), "padding": padding})
    assert_refused(response, client, before, status=413, text="could not be verified")
