"""The whole journey with the keyboard alone: Tab, Shift+Tab, Enter, Space, and typing into fields.

Every element that takes focus on the way must show a visible focus indicator (an outline of at least
2 px or a box shadow) and be on screen, and the skip link must be the first stop on every page.
"""

import re

import pytest
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import Page, expect

from tests.browser import checks, flows

pytestmark = pytest.mark.browser

MAX_TABS = 120


class Keyboard:
    def __init__(self, tab: Page):
        self.tab = tab
        self.problems: list[str] = []
        self.stops = 0

    def press(self, key: str) -> dict | None:
        self.tab.keyboard.press(key)
        now = checks.focused(self.tab)
        if now is not None:
            self.stops += 1
            where = f"{self.tab.url} <{now['tag']}> {now['text'] or now['name'] or now['href']!r}"
            if not now["indicator"]:
                self.problems.append(f"no visible focus indicator: {where} ({now['style']})")
            if not now["onScreen"]:
                self.problems.append(f"focused but off screen: {where}")
        return now

    def tab_to(self, selector: str, text: str = "", *, backwards: bool = False) -> None:
        """Presses Tab (or Shift+Tab) until the focused element matches `selector` and contains `text`."""
        key = "Shift+Tab" if backwards else "Tab"
        for _ in range(MAX_TABS):
            self.press(key)
            if self.tab.evaluate(
                "([sel, text]) => { const el = document.activeElement;"
                " return !!el && el.matches(sel) && (el.innerText || el.value || '').includes(text); }",
                [selector, text],
            ):
                return
        raise AssertionError(f"{key} never reached {selector} {text!r} on {self.tab.url}")

    def first_stop_is_skip_link(self) -> None:
        """From the top of a freshly loaded page, the first Tab lands on the skip link, and Enter skips."""
        now = self.press("Tab")
        assert now is not None and now["href"] == "#main", f"first Tab stop on {self.tab.url}: {now}"
        self.press("Enter")
        assert self.tab.evaluate("document.activeElement.id") == "main"

    def activate(self, key: str = "Enter") -> None:
        """Presses Enter (or Space) on a link or button, and waits for the page it leads to."""
        with self.tab.expect_navigation():
            self.tab.keyboard.press(key)


def url(name):
    return reverse(name)


