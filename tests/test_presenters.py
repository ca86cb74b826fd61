"""The card and dispensed-row presenters, rendered through their templates: what they show in each
language, and that whatever comes from the data is escaped (the presenters build plain strings;
only the template decides what is markup)."""

import datetime
import decimal

import lxml.html
import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from prescriptions import presenters, selectors
from prescriptions.models import Dispense, Medication
from prescriptions.subject import Subject
from tests.test_selectors import D, rx, world  # noqa: F401 (world is a fixture)


def card_text(row, language="en") -> tuple[str, lxml.html.HtmlElement]:
    with translation.override(language):
        html = render_to_string("prescriptions/_card.html", {"card": presenters.card(row)})
    return html, lxml.html.fragment_fromstring(html)


def only_row(rows):
    assert len(rows) == 1
    return rows[0]


def facts(element) -> dict[str, str]:
    terms = [dt.text_content() for dt in element.iter("dt")]
    return dict(zip(terms, [dd.text_content() for dd in element.iter("dd")]))


def test_a_valid_card_in_each_language(world):
    rx(world, reit=2, expires=20, blue_basis="§ 2", blue_code="T90", dispensing_group="A")
    row = only_row(selectors.valid_prescriptions(Subject(world["anne"], world["anne"], "self"), D))
    _, en = card_text(row)
    assert en.get("class") == "card expiring"
    assert [li.text_content() for li in en.iter("li")] == ["Blue prescription", "Group A (narcotic)", "Expires soon"]
    assert facts(en)["Dispenses"] == "3 of 3 left"
    assert facts(en)["Expires"].endswith("(expires within 30 days)")
    _, nb = card_text(row, "nb")
    assert facts(nb)["Utleveringer"] == "3 av 3 igjen"
    assert facts(nb)["Utstedt"] == "8. februar 2025"
    _, nn = card_text(row, "nn")
    assert "Blå resept" in [li.text_content() for li in nn.iter("li")]


def test_history_cards_say_why(world):
    rx(world, reit=1, status="cancelled")
    rx(world, expires=-1)
    subject = Subject(world["anne"], world["anne"], "self")
    rows = selectors.history_prescriptions(subject, D)
    by_reason = {row.history_reason: facts(card_text(row)[1]) for row in rows}
    assert by_reason["cancelled"]["Reason"] == "Cancelled"
    assert by_reason["cancelled"]["Dispenses"] == "0 of 2 dispensed"
    assert by_reason["expired"]["Reason"] == "Expired on March 9, 2025"


@pytest.mark.parametrize(("basis", "shown"), [("self", True), ("poa", False)])
def test_the_locked_reference_is_for_the_patient_only(world, basis, shown):
    rx(world, locked=True, locked_reference="LR-77")
    row = only_row(selectors.valid_prescriptions(Subject(world["anne"], world["bodil"], basis), D))
    badges = [li.text_content() for li in card_text(row)[1].iter("li")]
    assert badges == (["Locked prescription – reference LR-77"] if shown else ["Locked prescription"])


def test_data_is_escaped_not_markup(world):
    world["drug"].name = '<img src=x onerror="alert(1)">'
    world["drug"].save()
    rx(world, dosage_text="<b>2</b> & more", locked=True, locked_reference="<i>LR</i>")
    row = only_row(selectors.valid_prescriptions(Subject(world["anne"], world["anne"], "self"), D))
    html, element = card_text(row)
    assert "<img" not in html and "<b>" not in html and "<i>" not in html
    assert element.find(".//h2/a").text_content() == '<img src=x onerror="alert(1)">'
    assert facts(element)["Dosage"] == "<b>2</b> & more"


def test_a_dispensed_row_shows_both_items_and_a_localised_quantity(world):
    prescription = rx(world, quantity_unit="ml")
    generic = Medication.objects.get(code="t-losartan")
    handed_over = datetime.datetime(2025, 3, 1, 23, 30, tzinfo=datetime.UTC)  # 2 March in Oslo
    Dispense.objects.create(
        identifier="D-1", prescription=prescription, patient=world["anne"], handed_over_at=handed_over,
        pharmacy=world["pharmacy"], medication=generic, quantity=decimal.Decimal("1.50"), substituted=True,
        status=Dispense.Status.CANCELLED,
    )
    subject = Subject(world["anne"], world["anne"], "self")
    with timezone.override("Europe/Oslo"), translation.override("nb"):
        row = only_row(presenters.dispensed_rows(selectors.dispenses(subject)))
    assert row.date == "2. mars 2025"
    assert row.quantity == "1,50 ml"  # floatformat:"-2": decimals only when the amount is not whole
    assert row.item == "Losartan Krka 50 mg tablett"
    assert row.substituted_for == "Cozaar 50 mg tablett"
    assert row.cancelled
    assert row.url == f"/prescriptions/{prescription.public_id}/"
