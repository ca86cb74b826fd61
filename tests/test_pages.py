"""The citizen's pages, as Kari Nordmann from the demo data, after a real signed SAML login.

Pages are read in English (chosen with the language switch after login) so that the assertions do not depend on how the
Norwegian catalogue words things; what is on the page is the same in every language.
"""

import datetime
import re
import uuid
import zoneinfo

import lxml.html
import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.utils import formats, translation

from prescriptions import selectors
from prescriptions.models import AccessLogEntry, Prescription
from tests.conftest import login

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")


# --- helpers that read a page the way a person does ---

def english(client):
    """Switch to English with the language switch, as a visitor would (kept in the session)."""
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    return client


def as_person(client, person):
    login(client, person.national_id)
    return english(client)


@pytest.fixture
def kari(client, people):
    return as_person(client, people["kari"])


def page(response):
    assert response.status_code == 200, response.status_code
    return lxml.html.fromstring(response.content.decode())


def text(node) -> str:
    return re.sub(r"\s+", " ", node.text_content()).strip()


def cards(doc) -> dict[str, str]:
    """Prescription cards by drug name: {name: the card's visible text}."""
    result = {}
    for article in doc.xpath("//article[contains(concat(' ', @class, ' '), ' card ')]"):
        name = text(article.xpath(".//*[contains(@class, 'card-title')]//a")[0])
        result[name] = text(article)
    return result


def facts(node) -> dict[str, str]:
    """A description list as {term: description}."""
    terms = node.xpath(".//dt")
    return {text(dt): text(dt.getnext()) for dt in terms}


def table_rows(doc) -> list[list[str]]:
    return [[text(td) for td in tr.xpath("./td")] for tr in doc.xpath("//table/tbody/tr")]


def shown(value: datetime.date) -> str:
    with translation.override("en"):
        return formats.date_format(value, "DATE_FORMAT")


def rx(key) -> Prescription:
    return Prescription.objects.select_related("medication", "prescriber").get(identifier=f"DEMO-{key}")


KARI_VALID = {
    # drug: (demo key, "N of M left")
    "Metformin Sandoz": ("kari-1", "11 of 12 left"),
    "Atorvastatin Krka": ("kari-2", "3 of 4 left"),
    "Cozaar": ("kari-3", "5 of 6 left"),
    "Cetirizin Mylan": ("kari-4", "3 of 3 left"),
    "OxyNorm": ("kari-5", "1 of 1 left"),
    "Sertralin Hexal": ("kari-6", "6 of 6 left"),
}
KARI_HISTORY = {"Amoxicillin Mylan": "kari-7", "Ibux": "kari-8", "Paralgin forte": "kari-9", "Zopiklon Mylan": "kari-10"}


# --- My prescriptions ---

def test_my_prescriptions_lists_every_valid_prescription_with_its_facts(kari):
    doc = page(kari.get("/prescriptions/"))
    found = cards(doc)
    assert set(found) == set(KARI_VALID)
    for name, (key, left) in KARI_VALID.items():
        p, card = rx(key), found[name]
        for expected in (p.medication.form, p.medication.strength, p.dosage_text, p.prescriber.name,
                         shown(p.issued_on), shown(p.expires_on), left):
            assert expected in card, (name, expected, card)
    assert len(doc.xpath("//h1")) == 1


def test_my_prescriptions_marks_those_expiring_within_30_days_in_words(kari):
    found = cards(page(kari.get("/prescriptions/")))
    soon = {name for name, card in found.items() if "expires within 30 days" in card}
    # Cetirizin expires in 10 days, OxyNorm (a 30-day A-preparation) in 25.
    assert soon == {"Cetirizin Mylan", "OxyNorm"}


def test_my_prescriptions_shows_blue_group_and_locked_markers(kari):
    found = cards(page(kari.get("/prescriptions/")))
    assert "Blue prescription" in found["Metformin Sandoz"]
    assert "Group A" in found["OxyNorm"]
    assert "Locked prescription" in found["Sertralin Hexal"] and "LR-2026-004217" in found["Sertralin Hexal"]
    for name in set(found) - {"Metformin Sandoz"}:
        assert "Blue prescription" not in found[name]
    for name in set(found) - {"Sertralin Hexal"}:
        assert "Locked prescription" not in found[name]
    for name in set(found) - {"OxyNorm"}:
        assert "Group A" not in found[name] and "Group B" not in found[name]