def test_the_journey_by_keyboard_alone(tab, demo_people):
    kb = Keyboard(tab)
    kari, nils = demo_people["kari"], demo_people["nils"]

    tab.goto("/")
    kb.first_stop_is_skip_link()
    banner = tab.locator(".consent-banner")
    if banner.count():
        tab.goto("/")
        kb.tab_to(".consent-banner button[name=choice][value=essential]")
        kb.activate("Space")
        tab.wait_for_load_state()
        expect(banner).to_have_count(0)
    kb.tab_to("form.login-form button")
    kb.activate()

    # The test IdP: type the number, keep the level "high", submit.
    expect(tab).to_have_url(re.compile("/testidp/sso/"))
    kb.first_stop_is_skip_link()
    kb.tab_to("input[name=typed_number]")
    tab.keyboard.type(kari.national_id)
    kb.tab_to("input[name=level][value=high]")
    tab.keyboard.press("Space")
    expect(tab.locator("input[name=level][value=high]")).to_be_checked()
    kb.tab_to("main form button[type=submit]")
    kb.activate()
    tab.wait_for_url(lambda u: "/testidp/" not in u)

    # Whose prescriptions: Kari herself, with Space this time.
    expect(tab).to_have_url(re.compile(url("proxies:choose") + "$"))
    kb.first_stop_is_skip_link()
    kb.tab_to("main form button", "Kari Nordmann")
    kb.activate("Space")
    expect(tab).to_have_url(re.compile(url("prescriptions:valid") + "$"))

    # A detail page, then back up the page with Shift+Tab to the main menu.
    kb.first_stop_is_skip_link()
    kb.tab_to("main article a", "Cozaar")
    kb.activate()
    expect(tab.locator("h1")).to_contain_text("Cozaar")
    kb.tab_to("main a", "")  # the first link in main: back to the list
    kb.tab_to(f"nav.main-nav a[href='{url('prescriptions:dispensed')}']", backwards=True)
    kb.activate()
    expect(tab.locator("main table")).to_contain_text("Losartan Krka")
    kb.tab_to(f"nav.main-nav a[href='{url('prescriptions:history')}']")
    kb.activate()

    # Emma, then Per, then back to her own.
    for name in ["Emma Nordmann", "Per Hansen"]:
        kb.tab_to(f".subject-bar a[href='{url('proxies:choose')}']")
        kb.activate()
        kb.tab_to("main form button", name)
        kb.activate()
        expect(tab.locator(".subject-bar")).to_contain_text(name)
    kb.tab_to(f".subject-bar form[action='{url('proxies:self')}'] button")
    kb.activate()
    expect(tab.locator(".subject-bar")).to_contain_text("Kari Nordmann")

    # Give Nils a power of attorney and end it.
    kb.tab_to(f"nav.main-nav a[href='{url('proxies:powers')}']")
    kb.activate()
    kb.tab_to("input[name=national_id]")
    tab.keyboard.type(nils.national_id)
    kb.tab_to(f"form[action='{url('proxies:grant')}'] button[type=submit]")
    kb.activate()
    expect(tab.locator("main")).to_contain_text("Nils Olsen")
    kb.tab_to("button[name=action][value=confirm]")
    kb.activate()
    row = tab.locator("section[aria-labelledby=granted-title] tbody tr", has_text="Nils Olsen")
    expect(row.locator("form")).to_have_count(1)
    kb.tab_to("section[aria-labelledby=granted-title] button", "Nils Olsen")
    kb.activate()
    expect(row.locator("form")).to_have_count(0)

    # The access log, then English from the language switch (typing "e" picks English in the list).
    kb.tab_to(f"nav.main-nav a[href='{url('proxies:access_log')}']")
    kb.activate()
    expect(tab.locator("main table tbody tr").first).to_be_visible()
    kb.tab_to("form.language-switch select, form.language-switch button[value=en]", backwards=True)
    if tab.evaluate("document.activeElement.tagName") == "SELECT":
        tab.keyboard.type("e")
        kb.tab_to("form.language-switch button[type=submit]")
    kb.activate()
    expect(tab.locator("html")).to_have_attribute("lang", "en")

    # Download my data: the link in the main menu.
    try:
        download = reverse("prescriptions:export")
    except NoReverseMatch:
        download = None
    if download:
        kb.tab_to(f"nav.main-nav a[href='{download}']")
        with tab.expect_download():
            tab.keyboard.press("Enter")

    # Log out.
    kb.tab_to(f"header form[action='{url('site:logout')}'] button", backwards=True)
    kb.activate()
    expect(tab.locator(f"header form[action='{url('site:logout')}']")).to_have_count(0)

    print(f"{kb.stops} focus stops checked")
    assert not kb.problems, "\n".join(kb.problems)
    if download is None:
        pytest.skip("journey ran, except for download my data (URL name prescriptions:export is missing)")


def test_the_session_warning_dialog_by_keyboard(tab, settings):
    """Shortly before the idle limit a modal dialog warns; it passes axe, keeps focus inside, shows the
    focus, and "Stay logged in" works with the keyboard."""
    settings.SESSION_IDLE_SECONDS = 30  # the warning comes halfway, after 15 seconds
    flows.log_in(tab, "Kari Nordmann")
    dialog = tab.locator("dialog.session-warning")
    expect(dialog).to_be_visible(timeout=35_000)
    report = checks.axe_report(tab)
    assert not report, report
    kb = Keyboard(tab)
    kb.press("Tab")
    kb.press("Shift+Tab")
    assert tab.evaluate("!!document.activeElement.closest('dialog.session-warning')"), "focus left the dialog"
    kb.tab_to("dialog.session-warning form[data-keep-alive] button", backwards=True)
    tab.keyboard.press("Enter")
    expect(dialog).to_have_count(0)
    assert not kb.problems, "\n".join(kb.problems)
    tab.reload()
    expect(tab.locator(f"header form[action='{url('site:logout')}']")).to_have_count(1)
