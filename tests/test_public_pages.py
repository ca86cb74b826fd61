"""The public face: the landing page, the accessibility statement, the closing notice on every
page (editable by operators in the admin, with its history kept) and the printable list of one's
powers of attorney offered from the notice on the powers-of-attorney page.

Pages are read in English through the language switch, so the assertions do not depend on the
Norwegian wording; tests/test_i18n.py covers the languages.
"""

import datetime
import re

import lxml.html
import pytest
from django.contrib import admin
from django.urls import include, path, reverse

from myprescriptions import urls as project_urls
from myprescriptions.site import closing
from myprescriptions.site.models import NoticeVersion
from prescriptions.identity import mask
from tests.conftest import login

# This module doubles as a URLconf with the admin mounted (ADMIN_ENABLED decides it at import).
urlpatterns = [path("operator-console/", admin.site.urls), path("", include(project_urls.urlpatterns))]

SUCCESSOR = "https://new-service.example.no/medicines/"
POA_URL = "https://new-service.example.no/power-of-attorney/"


@pytest.fixture(autouse=True)
def notice_settings(settings):
    settings.SERVICE_CLOSES_ON = datetime.date(2099, 6, 30)
    settings.SUCCESSOR_URL = SUCCESSOR
    settings.POA_REGISTRATION_URL = POA_URL
    closing.forget_cached_notice()
    yield
    closing.forget_cached_notice()


def english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


def doc_of(response):
    assert response.status_code == 200, response.status_code
    return lxml.html.fromstring(response.content.decode())


def text(node) -> str:
    return re.sub(r"\s+", " ", node.text_content()).strip()


def notice_of(doc):
    (section,) = doc.xpath("//section[@class='closing-notice']")
    return section


# --- landing and accessibility ---


def test_landing_page_has_the_sections_and_a_clear_login(client, db):
    doc = doc_of(english(client).get("/"))
    assert text(doc.xpath("//h1")[0]) == "Welcome to My Prescriptions"
    (form,) = doc.xpath("//main//form[contains(@class, 'login-form')]")
    assert form.get("method") == "post" and form.get("action") == reverse("saml_login", args=["eid"])
    assert text(form.xpath(".//button")[0]) == "Log in"
    headings = [text(h) for h in doc.xpath("//main//h2")]
    assert headings == [
        "What is My Prescriptions?",
        "Can anyone use the service?",
        "Where can I find more information?",
        "Use of cookies",
    ]
    what = text(doc.xpath("//section[@aria-labelledby='what-title']")[0])
    for fact in ("valid prescriptions", "collected at a pharmacy", "dispenses remain", "up to the age of 16",
                 "power of attorney"):
        assert fact in what
    assert "highest security level" in text(doc.xpath("//section[@aria-labelledby='who-title']")[0])
    more = doc.xpath("//section[@aria-labelledby='more-title']")[0]
    assert "800 HELSE (800 43573)" in text(more) and "free of charge" in text(more)
    assert more.xpath(".//a[@href='tel:+4780043573']")
    cookies = doc.xpath("//section[@aria-labelledby='cookies-title']")[0]
    assert cookies.xpath(f".//a[@href='{reverse('site:cookies')}']")


def test_login_form_leads_to_the_idp(client, db):
    response = client.post(reverse("saml_login", args=["eid"]), {"process": "login"})
    assert response.status_code == 302 and "/testidp/sso/" in response["Location"]


def test_accessibility_statement(client, db):
    doc = doc_of(english(client).get(reverse("site:accessibility")))
    page = text(doc.xpath("//main")[0])
    assert text(doc.xpath("//h1")[0]) == "Accessibility statement"
    assert "WCAG 2.1" in page and "levels A and AA" in page
    assert [text(h) for h in doc.xpath("//main//h2")] == [
        "Status", "Contact us", "How to report a problem", "If you are not satisfied with our answer",
    ]
    assert doc.xpath("//main//a[@href='tel:+4780043573']") and doc.xpath("//main//a[@href='https://www.uutilsynet.no/']")


def test_every_page_links_the_accessibility_statement_and_the_cookie_page(client, db):
    for name in ("site:landing", "site:cookies", "site:accessibility", "site:logged_out"):
        doc = doc_of(client.get(reverse(name)))
        footer = doc.xpath("//footer")[0]
        assert footer.xpath(f".//a[@href='{reverse('site:accessibility')}']")
        assert footer.xpath(f".//a[@href='{reverse('site:cookies')}']")


# --- the closing notice ---


