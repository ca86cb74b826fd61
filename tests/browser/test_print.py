"""Print: the prescription list and the powers-of-attorney list as Chromium prints them to PDF.

The PDF must hold the content, whose list it is and the print date, and none of what only the screen
needs: the header, the main menu, the language switch, the closing-notice banner, buttons, the footer.
"""

import re

import pypdf
import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from tests.browser import flows
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

PDF_DIR = ARTIFACTS / "print"
SCREEN_ONLY = (
    "header.site-header, nav.main-nav, .closing-notice, .consent-banner, footer.site-footer, .skip-link, main form,"
    " .no-print"
)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def screen_only_texts(tab) -> set[str]:
    """Texts of what only the screen needs, leaving out any that also appear in the printed content."""
    main = squash(tab.locator("main").inner_text())
    texts = tab.locator(SCREEN_ONLY).evaluate_all(
        "els => els.flatMap(el => [...el.querySelectorAll('a, button, label, h2, p'), el]).map(e => e.innerText)"
    )
    return {squash(t) for t in texts if squash(t) and len(squash(t)) > 3 and squash(t) not in main}


def print_to_pdf(tab, name: str) -> str:
    PDF_DIR.mkdir(parents=True, exist_ok=True)
    path = PDF_DIR / f"{name}.pdf"
    tab.emulate_media(media="print")
    tab.pdf(path=str(path), format="A4")
    tab.emulate_media(media="screen")
    return squash(" ".join(page.extract_text() for page in pypdf.PdfReader(path).pages))


def today_in(language: str) -> str:
    with translation.override(language):
        return formats.date_format(timezone.localdate(), "DATE_FORMAT")


def assert_prints_cleanly(tab, name: str, must_contain: list[str]) -> str:
    screen_only = screen_only_texts(tab)
    assert screen_only, "found nothing screen-only to check against"
    text = print_to_pdf(tab, name)
    for expected in must_contain:
        assert squash(expected) in text, f"{expected!r} missing from the printed {name}:\n{text}"
    leaked = sorted(t for t in screen_only if t in text)
    assert not leaked, f"printed {name} shows screen-only parts: {leaked}"
    return text


def test_the_prescription_list_prints_with_name_and_date(tab):
    flows.log_in(tab, "Kari Nordmann")
    tab.goto(reverse("prescriptions:valid"))
    drugs = tab.locator("article.card .card-title a").all_inner_texts()
    assert len(drugs) == 6
    assert_prints_cleanly(tab, "prescriptions-kari", [*drugs, "Kari Nordmann", today_in("nb")])


def test_a_childs_list_prints_with_the_childs_name(tab):
    flows.log_in(tab, "Kari Nordmann")
    flows.choose_person(tab, "Emma Nordmann")
    text = assert_prints_cleanly(tab, "prescriptions-emma", ["Locoid", "Emma Nordmann", today_in("nb")])
    assert "Loette" not in text


def test_the_powers_of_attorney_list_prints_with_name_and_date(open_tab):
    tab = open_tab(locale="en-GB")
    tab.goto("/")
    flows.switch_language(tab, "en")
    flows.log_in(tab, "Kari Nordmann", start=False)
    tab.goto(reverse("proxies:print"))
    assert_prints_cleanly(tab, "powers-of-attorney-list", ["Kari Nordmann", today_in("en"), "Ingrid Dahl", "Per Hansen"])


def test_the_powers_of_attorney_page_prints_without_its_forms(tab):
    flows.log_in(tab, "Kari Nordmann")
    tab.goto(reverse("proxies:powers"))
    buttons = {squash(t) for t in tab.locator("main button").all_inner_texts()}
    text = assert_prints_cleanly(tab, "powers-of-attorney-page", ["Ingrid Dahl", "Per Hansen", "Kari Nordmann"])
    assert not [b for b in buttons if b in text]
