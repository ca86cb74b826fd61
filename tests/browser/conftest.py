"""Real-browser tests: Debian's Chromium, driven by Playwright, against a live server with the demo data.

Run them with `make test-browser` (CI runs it after `make test`). Everything here logs in through the
test IdP in the browser, so the SAML path is exercised on every run.

The fixtures are our own rather than pytest-playwright's: its `playwright` fixture lives for the whole
session, and its event loop in the main thread makes Django refuse database calls in every test that
runs after the browser tests. Ours live for this package only.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from pytest_django.live_server_helper import LiveServer

from myprescriptions import demo

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# We run as root in CI, hence --no-sandbox; the rest keeps Chromium from calling home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--headless",
]
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def live_server():
    """pytest-django's live server, on 127.0.0.1 and a free port.

    Its default host, "localhost", is a single-label name that python3-saml rejects; an IP address passes.
    """
    server = LiveServer("127.0.0.1")
    yield server
    server.stop()


@pytest.fixture(scope="package")
def chromium():
    # Playwright's sync API keeps an event loop in this thread while the browser is open, and Django
    # then refuses the test's own database calls (seeding, flushing). They are synchronous and safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def demo_people(live_server, transactional_db):
    return demo.seed()


@pytest.fixture
def open_tab(chromium, live_server, demo_people):
    """Opens a tab in a fresh browser profile (no cookies); Norwegian Bokmål is the browser's language."""
    contexts = []

    def open_(locale="nb-NO", viewport=DESKTOP, **options):
        context = chromium.new_context(base_url=live_server.url, locale=locale, viewport=viewport, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def tab(open_tab):
    return open_tab()