def test_group_b_is_marked_too(kari):
    found = cards(page(kari.get("/history/")))
    assert "Group B" in found["Paralgin forte"] and "Group B" in found["Zopiklon Mylan"]
    assert "Group" not in found["Ibux"]


def test_locked_reference_is_not_shown_to_a_power_of_attorney_holder(client, people):
    ingrid = as_person(client, people["ingrid"])
    ingrid.post("/choose/switch/", {"person": people["kari"].pk})
    doc = page(ingrid.get("/prescriptions/"))
    found = cards(doc)
    assert "Locked prescription" in found["Sertralin Hexal"]
    assert "LR-2026-004217" not in doc.text_content()
    detail = ingrid.get(f"/prescriptions/{rx('kari-6').public_id}/").content.decode()
    assert "Locked prescription" in detail and "LR-2026-004217" not in detail


def test_a_prescription_expiring_today_disappears_at_midnight_oslo_time(client, people):
    p = rx("kari-2")
    tomorrow = selectors.today() + datetime.timedelta(days=1)
    p.expires_on = tomorrow
    p.save(update_fields=["expires_on"])
    midnight = datetime.datetime.combine(tomorrow + datetime.timedelta(days=1), datetime.time(0), OSLO)
    with time_machine.travel(midnight - datetime.timedelta(seconds=90), tick=True) as traveller:
        as_person(client, people["kari"])
        valid = cards(page(client.get("/prescriptions/")))
        assert "expires within 30 days" in valid["Atorvastatin Krka"]
        traveller.move_to(midnight + datetime.timedelta(seconds=1))
        assert "Atorvastatin Krka" not in cards(page(client.get("/prescriptions/")))
        history = cards(page(client.get("/history/")))
        assert f"Expired on {shown(tomorrow)}" in history["Atorvastatin Krka"]


# --- Prescription detail ---

def detail_facts(client, key):
    doc = page(client.get(f"/prescriptions/{rx(key).public_id}/"))
    return doc, facts(doc.xpath("//main//dl")[0])


def test_detail_shows_every_field(kari):
    p = rx("kari-3")
    doc, f = detail_facts(kari, "kari-3")
    assert text(doc.xpath("//h1")[0]) == "Cozaar tablett 50 mg"
    assert f["ATC code"] == "C09CA01"
    assert f["Dispensing group"] == "C"
    assert f["Dosage"] == p.dosage_text
    assert f["Indication"] == "Høyt blodtrykk"
    assert f["Prescriber"] == "Dr. Anne Lie (HPR number 9144889)"
    assert f["Issued"] == shown(p.issued_on)
    assert f["Earliest dispense date"] == shown(p.earliest_dispense_on)
    assert f["Expires"] == shown(p.expires_on)
    assert f["Reiterations"] == "5"
    assert f["Dispenses"] == "5 of 6 left"
    assert f["Quantity per dispense"] == "98 stk"
    assert f["Substitution reserved by prescriber"] == "No"
    assert f["Blue prescription"] == "No"
    assert f["Status"].startswith("Valid") and "Active" in f["Status"]
    assert f["Locked prescription"] == "No"
    assert f["Guardian-access reservation"] == "No"


def test_detail_shows_blue_basis_and_code_locked_reference_and_reserved_substitution(kari):
    _, blue = detail_facts(kari, "kari-1")
    assert blue["Blue prescription"] == "Yes, § 2, code T90"
    _, narcotic = detail_facts(kari, "kari-5")
    assert narcotic["Dispensing group"] == "A (narcotic)"
    assert narcotic["Substitution reserved by prescriber"] == "Yes"
    assert "expires within 30 days" in narcotic["Expires"]
    _, locked = detail_facts(kari, "kari-6")
    assert locked["Locked prescription"] == "Yes, reference LR-2026-004217"


def test_guardian_access_reservation_is_not_even_mentioned_to_a_parent(kari, people):
    kari.post("/choose/switch/", {"person": people["emma"].pk})
    _, emma = detail_facts(kari, "emma-1")
    assert "Guardian-access reservation" not in emma
    assert kari.get(f"/prescriptions/{rx('emma-2').public_id}/").status_code == 404  # the reserved one


