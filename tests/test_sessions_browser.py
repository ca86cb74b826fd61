"""The session warning in a real browser (Debian's Chromium via Playwright), with an idle limit
shortened to seconds: the dialog appears before the limit, "Stay logged in" keeps the session,
and when the time runs out the page leaves the health data for the front page."""

import os
import re

import pytest
from playwright.sync_api import expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

from myprescriptions import demo
from tests.browser.flows import log_in

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
IDLE_SECONDS = 8  # the warning shows halfway, 4 s before the end


@pytest.fixture
def server(transactional_db, settings):
    settings.SESSION_IDLE_SECONDS = IDLE_SECONDS
    demo.seed()
    live = LiveServer("127.0.0.1")  # python3-saml refuses single-label hosts such as "localhost"
    yield live
    live.stop()


@pytest.fixture
def tab(server):
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop in this thread; our DB calls are sync
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless"])
            context = browser.new_context(base_url=server.url, locale="en-GB")
            context.set_default_timeout(15_000)
            yield context.new_page()
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def test_warning_then_stay_logged_in_then_expiry(tab, server):
    log_in(tab, "Kari Nordmann")
    dialog = tab.locator("dialog.session-warning")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_be_visible()
    expect(dialog.locator("[data-countdown]")).to_have_text(re.compile(r"^0:0[0-4]$"))

    dialog.locator("form[data-keep-alive] button").click()
    expect(dialog).to_have_count(0)
    tab.reload()
    expect(tab.locator("form[action='/logout/']").first).to_be_attached()  # still logged in

    # Left alone, the page goes to the front page when the session ends, showing no health data.
    expect(tab.locator("dialog.session-warning")).to_be_visible()
    tab.wait_for_url(f"{server.url}/", timeout=15_000)
    expect(tab.locator("form[action='/logout/']")).to_have_count(0)
