"""Issue 6, "Shibboleth mode": identity and assurance from request headers, believed only in
AUTH_MODE=shibboleth and only from TRUSTED_PROXIES; spoofed headers are ignored and logged
(by name, never by value) in both modes. Same assurance rule, same user linking as SAML."""

import logging

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from myprescriptions.saml.shibboleth import UntrustedHeadersMiddleware
from tests.fixtures.saml import HIGH, LEVEL4, SUBSTANTIAL, english_client, logged_in, post_response, signed_response

PROXY = "10.20.30.40"
STRANGER = "203.0.113.9"
LOGIN = "/auth/shibboleth/login/"


@pytest.fixture
def client(db):
    return english_client()


@pytest.fixture
def shibboleth(settings):
    settings.AUTH_MODE = "shibboleth"
    settings.TRUSTED_PROXIES = ["10.20.30.0/24", "fd00:1::/64"]
    return settings


def headers(national_id, context=HIGH, **extra):
    return {"HTTP_UID": national_id, "HTTP_SHIB_AUTHNCONTEXT_CLASS": context, **extra}


def no_identity_in_logs(records, *numbers):
    for record in records:
        text = record.getMessage() + repr(record.__dict__)
        for number in numbers:
            assert number not in text, record.getMessage()


def test_trusted_proxy_logs_the_person_in(client, people, shibboleth):
    kari = people["kari"]
    response = client.get(LOGIN, REMOTE_ADDR=PROXY, **headers(kari.national_id, HTTP_GIVENNAME="Kari", HTTP_SN="Nordmann"))
    assert response.status_code == 302 and response["Location"] == "/choose/"
    assert logged_in(client)
    account = SocialAccount.objects.get()
    assert account.uid == kari.national_id and account.provider == "saml"
    assert account.user.person == kari
    assert account.extra_data == {"authn_contexts": [HIGH]}


def test_level4_and_several_values_joined_by_semicolons(client, people, shibboleth):
    response = client.get(LOGIN, REMOTE_ADDR=PROXY, **headers(people["nils"].national_id, context=f"{LEVEL4};{HIGH}"))
    assert response.status_code == 302 and logged_in(client)


def test_ipv6_proxy_address(client, people, shibboleth):
    response = client.get(LOGIN, REMOTE_ADDR="fd00:1::5", **headers(people["nils"].national_id))
    assert response.status_code == 302 and logged_in(client)


def test_the_same_user_as_a_saml_login(client, people, settings):
    kari = people["kari"]
    assert post_response(client, signed_response(client, kari.national_id)).status_code == 302
    saml_user = SocialAccount.objects.get().user
    client.post("/logout/")
    settings.AUTH_MODE = "shibboleth"
    settings.TRUSTED_PROXIES = [PROXY]
    assert client.get(LOGIN, REMOTE_ADDR=PROXY, **headers(kari.national_id)).status_code == 302
    assert SocialAccount.objects.get().user == saml_user
    assert get_user_model().objects.count() == 1
    assert int(client.session["_auth_user_id"]) == saml_user.pk


def test_substantial_gets_the_highest_level_page(client, people, shibboleth):
    response = client.get(LOGIN, REMOTE_ADDR=PROXY, **headers(people["kari"].national_id, context=SUBSTANTIAL))
    assert response.status_code == 403
    assert "highest security level" in response.content.decode()
    assert not logged_in(client) and get_user_model().objects.count() == 0


def test_missing_assurance_is_refused(client, people, shibboleth):
    response = client.get(LOGIN, REMOTE_ADDR=PROXY, HTTP_UID=people["kari"].national_id)
    assert response.status_code == 403 and not logged_in(client)


@pytest.mark.parametrize("uid", ["12345678901", "31129956716", ""])
def test_a_uid_that_is_not_an_identity_number_is_refused(client, db, shibboleth, uid):
    response = client.get(LOGIN, REMOTE_ADDR=PROXY, **headers(uid))
    assert response.status_code in (400, 403) and not logged_in(client)
    assert get_user_model().objects.count() == 0