def test_guardian_access_reservation_is_shown_to_the_person_and_their_power_of_attorney(client, people):
    emma = as_person(client, people["emma"])
    assert detail_facts(emma, "emma-2")[1]["Guardian-access reservation"] == "Yes, hidden from parents"
    client.post("/logout/")
    ingrid = as_person(client, people["ingrid"])
    ingrid.post("/choose/switch/", {"person": people["kari"].pk})
    assert detail_facts(ingrid, "kari-1")[1]["Guardian-access reservation"] == "No"


def test_detail_shows_status_of_history_prescriptions(kari):
    assert detail_facts(kari, "kari-10")[1]["Status"].startswith("Cancelled")
    assert detail_facts(kari, "kari-9")[1]["Status"].startswith("Used up")
    assert detail_facts(kari, "kari-7")[1]["Status"].startswith("Expired")


def test_detail_shows_dispenses_with_prescribed_item_beside_a_substituted_one(kari):
    doc, _ = detail_facts(kari, "kari-3")
    rows = table_rows(doc)
    assert len(rows) == 2
    cancelled, substituted = rows  # newest first: the cancelled one was 20 days ago
    date, pharmacy, prescribed, dispensed, quantity, status = substituted
    assert pharmacy == "Apotek 1 Storo"
    assert prescribed == "Cozaar 50 mg tablett"
    assert dispensed.startswith("Losartan Krka 50 mg tablett") and "generic substitution" in dispensed
    assert quantity == "98 stk"
    assert cancelled[1] == "Vitusapotek Jernbanetorget" and "does not count" in cancelled[5]
    assert "generic substitution" not in cancelled[3]


def test_detail_without_dispenses_says_so(kari):
    doc, _ = detail_facts(kari, "kari-6")
    assert table_rows(doc) == []
    assert "Nothing has been dispensed on this prescription yet." in doc.text_content()


def test_detail_view_is_written_to_the_access_log(kari, people):
    p = rx("kari-3")
    kari.get(f"/prescriptions/{p.public_id}/")
    entry = AccessLogEntry.objects.filter(subject=people["kari"]).first()
    assert (entry.viewer, entry.basis, entry.page, entry.item) == (people["kari"], "self", "detail", p.identifier)


@pytest.mark.parametrize("path", [
    f"/prescriptions/{uuid.uuid4()}/",  # unknown
    "/prescriptions/not-a-uuid/",  # malformed
    "/prescriptions/12345/",
    "/prescriptions/%00/",
])
def test_unknown_or_malformed_prescription_is_404(kari, path):
    assert kari.get(path).status_code == 404


def test_someone_elses_prescription_is_404(kari):
    assert kari.get(f"/prescriptions/{rx('nils-1').public_id}/").status_code == 404


def test_own_prescription_is_404_while_acting_for_someone_else(kari, people):
    kari.post("/choose/switch/", {"person": people["ola"].pk})
    assert kari.get(f"/prescriptions/{rx('ola-1').public_id}/").status_code == 200
    assert kari.get(f"/prescriptions/{rx('kari-1').public_id}/").status_code == 404


# --- Dispensed items ---

def dispensed_rows(client, query=""):
    return table_rows(page(client.get(f"/dispensed/{query}")))


def test_dispensed_items_newest_first_with_pharmacy_date_item_quantity(kari):
    today = selectors.today()
    rows = dispensed_rows(kari)
    expected = [  # (days ago, pharmacy, item start, quantity)
        (20, "Vitusapotek Jernbanetorget", "Cozaar 50 mg tablett", "98 stk"),
        (38, "Vitusapotek Jernbanetorget", "Metformin Sandoz 500 mg tablett", "200 stk"),
        (55, "Boots apotek Majorstuen", "Atorvastatin Krka 20 mg tablett", "100 stk"),
        (65, "Boots apotek Majorstuen", "Paralgin forte 400 mg/30 mg tablett", "20 stk"),
        (85, "Apotek 1 Storo", "Losartan Krka 50 mg tablett", "98 stk"),
        (398, "Vitusapotek Jernbanetorget", "Amoxicillin Mylan 500 mg kapsel", "21 stk"),
    ]
    assert [(r[0], r[1], r[3]) for r in rows] == [
        (shown(today - datetime.timedelta(days=ago)), pharmacy, qty) for ago, pharmacy, _, qty in expected
    ]
    for row, (_, _, item, _) in zip(rows, expected, strict=True):
        assert row[2].startswith(item)
    assert "generic substitution for Cozaar 50 mg tablett" in rows[4][2]
    assert [r for r in rows if "substitution" in r[2]] == [rows[4]]
    assert "cancelled" in rows[0][2]


