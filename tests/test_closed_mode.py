"""Closed mode: from SERVICE_CLOSES_ON (midnight, Europe/Oslo) the landing page says the service
has closed and points to its successor, logins are refused with that message, an open session
ends on its next request with it, and the public pages stay up. Time travel with time-machine."""

import datetime
import zoneinfo

import lxml.html
import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.urls import reverse

from myprescriptions.site import closing
from tests.conftest import idp_answer, login, post_to_acs, start_login

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
CLOSES_ON = datetime.date(2027, 6, 30)
SUCCESSOR = "https://new-service.example.no/medicines/"
EVENING_BEFORE = datetime.datetime(2027, 6, 29, 23, 50, tzinfo=OSLO)
JUST_AFTER_MIDNIGHT = datetime.datetime(2027, 6, 30, 0, 1, tzinfo=OSLO)


@pytest.fixture(autouse=True)
def closing_settings(settings):
    settings.SERVICE_CLOSES_ON = CLOSES_ON
    settings.SUCCESSOR_URL = SUCCESSOR
    closing.forget_cached_notice()


def doc_of(response):
    return lxml.html.fromstring(response.content.decode())


def english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})


def test_is_closed_turns_at_midnight_in_oslo():
    # 22:30 UTC on the 29th is already 00:30 on the 30th in Oslo (summer time).
    with time_machine.travel(datetime.datetime(2027, 6, 29, 21, 59, tzinfo=datetime.UTC), tick=False):
        assert not closing.is_closed()
    with time_machine.travel(datetime.datetime(2027, 6, 29, 22, 0, tzinfo=datetime.UTC), tick=False):
        assert closing.is_closed()


def test_the_evening_before_the_service_is_open(client, people):
    with time_machine.travel(EVENING_BEFORE, tick=False):
        english(client)
        doc = doc_of(client.get("/"))
        assert doc.xpath("//form[contains(@class, 'login-form')]")
        assert "closes on June 30, 2027" in doc.xpath("string(//section[@class='closing-notice'])")
        response = login(client, people["kari"].national_id)
        assert response.status_code == 302
        assert client.get(reverse("prescriptions:valid")).status_code == 200


def test_from_the_closing_day_the_landing_page_says_closed_and_points_to_the_successor(client, db):
    with time_machine.travel(JUST_AFTER_MIDNIGHT, tick=False):
        english(client)
        doc = doc_of(client.get("/"))
        assert not doc.xpath("//form[contains(@class, 'login-form')]")
        lead = doc.xpath("//p[@class='lead']")[0]
        assert "My Prescriptions has closed." in lead.text_content()
        assert lead.xpath(f".//a[@href='{SUCCESSOR}']")
        notice = doc.xpath("string(//section[@class='closing-notice'])")
        assert "closed on June 30, 2027" in notice


def test_login_is_refused_with_the_closed_message(client, db):
    with time_machine.travel(JUST_AFTER_MIDNIGHT, tick=False):
        english(client)
        response = client.post(reverse("saml_login", args=["eid"]), {"process": "login"})
        assert response.status_code == 403
        doc = doc_of(response)
        assert doc.xpath("string(//h1)") == "My Prescriptions has closed"
        assert doc.xpath(f"//main//a[@href='{SUCCESSOR}']")


def test_a_login_begun_before_midnight_is_refused_when_it_returns_after(client, people):
    with time_machine.travel(EVENING_BEFORE, tick=True) as traveller:
        params = start_login(client)
        acs_path, fields = idp_answer(client, params, people["kari"].national_id)
        traveller.move_to(JUST_AFTER_MIDNIGHT)
        response = post_to_acs(client, acs_path, fields)
        assert response.status_code == 403
        assert client.get(reverse("prescriptions:valid")).status_code == 302


def test_an_open_session_ends_on_its_next_request_with_the_same_message(client, people):
    with time_machine.travel(EVENING_BEFORE, tick=False) as traveller:
        english(client)
        login(client, people["kari"].national_id)
        assert client.get(reverse("prescriptions:valid")).status_code == 200
        traveller.move_to(JUST_AFTER_MIDNIGHT)
        response = client.get(reverse("prescriptions:valid"))
        assert response.status_code == 302 and response["Location"] == reverse("site:landing")
        landing = doc_of(client.get(response["Location"]))
        messages = landing.xpath("string(//div[@class='messages'])")
        assert "You have been logged out because My Prescriptions has closed." in messages
        assert landing.get("lang") == "en"  # the visitor's language survived the logout
        # Really logged out: no session of Kari's remains, and her pages want a login.
        sessions = [s.get_decoded() for s in Session.objects.all()]
        assert not any("_auth_user_id" in s for s in sessions)
        assert client.get(reverse("prescriptions:valid")).status_code == 302


@pytest.mark.parametrize("name", ["site:landing", "site:cookies", "site:accessibility", "site:logged_out"])
def test_the_public_pages_stay_up(client, db, name):
    with time_machine.travel(JUST_AFTER_MIDNIGHT, tick=False):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert doc_of(response).xpath("//section[@class='closing-notice']")


def test_consent_and_the_language_switch_still_work_when_closed(client, db):
    with time_machine.travel(JUST_AFTER_MIDNIGHT, tick=False):
        client.post(reverse("site:consent"), {"choice": "all", "next": "/"})
        client.post(reverse("set_language"), {"language": "nn", "next": "/"})
        doc = doc_of(client.get("/"))
        assert doc.get("lang") == "nn"
        assert "Mine resepter er stengd." in doc.xpath("string(//p[@class='lead'])")
