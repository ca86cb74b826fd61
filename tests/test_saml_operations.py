"""Issue 6, "SAML operations": several IdP signing certificates, the "next" SP certificate,
only needed attributes stored, the clock skew, and local-only redirects after login."""

import pytest
from allauth.socialaccount.models import SocialAccount
from onelogin.saml2.constants import OneLogin_Saml2_Constants

from myprescriptions.testidp import idp
from tests.fixtures.saml import (
    HIGH,
    assert_refused,
    english_client,
    idp_metadata,
    logged_in,
    new_request_id,
    post_response,
    seconds_from_now,
    signed_response,
    user_count,
)


@pytest.fixture
def client(db):
    return english_client()


# --- several IdP signing certificates (rollover at the IdP) ---


@pytest.fixture
def rollover_idp(settings, tmp_path):
    """The IdP publishes its current certificate and the next one."""
    next_key, next_cert = idp.generate_key_pair("test IdP, next key")
    path = tmp_path / "idp-metadata.xml"
    path.write_text(idp_metadata(signing_certs=[idp.key_pair()[1], next_cert]))
    settings.SAML_IDP_METADATA = str(path)
    return next_key, next_cert


def test_response_signed_with_the_idps_second_certificate_is_accepted(client, kari, rollover_idp):
    next_key, next_cert = rollover_idp
    response = post_response(client, signed_response(client, kari.national_id, key_pem=next_key, cert_pem=next_cert))
    assert response.status_code == 302
    assert logged_in(client)


def test_response_signed_with_the_first_certificate_is_still_accepted(client, kari, rollover_idp):
    assert post_response(client, signed_response(client, kari.national_id)).status_code == 302
    assert logged_in(client)


def test_a_key_outside_the_published_set_is_still_refused(client, kari, rollover_idp):
    other_key, other_cert = idp.generate_key_pair("not the IdP")
    before = user_count()
    xml = signed_response(client, kari.national_id, key_pem=other_key, cert_pem=other_cert)
    assert_refused(post_response(client, xml), client, before)


# --- our own certificate and the next one, published ahead of the switch ---


def _write_pair(tmp_path, name):
    key, cert = idp.generate_key_pair(name)
    (tmp_path / f"{name}.key").write_text(key)
    (tmp_path / f"{name}.crt").write_text(cert)
    return tmp_path / f"{name}.key", tmp_path / f"{name}.crt", cert


def test_sp_metadata_publishes_the_next_certificate_beside_the_current_one(client, db, settings, tmp_path):
    key_file, cert_file, current = _write_pair(tmp_path, "sp-current")
    _, next_file, upcoming = _write_pair(tmp_path, "sp-next")
    settings.SAML_SP_CERT_FILE, settings.SAML_SP_KEY_FILE = str(cert_file), str(key_file)
    settings.SAML_SP_NEXT_CERT_FILE = str(next_file)
    page = client.get("/auth/saml/eid/metadata/").content.decode()
    assert idp.cert_body(current) in page
    assert idp.cert_body(upcoming) in page
    assert page.count('use="signing"') == 2


def test_sp_metadata_without_a_next_certificate_has_one(client, db, settings, tmp_path):
    key_file, cert_file, current = _write_pair(tmp_path, "sp-current")
    settings.SAML_SP_CERT_FILE, settings.SAML_SP_KEY_FILE = str(cert_file), str(key_file)
    page = client.get("/auth/saml/eid/metadata/").content.decode()
    assert idp.cert_body(current) in page
    assert page.count('use="signing"') == 1


# --- only what the service needs is stored ---


def test_only_the_level_of_assurance_is_kept_from_the_attributes(client, kari):
    xml = signed_response(
        client,
        kari.national_id,
        given_name="Kari",
        family_name="Nordmann",
        extra_attributes=[("mail", "kari@example.org"), ("urn:oid:2.16.578.1.12.4.1.1.pid", kari.national_id)],
    )
    assert post_response(client, xml).status_code == 302
    account = SocialAccount.objects.get()
    assert account.extra_data == {"authn_contexts": [HIGH]}
    assert account.user.email == ""


# --- clock skew ---


def test_response_issued_90_seconds_ahead_is_refused(client, kari):
    before = user_count()
    xml = signed_response(client, kari.national_id, now=seconds_from_now(90))
    assert_refused(post_response(client, xml), client, before)


def test_response_issued_30_seconds_ahead_is_accepted(client, kari):
    assert post_response(client, signed_response(client, kari.national_id, now=seconds_from_now(30))).status_code == 302
    assert logged_in(client)


def test_the_skew_is_a_setting(client, kari, settings):
    settings.SAML_CLOCK_SKEW_SECONDS = 120
    assert post_response(client, signed_response(client, kari.national_id, now=seconds_from_now(90))).status_code == 302
    assert OneLogin_Saml2_Constants.ALLOWED_CLOCK_DRIFT == 120


def test_response_from_a_clock_behind_by_less_than_the_skew_is_accepted(client, kari):
    # NotBefore is 30 s before the IdP's "now": an IdP 40 s behind is still 10 s inside 60 s.
    xml = signed_response(client, kari.national_id, now=seconds_from_now(-40))
    assert post_response(client, xml).status_code == 302


# --- open redirect ---


def _login_with(client, national_id, next_url=None, relay_state=None):
    request_id = new_request_id(client, next_url=next_url)
    xml = signed_response(client, national_id, in_response_to=request_id)
    return post_response(client, xml, relay_state=relay_state)


def test_a_local_next_path_is_followed(client, kari):
    response = _login_with(client, kari.national_id, next_url="/history/")
    assert response["Location"] == "/history/"


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "http://my.prescriptions.test/history/",  # even our own host: only paths
        "javascript:alert(1)",
        "history/",
    ],
)
def test_a_next_that_is_not_a_local_path_is_ignored(client, kari, next_url):
    response = _login_with(client, kari.national_id, next_url=next_url)
    assert response.status_code == 302
    assert response["Location"] == "/choose/"


@pytest.mark.parametrize("relay_state", ["https://evil.example/", "//evil.example/", "/history/"])
def test_relay_state_from_the_idp_never_decides_where_we_go(client, kari, relay_state):
    response = _login_with(client, kari.national_id, relay_state=relay_state)
    assert response["Location"] == "/choose/"