def test_dispensed_items_say_how_many_and_link_to_their_prescription(kari):
    doc = page(kari.get("/dispensed/"))
    assert "6 dispensed items, newest first." in doc.text_content()
    links = [a.get("href") for a in doc.xpath("//table/tbody/tr/td[3]/a")]
    assert links[4] == f"/prescriptions/{rx('kari-3').public_id}/"  # the substituted Losartan: Cozaar's
    assert len(links) == 6


def test_dispensed_items_filtered_by_period(kari):
    today = selectors.today()
    start, end = today - datetime.timedelta(days=60), today - datetime.timedelta(days=30)
    rows = dispensed_rows(kari, f"?start={start.isoformat()}&end={end.isoformat()}")
    assert [r[2].split(" ")[0] for r in rows] == ["Metformin", "Atorvastatin"]
    one_day = (today - datetime.timedelta(days=85)).isoformat()
    assert [r[1] for r in dispensed_rows(kari, f"?start={one_day}&end={one_day}")] == ["Apotek 1 Storo"]
    assert len(dispensed_rows(kari, f"?start={one_day}")) == 5
    assert len(dispensed_rows(kari, f"?end={one_day}")) == 2
    empty = page(kari.get("/dispensed/?start=2001-01-01&end=2001-12-31"))
    assert table_rows(empty) == [] and "No dispensed items in this period." in empty.text_content()


@pytest.mark.parametrize(("query", "field", "message"), [
    ("?start=2025-03-10&end=2025-03-01", "end", "The end date must be on or after the start date."),
    ("?start=garbage&end=2025-03-01", "start", "Enter a valid date."),
    ("?start=2025-02-30", "start", "Enter a valid date."),
    ("?end=%27%3B--", "end", "Enter a valid date."),
    ("?start=99999-01-01", "start", "Enter a valid date."),
])
def test_a_bad_period_gives_a_form_error_not_a_500(kari, query, field, message):
    doc = page(kari.get(f"/dispensed/{query}"))
    field_input = doc.xpath(f"//input[@name='{field}']")[0]
    assert field_input.get("aria-invalid") == "true"
    error = doc.get_element_by_id(field_input.get("aria-describedby"))
    assert message in text(error)
    assert table_rows(doc) == []
    assert "Correct the period above to see your dispensed items." in doc.text_content()
    assert "No dispensed items in this period." not in doc.text_content()


@pytest.mark.parametrize("query", [
    "?start=0001-01-01", "?end=9999-12-31", "?start=0001-01-01&end=9999-12-31", "?page=abc", "?page=999",
    "?page=-1", "?start=&end=",
])
def test_extreme_but_well_formed_periods_and_pages_work(kari, query):
    assert len(dispensed_rows(kari, query)) == 6


# --- History ---

def test_history_shows_expired_used_up_and_cancelled_each_with_its_reason(kari):
    found = cards(page(kari.get("/history/")))
    assert set(found) == set(KARI_HISTORY)
    assert f"Expired on {shown(rx('kari-7').expires_on)}" in found["Amoxicillin Mylan"]
    assert f"Expired on {shown(rx('kari-8').expires_on)}" in found["Ibux"]
    assert "Used up: no dispenses left" in found["Paralgin forte"]
    assert "1 of 1 dispensed" in found["Paralgin forte"]
    assert "1 of 2 dispensed" in found["Amoxicillin Mylan"]
    assert "0 of 1 dispensed" in found["Zopiklon Mylan"]
    for card in found.values():
        assert not re.search(r"\d+ of \d+ left", card)  # nothing is "left" once it cannot be dispensed
    assert "Cancelled" in found["Zopiklon Mylan"]
    for card in found.values():
        assert "expires within 30 days" not in card


# --- Logout ---

def test_logout_ends_the_session(kari):
    session_key = kari.session.session_key
    assert kari.get("/prescriptions/").status_code == 200
    response = kari.post("/logout/")
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=session_key).exists()
    for path in ("/prescriptions/", "/dispensed/", "/history/", f"/prescriptions/{rx('kari-1').public_id}/"):
        response = kari.get(path)
        assert response.status_code == 302 and response["Location"].split("?")[0] == "/", path
    landing = kari.get("/").content.decode()
    assert "Metformin" not in landing and "Log out" not in landing


def test_logout_needs_post(kari):
    assert kari.get("/logout/").status_code == 405
    assert kari.get("/prescriptions/").status_code == 200
