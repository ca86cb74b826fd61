"""What a person does in the browser, step by step, shared by the journeys and checks."""

import re

from playwright.sync_api import Page, expect


def log_in(tab: Page, full_name: str, level: str = "high", *, start: bool = True) -> None:
    """Landing page → "Log in" → the test IdP → choose the person and level → back at the service."""
    if start:
        tab.goto("/")
        answer_consent_if_asked(tab)
    press_log_in(tab)
    choose_at_idp(tab, full_name, level)
    wait_until_back(tab)


def press_log_in(tab: Page) -> None:
    tab.locator("form.login-form button[type=submit]").click()
    expect(tab).to_have_url(re.compile(r"/testidp/sso/"))


def choose_at_idp(tab: Page, full_name: str, level: str = "high") -> None:
    # The test IdP lists people as "Kari Nordmann (national identity number)".
    tab.get_by_label(re.compile(re.escape(full_name))).check()
    tab.locator(f"input[name=level][value={level}]").check()
    tab.locator("main form button[type=submit]").click()


def wait_until_back(tab: Page) -> None:
    # The IdP's answer page posts itself back to the service (autosubmit.js); the ACS redirects on.
    tab.wait_for_url(lambda url: "/testidp/" not in url)


def answer_consent_if_asked(tab: Page, accept: bool = False) -> bool:
    """Answers the cookie consent banner, when the page shows one."""
    banner = consent_banner(tab)
    if banner.count() == 0:
        return False
    choice = "all" if accept else "essential"
    follow(tab, banner.locator(f"button[name=choice][value={choice}]"))
    return True


def consent_banner(tab: Page):
    return tab.locator(".consent-banner")


def switch_language(tab: Page, code: str) -> None:
    """Uses the language switch on the page (a POST form)."""
    form = tab.locator("form.language-switch").first
    select = form.locator("select[name=language]")
    if select.count():
        select.select_option(code)
        form.locator("button[type=submit]").click()
    else:
        form.locator(f"button[name=language][value={code}]").click()
    expect(tab.locator("html")).to_have_attribute("lang", code)


def choose_person(tab: Page, full_name: str) -> None:
    """Subject bar → "Change person" → the person's button."""
    tab.locator(".subject-bar a[href='/choose/']").click()
    tab.locator("form[action='/choose/switch/'] button", has_text=full_name).click()
    expect(tab.locator(".subject-bar")).to_contain_text(full_name)


def log_out(tab: Page) -> None:
    follow(tab, tab.locator("header form[action='/logout/'] button[type=submit]"))


def follow(tab: Page, target) -> None:
    """Clicks a link or button and waits until the page it leads to has loaded."""
    with tab.expect_navigation():
        target.click()
