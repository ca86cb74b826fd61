"""Full-page screenshots of the main pages, in Norwegian Bokmål, for anyone to look at.

They go to tests/artifacts/screenshots/ (ignored by git; CI keeps tests/artifacts/ in its output):
desktop width, and a few at 320 CSS px as a phone shows them.
"""

import datetime
import shutil

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.browser import flows
from tests.browser.checks import NARROW
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "screenshots"


class Camera:
    def __init__(self):
        shutil.rmtree(SHOTS, ignore_errors=True)
        SHOTS.mkdir(parents=True)
        self.taken: list[str] = []

    def shoot(self, tab, name: str) -> None:
        tab.wait_for_load_state()
        path = SHOTS / f"{len(self.taken) + 1:02d}-{name}.png"
        tab.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 5_000, f"{path} looks empty"
        self.taken.append(path.name)


def test_screenshots_of_the_main_pages(open_tab, demo_people, settings):
    camera = Camera()
    tab = open_tab()
    tab.goto("/")
    camera.shoot(tab, "landing-first-visit")
    flows.answer_consent_if_asked(tab)
    camera.shoot(tab, "landing")
    for name in ["site:cookies", "site:accessibility"]:
        tab.goto(reverse(name))
        camera.shoot(tab, name.split(":")[1])
    tab.goto("/")
    flows.press_log_in(tab)
    camera.shoot(tab, "test-idp")
    flows.choose_at_idp(tab, "Kari Nordmann")
    flows.wait_until_back(tab)
    camera.shoot(tab, "choose-person")
    flows.follow(tab, tab.locator("form[action='%s'] button" % reverse("proxies:switch"), has_text="Kari Nordmann"))
    camera.shoot(tab, "valid-prescriptions")
    flows.follow(tab, tab.locator("article.card .card-title a", has_text="Cozaar"))
    camera.shoot(tab, "prescription-with-substitution")
    for name in ["dispensed", "history"]:
        tab.goto(reverse(f"prescriptions:{name}"))
        camera.shoot(tab, name)
    tab.goto(reverse("prescriptions:dispensed") + "?start=2026-05-10&end=2026-01-01")
    camera.shoot(tab, "dispensed-period-in-error")
    flows.choose_person(tab, "Emma Nordmann")
    camera.shoot(tab, "emma-as-parent")
    flows.choose_person(tab, "Per Hansen")
    camera.shoot(tab, "per-with-power-of-attorney")
    tab.goto(reverse("proxies:powers"))
    camera.shoot(tab, "powers-of-attorney")
    tab.locator("input[name=national_id]").fill(demo_people["nils"].national_id)
    flows.follow(tab, tab.locator(f"form[action='{reverse('proxies:grant')}'] button[type=submit]"))
    camera.shoot(tab, "grant-confirm")
    flows.follow(tab, tab.locator("button[name=action][value=cancel]"))
    tab.locator("input[name=national_id]").fill("12345678901")
    flows.follow(tab, tab.locator(f"form[action='{reverse('proxies:grant')}'] button[type=submit]"))
    camera.shoot(tab, "grant-number-in-error")
    tab.goto(reverse("proxies:print"))
    camera.shoot(tab, "powers-of-attorney-print-list")
    tab.goto(reverse("proxies:access_log"))
    camera.shoot(tab, "access-log")

    # A phone, 320 CSS px wide.
    tab.set_viewport_size(NARROW)
    tab.goto(reverse("prescriptions:valid"))
    camera.shoot(tab, "valid-prescriptions-320px")
    tab.goto(reverse("proxies:powers"))
    camera.shoot(tab, "powers-of-attorney-320px")
    tab.set_viewport_size({"width": 1280, "height": 900})

    flows.log_out(tab)
    camera.shoot(tab, "logged-out")
    tab.goto("/this-page-does-not-exist/")
    camera.shoot(tab, "not-found")

    refused = open_tab()
    flows.log_in(refused, "Kari Nordmann", level="substantial")
    camera.shoot(refused, "login-refused-low-assurance")

    settings.SERVICE_CLOSES_ON = timezone.localdate() - datetime.timedelta(days=1)
    closed = open_tab()
    closed.goto("/")
    camera.shoot(closed, "closed-mode-landing")
    print(f"{len(camera.taken)} screenshots in {SHOTS}")