def assert_standard_notice(doc):
    notice = notice_of(doc)
    assert text(notice.xpath(".//h2")[0]) == "Important information about the service"
    words = text(notice)
    assert "closes on June 30, 2099" in words
    assert notice.xpath(f".//a[@href='{SUCCESSOR}']") and notice.xpath(f".//a[@href='{POA_URL}']")
    assert "will not be valid in the new service" in words


def test_the_notice_is_on_every_public_page(client, db):
    english(client)
    for name in ("site:landing", "site:cookies", "site:accessibility", "site:logged_out"):
        assert_standard_notice(doc_of(client.get(reverse(name))))


def test_the_notice_is_on_every_logged_in_page(client, people):
    english(client)
    login(client, people["kari"].national_id)
    for name in ("proxies:choose", "prescriptions:valid", "prescriptions:dispensed", "prescriptions:history",
                 "proxies:powers", "proxies:access_log", "proxies:print"):
        assert_standard_notice(doc_of(client.get(reverse(name))))


def test_the_notice_offers_the_printable_list_only_on_the_powers_of_attorney_page(client, people):
    english(client)
    login(client, people["kari"].national_id)
    link = f"//section[@class='closing-notice']//a[@href='{reverse('proxies:print')}']"
    assert doc_of(client.get(reverse("proxies:powers"))).xpath(link)
    assert not doc_of(client.get(reverse("prescriptions:valid"))).xpath(link)


def test_the_printable_list_shows_powers_granted_and_held_that_are_in_force(client, people):
    english(client)
    login(client, people["kari"].national_id)
    doc = doc_of(client.get(reverse("proxies:print")))
    granted = doc.xpath("//section[@aria-labelledby='print-granted-title']")[0]
    held = doc.xpath("//section[@aria-labelledby='print-held-title']")[0]
    assert [text(th) for th in granted.xpath(".//tbody/tr/th")] == [people["ingrid"].full_name]
    # Per's is in force; Astrid's ended and Lars's was revoked, so they need no new registration.
    assert [text(th) for th in held.xpath(".//tbody/tr/th")] == [people["per"].full_name]
    page = text(doc.xpath("//main")[0])
    assert mask(people["ingrid"].national_id) in page and people["ingrid"].national_id not in page
    assert mask(people["per"].national_id) in page and people["per"].national_id not in page
    assert doc.xpath(f"//main//a[@href='{POA_URL}']")
    assert people["kari"].full_name in page


def test_the_printable_list_needs_a_login(client, db):
    response = client.get(reverse("proxies:print"))
    assert response.status_code == 302 and "login=required" in response["Location"]


def version(**fields):
    values = {"change_note": "test", "successor_url": "", "poa_registration_url": ""}
    values.update(fields)
    return NoticeVersion.objects.create(**values)


def test_the_newest_version_of_the_text_and_addresses_is_shown(client, db):
    english(client)
    version(
        text_nb="Tjenesten stenger {closes_on}. Ny: {successor_url}\n\nFullmakter: {poa_registration_url}",
        text_nn="Tenesta stengjer {closes_on}. Ny: {successor_url}\n\nFullmakter: {poa_registration_url}",
        text_en="The service closes on {closes_on}. New: {successor_url}\n\nRegister again: {poa_registration_url}",
        successor_url="https://other.example.no/",
    )
    notice = notice_of(doc_of(client.get("/")))
    paragraphs = [text(p) for p in notice.xpath(".//p")]
    assert paragraphs == [
        "The service closes on June 30, 2099. New: https://other.example.no/",
        f"Register again: {POA_URL}",
    ]
    assert notice.xpath("//a[@href='https://other.example.no/']")
    client.post(reverse("set_language"), {"language": "nn", "next": "/"})
    assert "Tenesta stengjer 30. juni 2099." in text(notice_of(doc_of(client.get("/"))))