def test_spoofed_headers_from_an_untrusted_address_are_ignored_and_logged(client, people, shibboleth, caplog):
    kari = people["kari"]
    with caplog.at_level(logging.WARNING):
        response = client.get(LOGIN, REMOTE_ADDR=STRANGER, **headers(kari.national_id, HTTP_GIVENNAME="Kari"))
    assert response.status_code == 400
    assert not logged_in(client) and get_user_model().objects.count() == 0
    warning = next(r for r in caplog.records if r.getMessage() == "identity headers ignored from an untrusted source")
    assert "HTTP_UID" in warning.headers and "HTTP_SHIB_AUTHNCONTEXT_CLASS" in warning.headers
    no_identity_in_logs(caplog.records, kari.national_id, "Kari")


def test_saml_mode_ignores_the_headers_even_from_the_proxy(client, people, settings, caplog):
    settings.TRUSTED_PROXIES = [PROXY]  # AUTH_MODE stays "saml", the default
    kari = people["kari"]
    with caplog.at_level(logging.WARNING):
        assert client.get(LOGIN, REMOTE_ADDR=PROXY, **headers(kari.national_id)).status_code == 404
        assert client.get("/prescriptions/", REMOTE_ADDR=PROXY, **headers(kari.national_id)).status_code == 302
    assert not logged_in(client) and get_user_model().objects.count() == 0
    assert any(r.getMessage() == "identity headers ignored from an untrusted source" for r in caplog.records)
    no_identity_in_logs(caplog.records, kari.national_id)


@pytest.mark.parametrize("mode,address,kept", [
    ("saml", STRANGER, False),
    ("saml", PROXY, False),
    ("shibboleth", STRANGER, False),
    ("shibboleth", PROXY, True),
])
def test_views_only_ever_see_headers_from_the_trusted_proxy_in_shibboleth_mode(settings, mode, address, kept):
    settings.AUTH_MODE = mode
    settings.TRUSTED_PROXIES = [PROXY]
    seen = {}
    middleware = UntrustedHeadersMiddleware(lambda request: seen.update(request.META))
    request = RequestFactory().get("/", REMOTE_ADDR=address, HTTP_SHIB_SESSION_ID="_abc", **headers("31129956715"))
    middleware(request)
    for key in ("HTTP_UID", "HTTP_SHIB_AUTHNCONTEXT_CLASS", "HTTP_SHIB_SESSION_ID"):
        assert (key in seen) is kept


def test_login_button_goes_to_the_shibboleth_protected_path(client, shibboleth):
    response = client.post("/auth/saml/eid/login/", {"process": "login"})
    assert response.status_code == 302 and response["Location"] == LOGIN


def test_our_own_acs_is_closed_in_shibboleth_mode(client, people, shibboleth):
    xml = signed_response(client, people["kari"].national_id, in_response_to="_whatever")
    response = client.post("/auth/saml/eid/acs/", {"SAMLResponse": xml})
    assert response.status_code == 400 and not logged_in(client)


def test_logout_goes_through_the_shibboleth_sp(client, people, shibboleth):
    client.get(LOGIN, REMOTE_ADDR=PROXY, **headers(people["kari"].national_id))
    response = client.post("/logout/")
    assert not logged_in(client)
    assert response["Location"] == (
        "/Shibboleth.sso/Logout?return=http%3A%2F%2Fmy.prescriptions.test%2Flogged-out%2F"
    )


@pytest.mark.parametrize("next_url,expected", [("/history/", "/history/"), ("https://evil.example/", "/choose/")])
def test_next_is_local_only(client, people, shibboleth, next_url, expected):
    response = client.get(f"{LOGIN}?next={next_url}", REMOTE_ADDR=PROXY, **headers(people["kari"].national_id))
    assert response["Location"] == expected