def test_an_operators_text_is_escaped(client, db):
    english(client)
    evil = '<script>alert(1)</script> {closes_on} {successor_url} {poa_registration_url}'
    version(text_nb=evil, text_nn=evil, text_en=evil)
    html = client.get("/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- editing the notice in the admin ---


@pytest.fixture
def operator(client, people):
    """Kari, made staff, after a real SAML login: what the operator console asks for."""
    english(client)
    login(client, people["kari"].national_id)
    user = people["kari"].user
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return client


ADD_URL = "/operator-console/site/noticeversion/add/"

VALID_FORM = {
    "change_note": "New wording agreed with the directorate",
    "text_nb": "Mine resepter stenger {closes_on}. Gå til {successor_url}. Fullmakter: {poa_registration_url}",
    "text_nn": "Mine resepter stengjer {closes_on}. Gå til {successor_url}. Fullmakter: {poa_registration_url}",
    "text_en": "My Prescriptions closes on {closes_on}. Go to {successor_url}. Powers: {poa_registration_url}",
    "successor_url": "https://successor.example.no/",
    "poa_registration_url": "",
}


@pytest.mark.urls(__name__)
def test_an_operator_changes_the_notice_without_a_deploy_and_the_history_is_kept(operator):
    first = operator.post(ADD_URL, VALID_FORM)
    assert first.status_code == 302, first.content.decode()[:2000]
    assert "Go to https://successor.example.no/." in text(notice_of(doc_of(operator.get("/choose/", follow=True))))
    second = operator.post(ADD_URL, {**VALID_FORM, "change_note": "Back to the standard text",
                                     "text_nb": "", "text_nn": "", "text_en": ""})
    assert second.status_code == 302
    assert "closes on June 30, 2099" in text(notice_of(doc_of(operator.get(reverse("proxies:powers")))))
    history = list(NoticeVersion.objects.order_by("created_at", "pk"))
    assert [v.change_note for v in history] == ["New wording agreed with the directorate", "Back to the standard text"]
    assert all(v.created_by.person.national_id for v in history)
    # The history is listed, and versions cannot be changed or deleted.
    listing = operator.get("/operator-console/site/noticeversion/").content.decode()
    assert "New wording agreed with the directorate" in listing and "Back to the standard text" in listing
    change = operator.post(f"/operator-console/site/noticeversion/{history[0].pk}/change/", VALID_FORM)
    assert change.status_code in (302, 403) and NoticeVersion.objects.count() == 2
    assert operator.post(f"/operator-console/site/noticeversion/{history[0].pk}/delete/", {"post": "yes"}).status_code == 403
    assert NoticeVersion.objects.count() == 2


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    "field, value, error",
    [
        ("successor_url", "not a url", "Enter a valid URL."),
        ("successor_url", "javascript:alert(1)", "Enter a valid URL."),
        ("poa_registration_url", "http://plain-http.example.no/", "Enter a full address starting with https://."),
        ("text_en", "Closes {closes_on}. {successor_url} {poa_registration_url} {oops}", "Unknown placeholders: {oops}."),
        ("text_nn", "Stengjer snart.", "The text must contain {closes_on}, {poa_registration_url}, {successor_url}"),
        ("text_en", "", "Write the text in all three languages"),
    ],
)
def test_a_bad_edit_is_a_form_error_and_changes_nothing(operator, field, value, error):
    response = operator.post(ADD_URL, {**VALID_FORM, field: value})
    assert response.status_code == 200
    assert error in response.content.decode(), re.findall(r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S)
    assert NoticeVersion.objects.count() == 0
    assert "closes on June 30, 2099" in text(notice_of(doc_of(operator.get(reverse("proxies:powers")))))


@pytest.mark.urls(__name__)
def test_a_citizen_who_is_not_an_operator_cannot_edit_the_notice(client, people):
    login(client, people["kari"].national_id)
    assert client.post(ADD_URL, VALID_FORM).status_code == 404
    assert NoticeVersion.objects.count() == 0


def test_the_notice_survives_a_database_failure(db, monkeypatch):
    from django.db import DatabaseError

    def broken():
        raise DatabaseError("down")

    monkeypatch.setattr(closing, "_newest_version", broken)
    notice = closing.current_notice()
    assert notice.successor_url == SUCCESSOR and notice.poa_registration_url == POA_URL


def test_an_edit_saved_by_another_process_shows_here_within_the_cache_time(db, monkeypatch):
    monkeypatch.setattr(closing, "CACHE_SECONDS", 30)
    now = [1000.0]
    monkeypatch.setattr(closing, "_clock", lambda: now[0])
    assert closing.current_notice().successor_url == SUCCESSOR
    # bulk_create sends no post_save: as if another process had saved it.
    NoticeVersion.objects.bulk_create([NoticeVersion(change_note="elsewhere", successor_url="https://elsewhere.example.no/")])
    now[0] += 29
    assert closing.current_notice().successor_url == SUCCESSOR
    now[0] += 2
    assert closing.current_notice().successor_url == "https://elsewhere.example.no/"


def test_an_edit_saved_in_this_process_shows_at_once(db, monkeypatch):
    monkeypatch.setattr(closing, "CACHE_SECONDS", 30)
    assert closing.current_notice().successor_url == SUCCESSOR
    version(successor_url="https://at-once.example.no/")
    assert closing.current_notice().successor_url == "https://at-once.example.no/"
